// Replays the cases of test/golden/ops.json (written by PyTorch, scripts/golden/make_op_goldens.py)
// through tszoo: outputs, in-place effects and gradients must match.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as functional from '../nn/functional.js';
import * as torch from './index.js';
import { type DType, scope, Tensor } from './index.js';

type Encoded = number | boolean | 'nan' | 'inf' | '-inf';

interface EncodedTensor {
  shape: number[];
  dtype: DType;
  data: Encoded[];
}

interface GoldenCase {
  name: string;
  op: string;
  args: unknown[];
  options?: Record<string, unknown>;
  inputs: Record<string, EncodedTensor>;
  outputs: (EncodedTensor | Encoded)[];
  after?: Record<string, EncodedTensor>;
  grad?: { wrt: string[]; cotangents: (EncodedTensor | null)[]; expected: Record<string, EncodedTensor> };
  rtol?: number;
  atol?: number;
}

// dist/src/tensor/ -> project root
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cases = JSON.parse(readFileSync(join(root, 'test', 'golden', 'ops.json'), 'utf8')) as GoldenCase[];

// The goldens were written once, on whatever CPU ran `npm run golden`: float32 GEMM and convolution kernels
// (OpenBLAS, oneDNN) differ by CPU and ISA in the last bits, so floats compare within a tolerance; integers exactly.
const TOLERANCE: Partial<Record<DType, { rtol: number; atol: number }>> = {
  float32: { rtol: 1e-5, atol: 1e-6 },
  float64: { rtol: 1e-10, atol: 1e-12 },
};

function decodeNumber(v: Encoded): number {
  if (v === 'nan') return Number.NaN;
  if (v === 'inf') return Number.POSITIVE_INFINITY;
  if (v === '-inf') return Number.NEGATIVE_INFINITY;
  return Number(v);
}

function isEncodedTensor(v: unknown): v is EncodedTensor {
  return typeof v === 'object' && v !== null && 'shape' in v && 'data' in v;
}

function makeTensor(e: EncodedTensor): Tensor {
  return torch.tensor(e.data.map(decodeNumber), { dtype: e.dtype, shape: e.shape });
}

/** Turns {"tensor": name} into the input tensor and {"float": "-inf"} into a number, recursively. */
function decodeArg(a: unknown, inputs: Record<string, Tensor>): unknown {
  if (Array.isArray(a)) return a.map((x) => decodeArg(x, inputs));
  if (typeof a !== 'object' || a === null) return a;
  const o = a as Record<string, unknown>;
  if (typeof o.tensor === 'string') {
    const t = inputs[o.tensor];
    assert.ok(t, `unknown input ${o.tensor}`);
    return t;
  }
  if ('float' in o) return decodeNumber(o.float as Encoded);
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, decodeArg(v, inputs)]));
}

function callOp(c: GoldenCase, inputs: Record<string, Tensor>): unknown {
  const args = c.args.map((a) => decodeArg(a, inputs));
  if (c.options) args.push(decodeArg(c.options, inputs));
  if (c.op === 'to') return (args[0] as Tensor).to(args[1] as DType);
  // 'ops.aten.name' calls an operator by schema name, the rest are exported functions of torch, or of
  // nn.functional for PyTorch's friendly forms (crossEntropy, interpolate, pad)
  const [ns, name] = c.op.startsWith('ops.') ? c.op.slice(4).split('.') : [];
  const fn =
    ns && name
      ? torch.ops[ns]?.[name]
      : ((torch as unknown as Record<string, unknown>)[c.op] ??
        (functional as unknown as Record<string, unknown>)[c.op]);
  assert.equal(typeof fn, 'function', `neither torch.${c.op} nor nn.functional.${c.op} is a function`);
  return (fn as (...a: unknown[]) => unknown)(...args);
}

function assertMatches(actual: unknown, expected: EncodedTensor | Encoded, c: GoldenCase, what: string): void {
  if (!isEncodedTensor(expected)) {
    assert.equal(actual, expected, `${what}: value`);
    return;
  }
  assert.ok(actual instanceof Tensor, `${what}: expected a tensor, got ${String(actual)}`);
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  assert.equal(actual.dtype, expected.dtype, `${what}: dtype`);
  const got = actual.toArray();
  const want = expected.data.map(decodeNumber);
  const tol = TOLERANCE[expected.dtype];
  const rtol = c.rtol ?? tol?.rtol ?? 0;
  const atol = c.atol ?? tol?.atol ?? 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i] as number;
    const w = want[i] as number;
    const ok = Number.isNaN(w) ? Number.isNaN(g) : g === w || Math.abs(g - w) <= atol + rtol * Math.abs(w);
    if (!ok) assert.fail(`${what}: element ${i} is ${g}, expected ${w} (rtol ${rtol}, atol ${atol})`);
  }
}

function runCase(c: GoldenCase): void {
  const inputs: Record<string, Tensor> = {};
  for (const [name, e] of Object.entries(c.inputs)) inputs[name] = makeTensor(e);
  for (const name of c.grad?.wrt ?? []) inputs[name]?.requiresGrad_();

  const result = callOp(c, inputs);
  const outputs = Array.isArray(result) ? result : [result];
  assert.equal(outputs.length, c.outputs.length, 'number of outputs');
  c.outputs.forEach((e, i) => {
    assertMatches(outputs[i], e, c, `output ${i}`);
  });
  for (const [name, e] of Object.entries(c.after ?? {})) assertMatches(inputs[name], e, c, `${name} after the call`);

  if (!c.grad) return;
  let total: Tensor | undefined;
  c.grad.cotangents.forEach((cot, i) => {
    if (cot === null) return;
    const term = torch.sum(torch.mul(outputs[i] as Tensor, makeTensor(cot)));
    total = total ? torch.add(total, term) : term;
  });
  assert.ok(total, 'a differentiable output');
  total.backward();
  for (const name of c.grad.wrt) {
    assertMatches(inputs[name]?.grad, c.grad.expected[name] as EncodedTensor, c, `gradient of ${name}`);
  }
}

describe('ops match PyTorch golden values', () => {
  const before = torch.memory().tensors;

  it('has cases', () => {
    assert.ok(cases.length > 100, `only ${cases.length} cases`);
    assert.equal(new Set(cases.map((c) => c.name)).size, cases.length, 'case names are unique');
  });

  for (const c of cases) {
    it(c.name, () => scope(() => runCase(c)));
  }

  it('frees every tensor the cases made', () => {
    assert.equal(torch.memory().tensors, before);
  });
});
