/**
 * What a per-op converter is: at import time `prepare` reads and checks the node's attributes (any
 * unsupported attribute or value fails there, naming the node); the runner it returns computes the
 * node's outputs from tensors on every forward pass, through tszoo ops, so autograd records it.
 */
import type { Tensor } from '../../../tensor/tensor.js';
import { type NodeAttributes, type NodeLabel, nodeError } from '../attributes.js';

export interface RunContext {
  /** the module's training flag: batch norm uses batch statistics and dropout drops */
  training: boolean;
}

/** Inputs in node order; an omitted optional input ('' in the file) is undefined. */
export type Runner = ((inputs: readonly (Tensor | undefined)[], ctx: RunContext) => Tensor[]) & {
  /** the node on oneDNN's blocked layout, for the inference path (see ../blocked.ts) */
  blocked?: BlockedRunner;
  /** the node through pre-packed oneDNN kernels, for the dense inference path (see ../prepacked.ts) */
  prepacked?: PrepackedRunner;
  /**
   * A unary element-wise node computed into its dense input 0, for the inference path when nothing reads
   * that input afterwards; returns it, or null when this call cannot (the runner then runs).
   */
  inPlace?: (inputs: readonly (Tensor | undefined)[]) => Tensor | null;
};

/** Attaches an in-place variant (see Runner.inPlace) to a runner. */
export function withInPlace(run: Runner, inPlace: (inputs: readonly (Tensor | undefined)[]) => Tensor | null): Runner {
  return Object.assign(run, { inPlace });
}

/**
 * Runs a node through a pre-packed kernel on the dense inference path; returns null when this call cannot
 * (the dense runner then runs).
 */
export type PrepackedRunner = (inputs: readonly (Tensor | undefined)[], ctx: PrepackedContext) => Tensor[] | null;

export interface PrepackedContext {
  /** a 2-d convolution through its packed context (kept for this node), or null when it cannot go that way */
  conv2d(
    x: Tensor,
    w: Tensor,
    b: Tensor | null,
    geometry: { stride: number[]; padding: number[]; dilation: number[]; groups: number },
  ): Tensor | null;
}

/**
 * Runs a node on oneDNN's blocked layout (mkldnn tensors) at inference: inputs arrive as the graph
 * holds them (blocked or dense), outputs are blocked. Returns null, before converting anything, when
 * this call cannot run there (rank, dtype, padding); the dense runner then runs on dense inputs.
 */
export type BlockedRunner = (inputs: readonly (Tensor | undefined)[], ctx: BlockedContext) => Tensor[] | null;

export interface BlockedContext {
  /** whether a value is in the blocked layout now (element-wise ops and pools only go blocked then) */
  isBlocked(t: Tensor): boolean;
  /** whether a value can go to the blocked layout: float32, 4-d, not empty, on the CPU (or is blocked already) */
  accepts(t: Tensor): boolean;
  /** the value in the blocked layout (converted once per pass) */
  toBlocked(t: Tensor): Tensor;
  /** a convolution weight reordered for oneDNN, cached for this node until the weight changes */
  convWeight(w: Tensor, padding: number[], stride: number[], dilation: number[], groups: number): Tensor;
}

/** Attaches a blocked-layout variant (and optionally a pre-packed one) to a dense runner. */
export function withBlocked(run: Runner, blocked: BlockedRunner, prepacked?: PrepackedRunner): Runner {
  return Object.assign(run, prepacked ? { blocked, prepacked } : { blocked });
}

export interface PrepareContext {
  node: NodeLabel;
  attrs: NodeAttributes;
  opset: number;
  /** input and output value names ('' for an omitted optional one) */
  inputs: readonly string[];
  outputs: readonly string[];
  /** registers a constant (a buffer of the graph module) and returns the tensor to use */
  constant(t: Tensor): Tensor;
}

export interface OpConverter {
  prepare(c: PrepareContext): Runner;
  /** input slots whose initializers become trainable parameters (weights, biases, BN scale and shift) */
  readonly trainableInputs?: readonly number[];
}

/** The i-th input, or an error naming the node when it is missing. */
export function required(c: PrepareContext, inputs: readonly (Tensor | undefined)[], i: number): Tensor {
  const t = inputs[i];
  if (t === undefined) nodeError(c.node, `input ${i} is required`);
  return t;
}

/** Fails when the node declares more outputs than the converter produces (e.g. MaxPool's Indices). */
export function maxOutputs(c: PrepareContext, n: number): void {
  c.outputs.forEach((name, i) => {
    if (i >= n && name !== '') nodeError(c.node, `output ${i} ('${name}') is not supported`);
  });
}

/** Reads a small integer tensor (shapes, axes, pads) as numbers. */
export function ints(t: Tensor): number[] {
  return t.toArray().map((v) => Number(v));
}

/** Normalises a possibly negative axis against a rank, failing when out of range. */
export function axis(c: PrepareContext, a: number, rank: number): number {
  const n = a < 0 ? a + rank : a;
  if (n < 0 || n >= rank) nodeError(c.node, `axis ${a} is out of range for rank ${rank}`);
  return n;
}
