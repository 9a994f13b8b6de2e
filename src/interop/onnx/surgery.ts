/**
 * Graph surgery on an imported graph's spec, after BigDL: resolving the names users cut at, the
 * sub-graph up to some values (`new_graph`), freezing everything up to a node (`freeze_up_to`), and
 * the per-node summary used to find those names. OnnxGraph's `cut`, `freezeUpTo`, `resolveValue` and
 * `summary` are these functions on its own spec.
 */
import * as torch from '../../tensor/index.js';
import { noGrad, scope } from '../../tensor/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { GraphNode, GraphSpec, OnnxNodeSummary } from './graph-types.js';
import { OnnxError } from './proto.js';

/**
 * Resolves a name used for surgery to a value: a value (node output or graph input) name, a node
 * name (its first output), or a prefix of node names such as a module path ('layer4' finds the last
 * node named 'layer4.*' or '/layer4/*').
 */
export function resolveValue(spec: GraphSpec, name: string): string {
  const produced = new Set(spec.nodes.flatMap((n) => n.outputs));
  if (produced.has(name) || spec.inputs.some((i) => i.name === name)) return name;
  const byNode = spec.nodes.find((n) => n.label.name === name);
  if (byNode?.outputs[0]) return byNode.outputs[0];
  const prefixed = spec.nodes.filter(
    (n) =>
      n.label.name.startsWith(`${name}.`) ||
      n.label.name.startsWith(`${name}/`) ||
      n.label.name.startsWith(`/${name}/`),
  );
  const last = prefixed[prefixed.length - 1];
  if (last?.outputs[0]) return last.outputs[0];
  const some = spec.nodes.slice(-5).map((n) => n.label.name);
  throw new OnnxError(
    `onnx ${spec.where}: no node or value named '${name}' (last nodes: ${some.join(', ')}; see summary())`,
  );
}

/** Indices of the nodes that `values` depend on, in execution order. */
export function ancestors(nodes: readonly GraphNode[], values: readonly string[]): number[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const o of n.outputs) if (o) producer.set(o, i);
  });
  const needed = new Set<number>();
  const stack = [...values];
  while (stack.length > 0) {
    const v = stack.pop() as string;
    const i = producer.get(v);
    if (i === undefined || needed.has(i)) continue;
    needed.add(i);
    for (const input of (nodes[i] as GraphNode).inputs) if (input) stack.push(input);
  }
  return [...needed].sort((a, b) => a - b);
}

/**
 * The spec of the sub-graph that computes the named nodes or values: only the nodes they depend on,
 * the initializers and inputs those read, and those names (resolved) as outputs. It shares tensors
 * and nodes with `spec`.
 */
export function cutSpec(spec: GraphSpec, outputs: string | readonly string[]): GraphSpec {
  const names = (typeof outputs === 'string' ? [outputs] : [...outputs]).map((n) => resolveValue(spec, n));
  const nodes = ancestors(spec.nodes, names).map((i) => spec.nodes[i] as GraphNode);
  const used = new Set(nodes.flatMap((n) => n.inputs).concat(names));
  const initializers = new Map([...spec.initializers].filter(([name]) => used.has(name)));
  const inputs = spec.inputs.filter((i) => used.has(i.name));
  return { ...spec, inputs, outputs: names, nodes, initializers };
}

/** Stops gradients for the trainable initializers read by `value`'s producer and everything before it. */
export function freezeUpToValue(spec: GraphSpec, value: string): void {
  for (const i of ancestors(spec.nodes, [value])) {
    for (const input of (spec.nodes[i] as GraphNode).inputs) {
      const init = spec.initializers.get(input);
      if (init?.trainable) init.tensor.requiresGrad = false;
    }
  }
}

/** Runs a graph on inputs by name, calling `onNode` after every node with its outputs (kept alive). */
export type TraceGraph = (inputs: Map<string, Tensor>, onNode: (node: GraphNode, outputs: Tensor[]) => void) => void;

/**
 * Every node in execution order with its output shapes for zero inputs of the given shapes (no
 * gradients; `trace` runs in eval mode). Without shapes, the declared input shapes are used, symbolic
 * dimensions set to 1.
 */
export function summarize(spec: GraphSpec, inputShapes: number[][], trace: TraceGraph): OnnxNodeSummary[] {
  if (inputShapes.length === 0 && spec.inputs.every((i) => i.shape !== null)) {
    // The declared shapes, with 1 for each symbolic or unknown dimension (the batch, usually).
    inputShapes = spec.inputs.map((i) => (i.shape ?? []).map((d) => (typeof d === 'number' ? d : 1)));
  }
  if (inputShapes.length !== spec.inputs.length) {
    throw new OnnxError(
      `onnx ${spec.where}: summary needs ${spec.inputs.length} input shapes, got ${inputShapes.length}`,
    );
  }
  const paramCount = new Map<string, number>();
  for (const [name, { tensor, trainable }] of spec.initializers) if (trainable) paramCount.set(name, tensor.numel());
  const rows: OnnxNodeSummary[] = [];
  noGrad(() =>
    scope(() => {
      const inputs = new Map(
        spec.inputs.map((info, i) => [info.name, torch.zeros(inputShapes[i] as number[], { dtype: info.dtype })]),
      );
      trace(inputs, (node, outs) => {
        rows.push({
          name: node.label.name,
          opType: node.label.opType,
          inputs: [...node.inputs],
          outputs: [...node.outputs],
          shapes: outs.map((t) => t.shape),
          parameters: node.inputs.reduce((n, v) => n + (paramCount.get(v) ?? 0), 0),
        });
      });
    }),
  );
  return rows;
}
