/**
 * Throws random shapes, dtypes and arguments (often of the wrong type) at the wrapped ATen ops.
 * Every call must return or throw a JS Error; a native crash kills the process, and the last call
 * tried is in the log file. Usage: node dist/scripts/fuzz-ops.js [--seed N] [--count N] [--log FILE]
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { torch } from '../src/index.js';
import { overloadsOf } from '../src/tensor/dispatch.js';
import type { DType, Tensor } from '../src/tensor/index.js';
import { native, type OpSchema, type SchemaArg } from '../src/tensor/native.js';
import { WRAPPED_OPS } from './gen-ops.js';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

/** mulberry32: small seeded PRNG, so a failing run can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const seed = Number(option('seed', '1'));
const count = Number(option('count', '3000'));
const logPath = option('log', '');
const random = rng(seed);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

const DTYPES: DType[] = ['float32', 'float64', 'int64', 'int32', 'uint8', 'bool', 'float16'];
const WEIRD_FLOATS = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 1e300, -1e-300];

function randomShape(): number[] {
  return Array.from({ length: int(0, 4) }, () => (random() < 0.1 ? 0 : int(1, 4)));
}

function randomTensor(): Tensor {
  const shape = randomShape();
  const dtype = pick(DTYPES);
  const base = torch.randn(shape).mul(3);
  const t = dtype === 'bool' ? base.gt(0) : base.to(dtype);
  if (random() < 0.2 && t.ndim >= 2) return t.transpose(0, 1);
  return t;
}

function wrongValue(): unknown {
  return pick<() => unknown>([
    () => 'not-a-valid-value',
    () => ({ some: 'object' }),
    () => [Number.NaN, 'x'],
    () => Number.NaN,
    () => 2 ** 53 - 1,
    () => -(2 ** 62),
    () => 1.5,
    () => true,
    () => [],
    () => {
      const t = torch.ones([2]);
      t.dispose();
      return t;
    },
  ])();
}

function valueFor(a: SchemaArg): unknown {
  if (random() < 0.08) return wrongValue();
  if (a.optional && random() < 0.3) return null;
  switch (a.kind) {
    case 'Tensor':
      return randomTensor();
    case 'Tensor[]':
    case 'Tensor?[]':
      return Array.from({ length: int(0, 3) }, randomTensor);
    case 'int':
      return a.name === 'reduction' ? pick(['none', 'mean', 'sum', 3]) : int(-2, 6);
    case 'int[]':
      return random() < 0.2 ? int(-1, 4) : Array.from({ length: int(0, 4) }, () => int(-2, 5));
    case 'float':
      return random() < 0.15 ? pick(WEIRD_FLOATS) : (random() - 0.5) * 4;
    case 'float[]':
      return Array.from({ length: int(0, 3) }, () => random() * 3);
    case 'bool':
      return random() < 0.5;
    case 'bool[]':
      return Array.from({ length: int(0, 3) }, () => random() < 0.5);
    case 'Scalar':
      return random() < 0.15 ? pick(WEIRD_FLOATS) : pick([int(-3, 3), (random() - 0.5) * 4, random() < 0.5]);
    case 'ScalarType':
      return pick([...DTYPES, 'complex64']);
    case 'Device':
      return pick(['cpu', 'cpu', 'cuda:0', 'meta']);
    case 'MemoryFormat':
      return pick(['contiguous', 'preserve', 'channelsLast']);
    case 'str':
      return pick(['none', 'tanh', 'floor', 'trunc', 'same', 'valid', 'add', 'multiply', 'x']);
    default:
      return null;
  }
}

function describe(v: unknown): string {
  if (v instanceof torch.Tensor) return v.isDisposed ? 'disposed' : `${v.dtype}${JSON.stringify(v.shape)}`;
  if (Array.isArray(v)) return `[${v.map(describe).join(', ')}]`;
  return v === undefined ? 'undefined' : JSON.stringify(v);
}

const schemas = new Map<string, OpSchema[]>();
for (const name of WRAPPED_OPS) {
  schemas.set(
    name,
    overloadsOf(name).map((o) => native.opSchema(native.findOp(name, o))),
  );
}

const log = logPath ? openSync(logPath, 'w') : -1;
const outcomes = { returned: 0, jsErrors: 0 };
const messages = new Map<string, number>();
for (let i = 0; i < count; i++) {
  const name = pick(WRAPPED_OPS);
  const schema = pick(schemas.get(name) as OpSchema[]);
  const overload = schema.overload;
  torch.scope(() => {
    const args = schema.args.map((a) => (a.hasDefault && random() < 0.4 ? undefined : valueFor(a)));
    while (args.length > 0 && args[args.length - 1] === undefined) args.pop();
    if (log >= 0) {
      writeSync(log, `${i} aten::${name}.${overload}(${args.map(describe).join(', ')})\n`);
    }
    try {
      const fn = (torch.ops.aten[name] as Record<string, (...a: unknown[]) => unknown>)[overload || 'default'];
      fn?.(...args.map((v) => (v === undefined ? undefined : v)));
      outcomes.returned++;
    } catch (e) {
      if (!(e instanceof Error)) throw new Error(`aten::${name}: threw a non-Error ${String(e)}`);
      outcomes.jsErrors++;
      const key = e.message.split(': ')[0] ?? '';
      messages.set(key, (messages.get(key) ?? 0) + 1);
    }
  });
}
if (log >= 0) closeSync(log);
console.log(
  JSON.stringify({
    seed,
    count,
    ...outcomes,
    distinctErrorSources: messages.size,
    liveTensors: torch.memory().tensors,
  }),
);
