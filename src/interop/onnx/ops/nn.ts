/** BatchNormalization, Gemm, MatMul, Softmax, Dropout and ReduceMean. */
import * as torch from '../../../tensor/index.js';
import { nodeError } from '../attributes.js';
import { axis, ints, maxOutputs, type OpConverter, required } from './converter.js';

const batchNormalization: OpConverter = {
  trainableInputs: [1, 2],
  prepare(c) {
    c.attrs.allow(c.opset >= 14 ? ['epsilon', 'momentum', 'training_mode'] : ['epsilon', 'momentum']);
    const eps = c.attrs.float('epsilon', 1e-5);
    // ONNX: running = momentum * running + (1 - momentum) * batch; torch's momentum is the other weight.
    const momentum = 1 - c.attrs.float('momentum', 0.9);
    // The running-statistics outputs of training_mode graphs are not exposed; the buffers update in place.
    maxOutputs(c, 1);
    return (inputs, ctx) => {
      const x = required(c, inputs, 0);
      const [scale, shift, mean, variance] = [1, 2, 3, 4].map((i) => required(c, inputs, i));
      return [torch.batchNorm(x, scale, shift, mean, variance, ctx.training, momentum, eps, false)];
    };
  },
};

const gemm: OpConverter = {
  trainableInputs: [1, 2],
  prepare(c) {
    c.attrs.allow(['alpha', 'beta', 'transA', 'transB']);
    const alpha = c.attrs.float('alpha', 1);
    const beta = c.attrs.float('beta', 1);
    const transA = c.attrs.int('transA', 0) === 1;
    const transB = c.attrs.int('transB', 0) === 1;
    return (inputs) => {
      const a = required(c, inputs, 0);
      const b = required(c, inputs, 1);
      const bias = inputs[2];
      if (a.ndim !== 2 || b.ndim !== 2) nodeError(c.node, `expects 2-d A and B, got ranks ${a.ndim} and ${b.ndim}`);
      // A fully connected layer (PyTorch's export of nn.Linear): one fused addmm.
      if (alpha === 1 && beta === 1 && !transA && transB && (bias === undefined || bias.ndim <= 1)) {
        return [torch.linear(a, b, bias ?? null)];
      }
      return torch.scope(() => {
        let y = torch.mm(transA ? a.t() : a, transB ? b.t() : b);
        if (alpha !== 1) y = torch.mul(y, alpha);
        if (bias !== undefined && beta !== 0) y = torch.add(y, beta === 1 ? bias : torch.mul(bias, beta));
        return [y];
      });
    };
  },
};

const matMul: OpConverter = {
  trainableInputs: [1],
  prepare(c) {
    c.attrs.allow([]);
    return (inputs) => [torch.matmul(required(c, inputs, 0), required(c, inputs, 1))];
  },
};

const softmax: OpConverter = {
  prepare(c) {
    c.attrs.allow(['axis']);
    const legacy = c.opset < 13;
    const axisAttr = c.attrs.int('axis', legacy ? 1 : -1);
    return (inputs) => {
      const x = required(c, inputs, 0);
      const ax = axis(c, axisAttr, x.ndim);
      if (!legacy || ax === x.ndim - 1) return [torch.softmax(x, ax)];
      // Before opset 13, Softmax flattens to 2-d at `axis` and normalises over everything after it.
      return torch.scope(() => [torch.softmax(x.flatten(ax), ax).reshape(x.shape)]);
    };
  },
};

const dropout: OpConverter = {
  prepare(c) {
    c.attrs.allow(c.opset >= 12 ? ['seed'] : ['ratio']);
    maxOutputs(c, 1);
    const ratioAttr = c.attrs.float('ratio', 0.5);
    return (inputs, ctx) => {
      const x = required(c, inputs, 0);
      // opset 12+: ratio and training_mode are inputs; the module's training flag decides when absent.
      const ratio = c.opset >= 12 && inputs[1] ? (inputs[1].item() as number) : ratioAttr;
      const training = c.opset >= 12 && inputs[2] ? Boolean(inputs[2].item()) : ctx.training;
      return [training && ratio > 0 ? torch.dropout(x, ratio, true) : x];
    };
  },
};

const reduceMean: OpConverter = {
  prepare(c) {
    const fromInput = c.opset >= 18;
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
      return [torch.mean(x, dims, keep)];
    };
  },
};

export const nnOps: Record<string, OpConverter> = {
  BatchNormalization: batchNormalization,
  Gemm: gemm,
  MatMul: matMul,
  Softmax: softmax,
  Dropout: dropout,
  ReduceMean: reduceMean,
};
