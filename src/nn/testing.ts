/**
 * @internal Helpers shared by the src/nn tests: the golden file written by PyTorch
 * (scripts/golden/make_nn_goldens.py), tensor decoding, tolerant comparison and building a tszoo
 * module from the spec that also built the torch module. Not part of the public API.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../tensor/index.js';
import { type DType, Tensor } from '../tensor/index.js';
import * as nn from './index.js';

type Encoded = number | 'nan' | 'inf' | '-inf';

export interface EncodedTensor {
  shape: number[];
  dtype: DType;
  data: Encoded[];
}

/** A module or loss: tszoo class name, positional arguments, options (tensors as {tensor}). */
export interface ModuleSpec {
  type: string;
  args: unknown[];
  options?: Record<string, unknown>;
}

export interface LayerCase {
  name: string;
  module: ModuleSpec;
  train: boolean;
  note?: string;
  stateDict?: Record<string, EncodedTensor>;
  warmup?: EncodedTensor[];
  inputs: EncodedTensor[];
  outputs: EncodedTensor[];
  cotangents?: EncodedTensor[];
  /** by input index */
  inputGrads?: Record<string, EncodedTensor>;
  paramGrads?: Record<string, EncodedTensor>;
  buffersAfter?: Record<string, EncodedTensor>;
}

export interface InitFunctionCase {
  fn: 'kaimingUniform_' | 'kaimingNormal_' | 'xavierUniform_' | 'xavierNormal_';
  shape: number[];
  options: { a?: number; mode?: 'fanIn' | 'fanOut'; nonlinearity?: nn.init.Nonlinearity; gain?: number };
  /** null for normal initialisations */
  bound: number | null;
  std: number;
  torchMaxAbs: number;
  torchStd: number;
}

export interface DefaultInitCase {
  module: ModuleSpec;
  params: Record<string, { dist: 'uniform' | 'normal' | 'constant'; value: number; torchStd: number }>;
}

export interface NnGolden {
  layers: LayerCase[];
  init: {
    gains: { nonlinearity: nn.init.Nonlinearity; param: number | null; gain: number }[];
    fans: { shape: number[]; fanIn: number; fanOut: number }[];
    functions: InitFunctionCase[];
    defaults: DefaultInitCase[];
  };
  module: {
    net: Record<'namedParameters' | 'namedBuffers' | 'stateDict', [string, number[]][]> & {
      namedModules: [string, string][];
      applyOrder: string[];
    };
  };
}

// dist/src/nn/ -> project root
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** test/golden/nn.json, parsed. */
export function loadGolden(): NnGolden {
  return JSON.parse(readFileSync(join(root, 'test', 'golden', 'nn.json'), 'utf8')) as NnGolden;
}

function decodeNumber(v: Encoded): number {
  if (v === 'nan') return Number.NaN;
  if (v === 'inf') return Number.POSITIVE_INFINITY;
  if (v === '-inf') return Number.NEGATIVE_INFINITY;
  return v;
}

export function decode(e: EncodedTensor): Tensor {
  return torch.tensor(e.data.map(decodeNumber), { dtype: e.dtype, shape: e.shape });
}

export function decodeDict(d: Record<string, EncodedTensor>): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(d).map(([k, e]) => [k, decode(e)]));
}

/** The goldens' CPU (`npm run golden`) may take other GEMM/convolution kernels, differing in the last bits. */
export const TOLERANCE: Partial<Record<DType, { rtol: number; atol: number }>> = {
  float32: { rtol: 1e-5, atol: 1e-6 },
  float64: { rtol: 1e-10, atol: 1e-12 },
};

/** Same shape and dtype, and every element within the dtype's tolerance (exact for integers). */
export function assertClose(actual: Tensor | null | undefined, expected: EncodedTensor, what: string): void {
  assert.ok(actual instanceof Tensor, `${what}: expected a tensor, got ${String(actual)}`);
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  assert.equal(actual.dtype, expected.dtype, `${what}: dtype`);
  const { rtol, atol } = TOLERANCE[expected.dtype] ?? { rtol: 0, atol: 0 };
  const got = actual.toArray();
  expected.data.forEach((e, i) => {
    const w = decodeNumber(e);
    const g = got[i] as number;
    const ok = Number.isNaN(w) ? Number.isNaN(g) : g === w || Math.abs(g - w) <= atol + rtol * Math.abs(w);
    if (!ok) assert.fail(`${what}: element ${i} is ${g}, expected ${w} (rtol ${rtol}, atol ${atol})`);
  });
}

type Constructor = new (...args: unknown[]) => nn.Module | nn.Loss;

function decodeOption(v: unknown): unknown {
  if (typeof v === 'object' && v !== null && 'tensor' in v) return decode((v as { tensor: EncodedTensor }).tensor);
  return v;
}

/** Builds the tszoo module (or loss) that the spec describes; Sequential's arguments are specs. */
export function build(spec: ModuleSpec): nn.Module | nn.Loss {
  const cls = (nn as unknown as Record<string, Constructor>)[spec.type];
  assert.equal(typeof cls, 'function', `nn.${spec.type} is not a class`);
  if (spec.type === 'Sequential')
    return new nn.Sequential(...spec.args.map((s) => build(s as ModuleSpec) as nn.Module));
  const args = spec.args.map(decodeOption);
  if (spec.options) args.push(Object.fromEntries(Object.entries(spec.options).map(([k, v]) => [k, decodeOption(v)])));
  return new cls(...args);
}

/**
 * Runs a module the way the golden file recorded it: LSTM inputs are [x] or [x, h0, c0] and GRU inputs
 * [x] or [x, h0]; both give the output and the final states.
 */
export function forward(m: nn.Module | nn.Loss, inputs: Tensor[]): Tensor[] {
  const [x, y, z] = inputs as [Tensor, Tensor | undefined, Tensor | undefined];
  if (m instanceof nn.LSTM) {
    const { output, h, c } = m.run(x, y && z ? { h: y, c: z } : undefined);
    return [output, h, c];
  }
  if (m instanceof nn.GRU) {
    const { output, h } = m.run(x, y ? { h: y } : undefined);
    return [output, h];
  }
  if (m instanceof nn.Loss) return [m.forward(x, y as Tensor)];
  return [m.forward(x)];
}
