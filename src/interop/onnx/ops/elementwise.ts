/** Element-wise ONNX ops: arithmetic with broadcasting and the activations image classifiers use. */
import { isFloatingDType } from '../../../tensor/dtype.js';
import * as torch from '../../../tensor/index.js';
import type { Tensor } from '../../../tensor/tensor.js';
import { type OpConverter, type PrepareContext, type Runner, required, withBlocked, withInPlace } from './converter.js';

const hardswish_ = torch.ops.aten.hardswish_ as unknown as (x: Tensor) => Tensor;
const hardsigmoid_ = torch.ops.aten.hardsigmoid_ as unknown as (x: Tensor) => Tensor;

/** A unary activation, with an in-place variant for floating inputs (the inference path's, see Runner.inPlace). */
function activation(fn: (x: Tensor) => Tensor, inPlace: (x: Tensor) => Tensor, blocked = false): OpConverter {
  const base = simple(([x]) => fn(x as Tensor), 1, blocked);
  return {
    prepare(c) {
      const run = base.prepare(c);
      return withInPlace(run, (inputs) => {
        const x = required(c, inputs, 0);
        return isFloatingDType(x.dtype) ? inPlace(x) : null;
      });
    },
  };
}

/**
 * An op with no attributes and one output computed from its inputs. `blocked`: the same function runs
 * on oneDNN's blocked layout when an input is blocked already and all have the same shape (mkldnn
 * tensors do not broadcast).
 */
export function simple(fn: (x: Tensor[], c: PrepareContext) => Tensor, arity: number, blocked = false): OpConverter {
  return {
    prepare(c) {
      c.attrs.allow([]);
      const args = (inputs: readonly (Tensor | undefined)[]) =>
        Array.from({ length: arity }, (_, i) => required(c, inputs, i));
      const dense: Runner = (inputs) => [fn(args(inputs), c)];
      if (!blocked) return dense;
      return withBlocked(dense, (inputs, ctx) => {
        const xs = args(inputs);
        const shape = (xs[0] as Tensor).shape.join(',');
        if (!xs.some((x) => ctx.isBlocked(x))) return null; // converting only for this op would not pay
        if (!xs.every((x) => ctx.accepts(x) && x.shape.join(',') === shape)) return null;
        return [
          fn(
            xs.map((x) => ctx.toBlocked(x)),
            c,
          ),
        ];
      });
    },
  };
}

const bothInt = (a: Tensor, b: Tensor) => !isFloatingDType(a.dtype) && !isFloatingDType(b.dtype);

export const elementwiseOps: Record<string, OpConverter> = {
  Add: simple(([a, b]) => torch.add(a as Tensor, b as Tensor), 2, true),
  Sub: simple(([a, b]) => torch.sub(a as Tensor, b as Tensor), 2),
  Mul: simple(([a, b]) => torch.mul(a as Tensor, b as Tensor), 2, true),
  // ONNX integer division truncates toward zero, as C does.
  Div: simple(
    ([a, b]) =>
      bothInt(a as Tensor, b as Tensor)
        ? torch.div(a as Tensor, b as Tensor, { roundingMode: 'trunc' })
        : torch.div(a as Tensor, b as Tensor),
    2,
  ),
  Relu: simple(([x]) => torch.relu(x as Tensor), 1, true),
  Sigmoid: activation(torch.sigmoid, torch.sigmoid_, true),
  Tanh: simple(([x]) => torch.tanh(x as Tensor), 1),
  HardSwish: activation(torch.hardswish, hardswish_),
  LeakyRelu: {
    prepare(c) {
      const alpha = c.attrs.allow(['alpha']).float('alpha', 0.01);
      return (inputs) => [torch.leakyRelu(required(c, inputs, 0), alpha)];
    },
  },
  HardSigmoid: {
    prepare(c) {
      c.attrs.allow(['alpha', 'beta']);
      const alpha = c.attrs.float('alpha', 0.2);
      const beta = c.attrs.float('beta', 0.5);
      // torch's hardsigmoid is the alpha = 1/6, beta = 1/2 case (float32 attributes hold 1/6 rounded)
      const isTorch = Math.abs(alpha - 1 / 6) < 1e-7 && beta === 0.5;
      const run: Runner = (inputs) => {
        const x = required(c, inputs, 0);
        return [isTorch ? torch.hardsigmoid(x) : torch.clamp(torch.add(torch.mul(x, alpha), beta), 0, 1)];
      };
      if (!isTorch) return run;
      return withInPlace(run, (inputs) => {
        const x = required(c, inputs, 0);
        return isFloatingDType(x.dtype) ? hardsigmoid_(x) : null;
      });
    },
  },
  Clip: {
    prepare(c) {
      if (c.opset < 11) {
        c.attrs.allow(['min', 'max']);
        const min = c.attrs.float('min', Number.NEGATIVE_INFINITY);
        const max = c.attrs.float('max', Number.POSITIVE_INFINITY);
        return withInPlace(
          (inputs) => [torch.clamp(required(c, inputs, 0), min, max)],
          (inputs) => {
            const x = required(c, inputs, 0);
            return isFloatingDType(x.dtype) ? torch.clamp_(x, min, max) : null;
          },
        );
      }
      c.attrs.allow([]);
      const bound = (t: Tensor | undefined) => (t === undefined ? null : (t.item() as number));
      const run: Runner = (inputs) => {
        const x = required(c, inputs, 0);
        return [torch.clamp(x, bound(inputs[1]), bound(inputs[2]))];
      };
      // in place only where the bounds cannot change the result's dtype (a floating input)
      return withInPlace(run, (inputs) => {
        const x = required(c, inputs, 0);
        return isFloatingDType(x.dtype) ? torch.clamp_(x, bound(inputs[1]), bound(inputs[2])) : null;
      });
    },
  },
};
