/**
 * Inference of a whole imported graph as one native oneDNN plan (native/dnnl-plan.cc): convolutions with
 * their batch norm folded and their activation and residual add fused as post-ops, pools, concatenation
 * and the final linear layer, activations kept in oneDNN's blocked layout from the first convolution to
 * the last layer, weights reordered once per plan. Built once per input shape and rebuilt when a weight
 * changes; graphs (or input shapes) with anything else run node by node as before.
 *
 * Lowered: Conv (2-d, explicit pads), BatchNormalization folded into the Conv before it, Relu, Clip,
 * HardSwish, Add of two equal shapes, MaxPool / AveragePool (2-d, floor mode), GlobalAveragePool,
 * Concat on channels, Flatten of [N, C, 1, 1], Gemm (no transposed A, alpha = beta = 1), Identity and
 * Dropout (eval). One float32 input [N, C, H, W], one output.
 *
 * Under bfloat16 autocast the plan computes in bfloat16 (weights and activations; oneDNN accumulates in
 * float32, biases and batch-norm statistics stay float32) in the layouts oneDNN picks for the CPU, and
 * the output is bfloat16, as node by node under autocast. Where oneDNN has no fast bfloat16 kernel
 * (CPUs without AVX-512) the plan refuses and the graph runs node by node.
 */

import * as torch from '../../tensor/index.js';
import type { Handle } from '../../tensor/native.js';
import { Tensor } from '../../tensor/tensor.js';
import { loadAddon } from '../../util/native-addon.js';
import { NodeAttributes } from './attributes.js';
import type { GraphNode, GraphSpec } from './graph-types.js';
import type { FoldCache } from './inference.js';
import { ints } from './ops/converter.js';
import type { ExecutionPlan } from './plan.js';

type PlanHandle = object & { readonly __dnnlPlanHandle: unique symbol };

interface DnnlBinding {
  dnnlPlanCreate(
    ops: NativeOp[],
    io: { shape: number[]; output: number; dtype: PlanDType },
    donor: PlanHandle | null,
  ): PlanHandle;
  dnnlPlanRun(plan: PlanHandle, input: Handle): Handle;
  dnnlPlanFree(plan: PlanHandle): void;
  dnnlPlanMemory(plan: PlanHandle): NativePlanMemory;
  dnnlPlanVersions(tensors: Handle[]): string;
}

/**
 * Plans kept per graph (input shapes and dtypes); the least recently used goes first. Each holds its
 * activation arena and the weight copies it could not take from another plan: eight cover a server's
 * dynamic batches of 1 to 8 in one dtype.
 */
const MAX_PLANS = 8;

const addon = loadAddon<Partial<DnnlBinding>>('tszoo.node', process.env.TSZOO_ADDON);

/** Whether this build of the addon has the oneDNN plan (built against libdnnl-dev). */
export function dnnlPlanAvailable(): boolean {
  return typeof addon.dnnlPlanCreate === 'function';
}

/** What a plan computes in: float32, or bfloat16 (under autocast). */
export type PlanDType = 'float32' | 'bfloat16';

/** an activation; 'clip' reads lo and hi, 'hardsigmoid' max(0, min(1, lo * x + hi)) */
type Act = 'none' | 'relu' | 'clip' | 'hardswish' | 'hardsigmoid';

/** One op of the native plan; value ids are small integers, 0 is the graph input. */
type NativeOp =
  | {
      op: 'conv';
      src: number;
      dst: number;
      weight: Handle;
      bias: Handle | null;
      group: number;
      strides: number[];
      dilations: number[];
      padsBegin: number[];
      padsEnd: number[];
      act: Act;
      lo: number;
      hi: number;
      /** the value the result is added into (its buffer becomes dst), or -1 */
      sum: number;
      sumAct: 'none' | 'relu';
    }
  | {
      op: 'maxpool' | 'avgpool';
      src: number;
      dst: number;
      kernel: number[];
      strides: number[];
      padsBegin: number[];
      padsEnd: number[];
      includePad: boolean;
    }
  | { op: 'gap'; src: number; dst: number }
  | { op: 'concat'; srcs: number[]; dst: number }
  | { op: 'add'; a: number; b: number; dst: number; act: 'none' | 'relu' }
  | { op: 'eltwise'; src: number; dst: number; act: Act; lo: number; hi: number }
  | { op: 'linear'; src: number; dst: number; weight: Handle; bias: Handle }
  | { op: 'mul'; a: number; b: number; dst: number }
  | {
      op: 'batchnorm';
      src: number;
      dst: number;
      scale: Handle;
      shift: Handle;
      mean: Handle;
      variance: Handle;
      eps: number;
      relu: boolean;
    };

/** The op types the plan lowers (whether a node of one does also depends on its attributes and shapes). */
const LOWERED_OPS = new Set([
  'Constant',
  'Conv',
  'Relu',
  'Clip',
  'HardSwish',
  'HardSigmoid',
  'Add',
  'Pad',
  'Mul',
  'BatchNormalization',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'Concat',
  'Flatten',
  'Identity',
  'Dropout',
  'Gemm',
]);

/**
 * Why no input shape lets the native plan take this graph's first output: no plan in this build of the
 * addon, not one float32 input of rank 4, or an op type it never lowers. Null when it may (the nodes'
 * attributes and the input's shape decide then: `nativePlanReason(shape)` after a pass).
 */
export function graphNativePlanReason(spec: Pick<GraphSpec, 'inputs' | 'nodes'>): string | null {
  if (!dnnlPlanAvailable()) return 'the addon was built without oneDNN';
  const [input, ...more] = spec.inputs;
  if (input === undefined || more.length > 0) return `${spec.inputs.length} inputs`;
  if (input.dtype !== 'float32') return `a ${input.dtype} input`;
  if (input.shape !== null && input.shape.length !== 4) return `an input of rank ${input.shape.length}`;
  const other = spec.nodes.find((n) => !LOWERED_OPS.has(n.label.opType));
  return other === undefined ? null : `op ${other.label.opType}`;
}

/** What the plan cannot take, for `nativePlanReason` (the graph then runs node by node). */
class NotLowerable extends Error {}

const attrsOf = (node: GraphNode) => new NodeAttributes(node.label, node.proto.attribute ?? []);

/** Two spatial values, each at least 1 (strides, dilations, kernels). */
function spatial2(a: NodeAttributes, name: string, fallback: number): number[] {
  const v = a.ints(name) ?? [fallback, fallback];
  if (v.length !== 2 || v.some((x) => !(x >= 1))) throw new NotLowerable(`${name} [${v}]`);
  return v;
}

function pads(a: NodeAttributes): [number[], number[]] {
  const auto = a.string('auto_pad', 'NOTSET');
  if (auto !== 'NOTSET') throw new NotLowerable(`auto_pad ${auto}`);
  const p = a.ints('pads') ?? [0, 0, 0, 0];
  if (p.length !== 4 || p.some((x) => !(x >= 0))) throw new NotLowerable(`pads [${p}]`);
  return [p.slice(0, 2), p.slice(2)];
}

const scalarOf = (t: Tensor | undefined, fallback: number) => (t === undefined ? fallback : Number(t.item()));

/**
 * The native ops of a plan's steps for an input of `shape`, given the graph's values (initializers and
 * constants) and the folded weights. Throws NotLowerable naming the first thing it cannot take.
 */
function lowerPlan(
  plan: ExecutionPlan,
  inputName: string,
  outputName: string,
  shape: readonly number[],
  constants: ReadonlyMap<string, Tensor>,
  folds: FoldCache,
): { ops: NativeOp[]; output: number } {
  if (shape.length !== 4 || shape.some((d) => !(d >= 1))) throw new NotLowerable(`input of shape [${shape}]`);
  const ids = new Map<string, number>([[inputName, 0]]);
  const shapes: number[][] = [[...shape]];
  const ops: NativeOp[] = [];
  /** op index that made each value, and how many steps read it */
  const madeBy = new Map<number, number>();
  // reader counts per value: names that alias one value (Identity, Dropout, Flatten) share one counter
  const counters = new Map<string, { n: number }>();
  const counter = (v: string) => {
    let c = counters.get(v);
    if (c === undefined) counters.set(v, (c = { n: 0 }));
    return c;
  };
  for (const step of plan.steps) for (const v of step.node.inputs) if (v) counter(v).n++;
  counter(outputName).n = Number.POSITIVE_INFINITY;
  const readers = { get: (v: string) => counters.get(v)?.n };
  const lastReaderOf = new Map<string, number>();
  plan.steps.forEach((s, k) => {
    for (const v of s.node.inputs) if (v) lastReaderOf.set(v, k);
  });
  const id = (name: string) => {
    const i = ids.get(name);
    if (i === undefined) throw new NotLowerable(`value '${name}' is not an activation the plan computes`);
    return i;
  };
  const define = (name: string, s: number[], op: NativeOp) => {
    const i = shapes.length;
    ids.set(name, i);
    shapes.push(s);
    (op as { dst: number }).dst = i;
    madeBy.set(i, ops.length);
    ops.push(op);
  };
  const made = new Map<string, Tensor>();
  const constant = (name: string) => {
    const t = constants.get(name) ?? made.get(name);
    if (t === undefined) throw new NotLowerable(`'${name}' is not a constant`);
    return t;
  };
  /** `out` is another name of `input`'s value: one reader count for both (minus this node's read) */
  const alias = (out: string, input: string) => {
    const c = counter(input);
    c.n += counter(out).n - 1;
    counters.set(out, c);
    ids.set(out, id(input));
  };
  const readsOf = (o: NativeOp): number[] =>
    o.op === 'conv'
      ? [o.src, o.sum]
      : o.op === 'concat'
        ? o.srcs
        : o.op === 'add' || o.op === 'mul'
          ? [o.a, o.b]
          : [o.src];
  /** no op from `conv` on (the conv included) reads value `i`, whose buffer the conv's sum would overwrite */
  const unreadFrom = (i: number, conv: NativeOp) => ops.slice(ops.indexOf(conv)).every((o) => !readsOf(o).includes(i));
  /** the conv op that made `name` alone, with nothing fused after it yet, when nothing else reads it */
  const soleConv = (name: string) => {
    if (readers.get(name) !== 1) return null;
    const k = madeBy.get(ids.get(name) ?? -1);
    const op = k === undefined ? undefined : ops[k];
    return op?.op === 'conv' && op.sum < 0 ? op : null;
  };
  /** Pad outputs not computed: the pads go into the pool or convolution that reads them */
  const padded = new Map<string, { src: string; begin: number[]; end: number[] }>();
  /** x * HardSigmoid(x) (how opsets before 14 export HardSwish): the HardSigmoid's output -> x */
  const swish = new Map<string, string>();
  /** a Conv's or AveragePool's input 0 and the pads a Pad before it adds (zeros without one) */
  const source = (name: string) => padded.get(name) ?? { src: name, begin: [0, 0], end: [0, 0] };
  for (const [k, step] of plan.steps.entries()) {
    const { node } = step;
    const op = node.label.opType;
    const out = step.outputs[0] as string;
    if (!LOWERED_OPS.has(op)) throw new NotLowerable(`op ${op}`);
    const a = attrsOf(node);
    for (const v of node.inputs)
      if (padded.has(v) && op !== 'Conv' && op !== 'AveragePool') throw new NotLowerable(`Pad before ${op}`);
    for (const v of node.inputs) if (swish.has(v) && op !== 'Mul') throw new NotLowerable(`HardSigmoid before ${op}`);
    if (step.outputs.filter((o) => o !== '').length > 1 && op !== 'Dropout')
      throw new NotLowerable(`${op} with several outputs`);
    if (op === 'Constant') {
      made.set(out, node.run([], { training: false })[0] as Tensor);
    } else if (op === 'Conv') {
      const inputs = node.inputs.map((n) => (n ? (constants.get(n) ?? made.get(n)) : undefined));
      let [w, b] = [inputs[1], inputs[2]];
      if (w === undefined) throw new NotLowerable('a Conv weight that is not a constant');
      if (step.fold) {
        const params = step.fold.params.map((p) => constant(p));
        [, w, b] = folds.inputs(step.index, [undefined, w, b], params, step.fold.eps) as [undefined, Tensor, Tensor];
      }
      if (w.ndim !== 4 || w.dtype !== 'float32') throw new NotLowerable('a Conv that is not 2-d float32');
      const pad = source(node.inputs[0] as string);
      const src = id(pad.src);
      const x = shapes[src] as number[];
      const [begin, end] = pads(a).map((p, j) => p.map((v, d) => v + (j === 0 ? pad.begin : pad.end)[d]!)) as [
        number[],
        number[],
      ];
      const strides = spatial2(a, 'strides', 1);
      const dilations = spatial2(a, 'dilations', 1);
      const group = a.int('group', 1);
      const [kh, kw] = w.shape.slice(2) as [number, number];
      const oh = Math.floor(((x[2] as number) + begin[0]! + end[0]! - dilations[0]! * (kh - 1) - 1) / strides[0]!) + 1;
      const ow = Math.floor(((x[3] as number) + begin[1]! + end[1]! - dilations[1]! * (kw - 1) - 1) / strides[1]!) + 1;
      if (!(oh >= 1 && ow >= 1)) throw new NotLowerable(`Conv output ${oh}x${ow}`);
      define(out, [x[0] as number, w.shape[0] as number, oh, ow], {
        op: 'conv',
        src,
        dst: -1,
        weight: w.handle,
        bias: b?.handle ?? null,
        group,
        strides,
        dilations,
        padsBegin: begin,
        padsEnd: end,
        act: step.relu ? 'relu' : 'none',
        lo: 0,
        hi: 0,
        sum: -1,
        sumAct: 'none',
      });
    } else if (op === 'Relu' || op === 'Clip' || op === 'HardSwish' || op === 'HardSigmoid') {
      const input = node.inputs[0] as string;
      let [lo, hi] = [0, 0];
      if (op === 'Clip') {
        const [min, max] = [node.inputs[1], node.inputs[2]].map((n) => (n ? constant(n) : undefined));
        lo = scalarOf(min, a.float('min', -3.4028234663852886e38));
        hi = scalarOf(max, a.float('max', 3.4028234663852886e38));
      } else if (op === 'HardSigmoid') [lo, hi] = [a.float('alpha', 0.2), a.float('beta', 0.5)];
      const act: Act =
        op === 'Relu' ? 'relu' : op === 'Clip' ? 'clip' : op === 'HardSwish' ? 'hardswish' : 'hardsigmoid';
      const next = plan.steps[k + 1]?.node;
      if (
        op === 'HardSigmoid' &&
        Math.abs(lo - 1 / 6) < 1e-6 &&
        hi === 0.5 &&
        readers.get(out) === 1 &&
        next?.label.opType === 'Mul' &&
        next.inputs[0] === input &&
        next.inputs[1] === out
      ) {
        swish.set(out, input);
        continue;
      }
      const src = id(input);
      const conv = soleConv(input);
      const maker = ops[madeBy.get(src) ?? -1];
      if (conv && conv.act === 'none') {
        conv.act = act;
        [conv.lo, conv.hi] = [lo, hi];
        ids.set(out, src);
      } else if (
        act === 'relu' &&
        maker?.op === 'conv' &&
        maker.sum >= 0 &&
        maker.sumAct === 'none' &&
        readers.get(input) === 1
      ) {
        maker.sumAct = 'relu';
        ids.set(out, src);
      } else if (act === 'relu' && maker?.op === 'add' && maker.act === 'none' && readers.get(input) === 1) {
        maker.act = 'relu';
        ids.set(out, src);
      } else if (act === 'relu' && maker?.op === 'batchnorm' && !maker.relu && readers.get(input) === 1) {
        maker.relu = true;
        ids.set(out, src);
      } else {
        define(out, [...(shapes[src] as number[])], { op: 'eltwise', src, dst: -1, act, lo, hi });
      }
    } else if (op === 'Add') {
      const [x, y] = node.inputs as [string, string];
      const [ix, iy] = [id(x), id(y)];
      const [sx, sy] = [shapes[ix] as number[], shapes[iy] as number[]];
      if (sx.join() !== sy.join()) throw new NotLowerable(`Add of [${sx}] and [${sy}]`);
      // the sum post-op writes into the other operand: no name of it may be read after this Add
      const free = (i: number) =>
        i !== 0 &&
        [...ids].every(([name, v]) => v !== i || (name !== outputName && (lastReaderOf.get(name) ?? -1) <= k));
      // ... and be computed before the convolution runs
      const before = (i: number, conv: NativeOp) => (madeBy.get(i) ?? -1) < ops.indexOf(conv);
      const cx = soleConv(x);
      const cy = soleConv(y);
      if (cx && free(iy) && before(iy, cx) && unreadFrom(iy, cx)) {
        cx.sum = iy;
        ids.set(out, ix);
      } else if (cy && free(ix) && before(ix, cy) && unreadFrom(ix, cy)) {
        cy.sum = ix;
        ids.set(out, iy);
      } else define(out, [...sx], { op: 'add', a: ix, b: iy, dst: -1, act: 'none' });
    } else if (op === 'Pad') {
      if (a.string('mode', 'constant') !== 'constant') throw new NotLowerable('Pad mode');
      if (node.inputs[3]) throw new NotLowerable('Pad with axes');
      const p = node.inputs[1] ? ints(constant(node.inputs[1])) : (a.ints('pads') ?? []);
      const value = node.inputs[2] ? scalarOf(constant(node.inputs[2]), 0) : a.float('value', 0);
      if (p.length !== 8 || value !== 0 || p[0] || p[1] || p[4] || p[5] || p.some((v) => v < 0))
        throw new NotLowerable(`Pad [${p}] with ${value}`);
      if (readers.get(out) !== 1) throw new NotLowerable('a Pad read twice');
      padded.set(out, { src: node.inputs[0] as string, begin: [p[2]!, p[3]!], end: [p[6]!, p[7]!] });
    } else if (
      op === 'Mul' &&
      swish.has(node.inputs[1] as string) &&
      swish.get(node.inputs[1] as string) === node.inputs[0]
    ) {
      // x * HardSigmoid(x): HardSwish, fused into x's convolution when nothing else reads x
      const x = node.inputs[0] as string;
      const src = id(x);
      const maker = ops[madeBy.get(src) ?? -1];
      if (maker?.op === 'conv' && maker.sum < 0 && maker.act === 'none' && readers.get(x) === 2) {
        maker.act = 'hardswish';
        ids.set(out, src);
      } else
        define(out, [...(shapes[src] as number[])], { op: 'eltwise', src, dst: -1, act: 'hardswish', lo: 0, hi: 0 });
    } else if (op === 'Mul') {
      const [x, y] = (node.inputs as [string, string]).map(id) as [number, number];
      const [sx, sy] = [shapes[x] as number[], shapes[y] as number[]];
      const gate = (s: number[], t: number[]) =>
        s.length === 4 && t.length === 4 && s[0] === t[0] && s[1] === t[1] && t[2] === 1 && t[3] === 1;
      if (gate(sx, sy)) define(out, [...sx], { op: 'mul', a: x, b: y, dst: -1 });
      else if (gate(sy, sx)) define(out, [...sy], { op: 'mul', a: y, b: x, dst: -1 });
      else throw new NotLowerable(`Mul of [${sx}] and [${sy}]`);
    } else if (op === 'BatchNormalization') {
      const src = id(node.inputs[0] as string);
      const [scale, shift, mean, variance] = node.inputs.slice(1, 5).map((n) => constant(n)) as [
        Tensor,
        Tensor,
        Tensor,
        Tensor,
      ];
      define(out, [...(shapes[src] as number[])], {
        op: 'batchnorm',
        src,
        dst: -1,
        scale: scale.handle,
        shift: shift.handle,
        mean: mean.handle,
        variance: variance.handle,
        eps: a.float('epsilon', 1e-5),
        relu: false,
      });
    } else if (op === 'MaxPool' || op === 'AveragePool') {
      a.allow([
        'auto_pad',
        'kernel_shape',
        'pads',
        'strides',
        'ceil_mode',
        'count_include_pad',
        'dilations',
        'storage_order',
      ]);
      if (a.int('ceil_mode', 0) !== 0) throw new NotLowerable(`${op} with ceil_mode`);
      if ((a.ints('dilations') ?? [1, 1]).some((d) => d !== 1)) throw new NotLowerable(`${op} with dilations`);
      if (a.int('storage_order', 0) !== 0) throw new NotLowerable(`${op} with storage_order`);
      const includePad = a.int('count_include_pad', 0) === 1;
      const pad = source(node.inputs[0] as string);
      const src = id(pad.src);
      const x = shapes[src] as number[];
      if (!a.has('kernel_shape')) throw new NotLowerable(`${op} without kernel_shape`);
      const kernel = spatial2(a, 'kernel_shape', 1);
      const strides = spatial2(a, 'strides', 1);
      let [begin, end] = pads(a);
      if (pad.begin.some((v) => v !== 0) || pad.end.some((v) => v !== 0)) {
        // zeros padded before the pool count in its averages: only where its own padding counts them too
        if (!includePad && [...begin, ...end].some((v) => v !== 0))
          throw new NotLowerable('Pad before a padded AveragePool');
        begin = begin.map((v, d) => v + pad.begin[d]!);
        end = end.map((v, d) => v + pad.end[d]!);
      }
      const oh = Math.floor(((x[2] as number) + begin[0]! + end[0]! - kernel[0]!) / strides[0]!) + 1;
      const ow = Math.floor(((x[3] as number) + begin[1]! + end[1]! - kernel[1]!) / strides[1]!) + 1;
      if (!(oh >= 1 && ow >= 1)) throw new NotLowerable(`${op} output ${oh}x${ow}`);
      define(out, [x[0] as number, x[1] as number, oh, ow], {
        op: op === 'MaxPool' ? 'maxpool' : 'avgpool',
        src,
        dst: -1,
        kernel,
        strides,
        padsBegin: begin,
        padsEnd: end,
        includePad: includePad || pad.begin.some((v) => v !== 0) || pad.end.some((v) => v !== 0),
      });
    } else if (op === 'GlobalAveragePool') {
      const src = id(node.inputs[0] as string);
      const x = shapes[src] as number[];
      define(out, [x[0] as number, x[1] as number, 1, 1], { op: 'gap', src, dst: -1 });
    } else if (op === 'Concat') {
      const srcs = node.inputs.map((n) => id(n));
      const s = srcs.map((i) => shapes[i] as number[]);
      const axis = a.int('axis', 0);
      if (axis !== 1 && axis !== -3) throw new NotLowerable(`Concat on axis ${axis}`);
      define(out, [s[0]![0]!, s.reduce((c, x) => c + x[1]!, 0), s[0]![2]!, s[0]![3]!], { op: 'concat', srcs, dst: -1 });
    } else if (op === 'Flatten') {
      const src = id(node.inputs[0] as string);
      const x = shapes[src] as number[];
      if (a.int('axis', 1) !== 1 || x.length !== 4 || x[2] !== 1 || x[3] !== 1)
        throw new NotLowerable(`Flatten of [${x}]`);
      alias(out, node.inputs[0] as string);
    } else if (op === 'Identity' || op === 'Dropout') {
      alias(out, node.inputs[0] as string);
    } else if (op === 'Gemm') {
      if (a.int('transA', 0) !== 0 || a.float('alpha', 1) !== 1 || a.float('beta', 1) !== 1)
        throw new NotLowerable('Gemm with transA, alpha or beta');
      const src = id(node.inputs[0] as string);
      let w = constant(node.inputs[1] as string);
      const b = constant(node.inputs[2] as string);
      if (a.int('transB', 0) === 0) w = w.t().contiguous();
      if (w.ndim !== 2 || b.ndim !== 1) throw new NotLowerable('Gemm with a broadcast bias');
      const x = shapes[src] as number[];
      define(out, [x[0] as number, w.shape[0] as number], {
        op: 'linear',
        src,
        dst: -1,
        weight: w.handle,
        bias: b.handle,
      });
    } else {
      throw new Error(`dnnl plan: op ${op} is in LOWERED_OPS without a lowering`);
    }
  }
  return { ops, output: id(outputName) };
}

/**
 * Bytes of a native plan's activations: `activations` if each had its own buffer (as before plans
 * shared), `arena` the one buffer that those without padding share (two share bytes only when no
 * step needs both), `own` those with padding (blocked layouts whose channels are not a multiple of the
 * block), which keep their own.
 */
export interface NativePlanMemory {
  activations: number;
  arena: number;
  own: number;
  /** weights (and batch-norm statistics, biases) in the layouts the plan's primitives want */
  weights: number;
  /** the part of `weights` shared with another plan of the graph (another input shape, same layout) */
  sharedWeights: number;
}

const planKey = (shape: readonly number[], dtype: PlanDType) => `${shape.join('x')}:${dtype}`;

/** The native plans of one graph, per input shape and dtype, rebuilt when a weight changes. */
export class DnnlPlans {
  readonly #plans = new Map<string, { plan: PlanHandle | null; stamps: string; reason: string | null }>();
  #handles: { of: ReadonlyMap<string, Tensor>; handles: Handle[] } | undefined;

  /**
   * The graph's output for `x` (float32), computed in `dtype` (and of that type), or null when the plan
   * cannot take this graph or shape (the reason is kept: `reason(shape, dtype)`).
   */
  run(
    plan: ExecutionPlan,
    io: { input: string; output: string },
    x: Tensor,
    constants: ReadonlyMap<string, Tensor>,
    folds: FoldCache,
    dtype: PlanDType = 'float32',
  ): Tensor | null {
    if (!dnnlPlanAvailable() || x.dtype !== 'float32' || x.device !== 'cpu') return null;
    const key = planKey(x.shape, dtype);
    // in-place writes bump a version (and versions never go down); .to() swaps storage or dtype: the
    // stamp is the versions' sum and a hash of every tensor's data pointer and dtype
    if (this.#handles?.of !== constants)
      this.#handles = { of: constants, handles: [...constants.values()].map((t) => t.handle) };
    const stamps = (addon as DnnlBinding).dnnlPlanVersions(this.#handles.handles);
    let entry = this.#plans.get(key);
    if (entry !== undefined) this.#plans.delete(key); // re-inserted below: most recently used last
    if (entry === undefined || (entry.plan !== null && entry.stamps !== stamps)) {
      if (entry?.plan) (addon as DnnlBinding).dnnlPlanFree(entry.plan);
      // a plan of the same weights for another shape lends its weight copies (the same layout, often),
      // best one of the same dtype
      const donors = [...this.#plans].filter(([, e]) => e.plan !== null && e.stamps === stamps);
      const donor = (donors.find(([k]) => k.endsWith(`:${dtype}`)) ?? donors[0])?.[1].plan ?? null;
      entry = this.#build(plan, io, x.shape, constants, folds, stamps, dtype, donor);
    }
    this.#plans.set(key, entry);
    for (const [old, e] of this.#plans) {
      if (this.#plans.size <= MAX_PLANS) break;
      if (e.plan) (addon as DnnlBinding).dnnlPlanFree(e.plan);
      this.#plans.delete(old);
    }
    if (entry.plan === null) return null;
    return new Tensor((addon as DnnlBinding).dnnlPlanRun(entry.plan, x.handle));
  }

  /** Why the plan does not run for inputs of `shape` in `dtype`: null when it ran, 'not tried' before any pass. */
  reason(shape: readonly number[], dtype: PlanDType = 'float32'): string | null {
    const entry = this.#plans.get(planKey(shape, dtype));
    return entry === undefined ? 'not tried' : entry.reason;
  }

  #build(
    plan: ExecutionPlan,
    io: { input: string; output: string },
    shape: readonly number[],
    constants: ReadonlyMap<string, Tensor>,
    folds: FoldCache,
    stamps: string,
    dtype: PlanDType,
    donor: PlanHandle | null,
  ): { plan: PlanHandle | null; stamps: string; reason: string | null } {
    return torch.scope(() => {
      try {
        const { ops, output } = lowerPlan(plan, io.input, io.output, shape, constants, folds);
        const handle = (addon as DnnlBinding).dnnlPlanCreate(ops, { shape: [...shape], output, dtype }, donor);
        return { plan: handle, stamps, reason: null };
      } catch (e) {
        // the node-by-node path then runs, and reports any real error in the graph itself
        return { plan: null, stamps, reason: (e as Error).message };
      }
    });
  }

  /** The activation memory of the plan for `shape` in `dtype`, or null when there is none. */
  memory(shape: readonly number[], dtype: PlanDType = 'float32'): NativePlanMemory | null {
    const plan = this.#plans.get(planKey(shape, dtype))?.plan;
    return plan ? (addon as DnnlBinding).dnnlPlanMemory(plan) : null;
  }

  /** Frees every plan (they are rebuilt on the next pass that needs them). */
  clear(): void {
    for (const e of this.#plans.values()) if (e.plan) (addon as DnnlBinding).dnnlPlanFree(e.plan);
    this.#plans.clear();
  }
}
