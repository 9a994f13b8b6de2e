/**
 * Math, comparison, logic, cast and reduction ops that exporters emit around the layers: Pow, Sqrt, Erf
 * (GELU), Exp, Log, Abs, Neg, Floor, Ceil, Reciprocal, Max/Min/Sum/Mean (variadic), Softplus, Elu, Selu,
 * PRelu, LogSoftmax, Less/Greater/Equal(/OrEqual), Not/And/Or/Xor, Cast/CastLike, ReduceSum/Max/Min/
 * L2/SumSquare, LayerNormalization.
 */
import { isFloatingDType } from '../../../tensor/dtype.js';
import * as torch from '../../../tensor/index.js';
import type { Tensor } from '../../../tensor/tensor.js';
import { describeNode, nodeError } from '../attributes.js';
import { dtypeFromOnnx } from '../tensor-proto.js';
import { axis, ints, maxOutputs, type OpConverter, type PrepareContext, required } from './converter.js';
import { simple } from './elementwise.js';

type Fn = (...a: unknown[]) => Tensor;
const erf = torch.ops.aten.erf as unknown as Fn;

const unary = (fn: (x: Tensor) => Tensor) => simple(([x]) => fn(x as Tensor), 1);
const binary = (fn: (a: Tensor, b: Tensor) => Tensor) => simple(([a, b]) => fn(a as Tensor, b as Tensor), 2);

/** Max, Min, Sum, Mean: one or more inputs, broadcast together. */
function variadic(fn: (a: Tensor, b: Tensor) => Tensor, mean = false): OpConverter {
  return {
    prepare(c) {
      c.attrs.allow([]);
      return (inputs) => {
        const xs = inputs.map((_, i) => required(c, inputs, i));
        if (xs.length === 0) nodeError(c.node, 'needs at least one input');
        let acc = xs[0] as Tensor;
        for (const x of xs.slice(1)) acc = fn(acc, x);
        return [mean ? torch.div(acc, xs.length) : acc];
      };
    },
  };
}

/** Softmax-like ops: before opset 13 they flatten to 2-d at `axis` and normalise over everything after it. */
const logSoftmax: OpConverter = {
  prepare(c) {
    c.attrs.allow(['axis']);
    const legacy = c.opset < 13;
    const axisAttr = c.attrs.int('axis', legacy ? 1 : -1);
    return (inputs) => {
      const x = required(c, inputs, 0);
      const ax = axis(c, axisAttr, x.ndim);
      if (!legacy || ax === x.ndim - 1) return [torch.logSoftmax(x, ax)];
      return torch.scope(() => [torch.logSoftmax(x.flatten(ax), ax).reshape(x.shape)]);
    };
  },
};

const cast: OpConverter = {
  prepare(c) {
    c.attrs.allow(['to']);
    if (!c.attrs.has('to')) nodeError(c.node, "attribute 'to' is required");
    const dtype = dtypeFromOnnx(c.attrs.int('to', 0), `${describeNode(c.node)} attribute 'to'`, c.node.where);
    // ONNX float -> integer casts truncate toward zero, as LibTorch's do
    return (inputs) => [required(c, inputs, 0).to(dtype)];
  },
};

const castLike: OpConverter = {
  prepare(c) {
    c.attrs.allow([]);
    return (inputs) => [required(c, inputs, 0).to(required(c, inputs, 1).dtype)];
  },
};

/** ONNX Pow: the result has the base's type. */
const pow = binary((a, b) => {
  const r = torch.pow(a, b);
  return r.dtype === a.dtype ? r : r.to(a.dtype);
});

/**
 * A reduction over `axes` (an attribute, or from opset `axesInputFrom` the second input); no axes means
 * all of them unless noop_with_empty_axes.
 */
function reduce(fn: (x: Tensor, dims: number[], keep: boolean) => Tensor, axesInputFrom: number): OpConverter {
  return {
    prepare(c) {
      const fromInput = c.opset >= axesInputFrom;
      c.attrs.allow(fromInput ? ['keepdims', 'noop_with_empty_axes'] : ['axes', 'keepdims']);
      const keep = c.attrs.int('keepdims', 1) === 1;
      const noop = c.attrs.int('noop_with_empty_axes', 0) === 1;
      const axesAttr = c.attrs.ints('axes');
      return (inputs) => {
        const x = required(c, inputs, 0);
        const given = fromInput ? (inputs[1] ? ints(inputs[1]) : []) : (axesAttr ?? []);
        if (given.length === 0 && noop) return [x];
        const dims =
          given.length === 0 ? Array.from({ length: x.ndim }, (_, i) => i) : given.map((a) => axis(c, a, x.ndim));
        return [fn(x, dims, keep)];
      };
    },
  };
}

const layerNormalization: OpConverter = {
  trainableInputs: [1, 2],
  prepare(c) {
    c.attrs.allow(['axis', 'epsilon', 'stash_type']);
    maxOutputs(c, 1);
    const axisAttr = c.attrs.int('axis', -1);
    const eps = c.attrs.float('epsilon', 1e-5);
    c.attrs.oneOf('stash_type', c.attrs.int('stash_type', 1), [1]);
    return (inputs) => {
      const x = required(c, inputs, 0);
      const a = axis(c, axisAttr, x.ndim);
      const normalized = x.shape.slice(a);
      const scale = required(c, inputs, 1);
      const bias = inputs[2];
      const fits = (t: Tensor) => t.shape.join(',') === normalized.join(',');
      if (fits(scale) && (bias === undefined || fits(bias))) {
        return [torch.layerNorm(x, normalized, scale, bias ?? null, eps)];
      }
      // scale or bias that broadcast rather than match: normalise, then apply them
      const y = torch.layerNorm(x, normalized, null, null, eps);
      const scaled = torch.mul(y, scale);
      return [bias ? torch.add(scaled, bias) : scaled];
    };
  },
};

const prelu: OpConverter = {
  trainableInputs: [1],
  prepare(c) {
    c.attrs.allow([]);
    return (inputs) => {
      const x = required(c, inputs, 0);
      const slope = required(c, inputs, 1);
      return [torch.where(torch.ge(x, 0), x, torch.mul(x, slope))];
    };
  },
};

function withAlpha(name: string, fallback: number, fn: (x: Tensor, alpha: number, c: PrepareContext) => Tensor) {
  return {
    prepare(c: PrepareContext) {
      c.attrs.allow([name]);
      const alpha = c.attrs.float(name, fallback);
      return (inputs: readonly (Tensor | undefined)[]) => [fn(required(c, inputs, 0), alpha, c)];
    },
  } satisfies OpConverter;
}

const selu: OpConverter = {
  prepare(c) {
    c.attrs.allow(['alpha', 'gamma']);
    const alpha = c.attrs.float('alpha', 1.6732632); // ONNX's float32 defaults;
    const gamma = c.attrs.float('gamma', 1.050701);
    return (inputs) => [torch.elu(required(c, inputs, 0), alpha, gamma)];
  },
};

const floatOnly = (what: string, fn: (x: Tensor) => Tensor) =>
  unary((x) => {
    if (!isFloatingDType(x.dtype)) throw new TypeError(`${what} needs a floating input, got ${x.dtype}`);
    return fn(x);
  });

export const mathOps: Record<string, OpConverter> = {
  Pow: pow,
  Sqrt: unary((x) => torch.sqrt(x)),
  Erf: floatOnly('Erf', (x) => erf(x)),
  Exp: unary((x) => torch.exp(x)),
  Log: unary((x) => torch.log(x)),
  Abs: unary((x) => torch.abs(x)),
  Neg: unary((x) => torch.neg(x)),
  Floor: unary((x) => torch.floor(x)),
  Ceil: unary((x) => torch.ceil(x)),
  Reciprocal: unary((x) => torch.reciprocal(x)),
  Max: variadic((a, b) => torch.maximum(a, b)),
  Min: variadic((a, b) => torch.minimum(a, b)),
  Sum: variadic((a, b) => torch.add(a, b)),
  Mean: variadic((a, b) => torch.add(a, b), true),
  Softplus: unary((x) => torch.softplus(x)),
  Elu: withAlpha('alpha', 1, (x, alpha) => torch.elu(x, alpha)),
  Selu: selu,
  PRelu: prelu,
  LogSoftmax: logSoftmax,
  Less: binary((a, b) => torch.lt(a, b)),
  LessOrEqual: binary((a, b) => torch.le(a, b)),
  Greater: binary((a, b) => torch.gt(a, b)),
  GreaterOrEqual: binary((a, b) => torch.ge(a, b)),
  Equal: binary((a, b) => torch.eq(a, b)),
  Not: unary((x) => torch.logicalNot(x)),
  And: binary((a, b) => torch.logicalAnd(a, b)),
  Or: binary((a, b) => torch.logicalOr(a, b)),
  Xor: binary((a, b) => torch.logicalXor(a, b)),
  Cast: cast,
  CastLike: castLike,
  ReduceSum: reduce((x, dims, keep) => torch.sum(x, dims, keep), 13),
  ReduceMax: reduce((x, dims, keep) => torch.amax(x, dims, keep), 18),
  ReduceMin: reduce((x, dims, keep) => torch.amin(x, dims, keep), 18),
  ReduceSumSquare: reduce((x, dims, keep) => torch.sum(torch.mul(x, x), dims, keep), 18),
  ReduceL2: reduce((x, dims, keep) => torch.sqrt(torch.sum(torch.mul(x, x), dims, keep)), 18),
  LayerNormalization: layerNormalization,
};
