/** Element-wise ONNX ops: arithmetic with broadcasting and the activations image classifiers use. */
import { isFloatingDType } from '../../../tensor/dtype.js';
import * as torch from '../../../tensor/index.js';
import type { Tensor } from '../../../tensor/tensor.js';
import { type OpConverter, type PrepareContext, required } from './converter.js';

/** An op with no attributes and one output computed from its inputs. */
function simple(fn: (x: Tensor[], c: PrepareContext) => Tensor, arity: number): OpConverter {
  return {
    prepare(c) {
      c.attrs.allow([]);
      return (inputs) => [
        fn(
          Array.from({ length: arity }, (_, i) => required(c, inputs, i)),
          c,
        ),
      ];
    },
  };
}

const bothInt = (a: Tensor, b: Tensor) => !isFloatingDType(a.dtype) && !isFloatingDType(b.dtype);

export const elementwiseOps: Record<string, OpConverter> = {
  Add: simple(([a, b]) => torch.add(a as Tensor, b as Tensor), 2),
  Sub: simple(([a, b]) => torch.sub(a as Tensor, b as Tensor), 2),
  Mul: simple(([a, b]) => torch.mul(a as Tensor, b as Tensor), 2),
  // ONNX integer division truncates toward zero, as C does.
  Div: simple(
    ([a, b]) =>
      bothInt(a as Tensor, b as Tensor)
        ? torch.div(a as Tensor, b as Tensor, { roundingMode: 'trunc' })
        : torch.div(a as Tensor, b as Tensor),
    2,
  ),
  Relu: simple(([x]) => torch.relu(x as Tensor), 1),
  Sigmoid: simple(([x]) => torch.sigmoid(x as Tensor), 1),
  Tanh: simple(([x]) => torch.tanh(x as Tensor), 1),
  HardSwish: simple(([x]) => torch.hardswish(x as Tensor), 1),
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
      return (inputs) => {
        const x = required(c, inputs, 0);
        return [isTorch ? torch.hardsigmoid(x) : torch.clamp(torch.add(torch.mul(x, alpha), beta), 0, 1)];
      };
    },
  },
  Clip: {
    prepare(c) {
      if (c.opset < 11) {
        c.attrs.allow(['min', 'max']);
        const min = c.attrs.float('min', Number.NEGATIVE_INFINITY);
        const max = c.attrs.float('max', Number.POSITIVE_INFINITY);
        return (inputs) => [torch.clamp(required(c, inputs, 0), min, max)];
      }
      c.attrs.allow([]);
      return (inputs) => {
        const x = required(c, inputs, 0);
        const bound = (t: Tensor | undefined) => (t === undefined ? null : (t.item() as number));
        return [torch.clamp(x, bound(inputs[1]), bound(inputs[2]))];
      };
    },
  },
};
