/** Conv and ConvTranspose (1-d, 2-d, 3-d) through ATen's convolution. */
import * as torch from '../../../tensor/index.js';
import type { Tensor } from '../../../tensor/tensor.js';
import { nodeError } from '../attributes.js';
import { channelsLast } from '../inference.js';
import { maxOutputs, type OpConverter, type PrepareContext, type Runner, required, withBlocked } from './converter.js';
import { readSpatial, resolvePads, spatialList, symmetric, torchPadList } from './padding.js';

const atenConvolution = torch.ops.aten.convolution as unknown as (
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  stride: number[],
  padding: number[],
  dilation: number[],
  transposed: boolean,
  outputPadding: number[],
  groups: number,
) => Tensor;

/**
 * aten::convolution is not on LibTorch's CPU autocast list (conv1d/2d/3d and conv_transpose* are), so
 * under autocast its float32 arguments are cast to the autocast dtype here, as autocast does for those.
 */
const convolution: typeof atenConvolution = (input, weight, bias, ...rest) => {
  if (!torch.isAutocastEnabled()) return atenConvolution(input, weight, bias, ...rest);
  const dtype = torch.getAutocastDtype();
  const cast = (t: Tensor) => (t.dtype === 'float32' ? t.to(dtype) : t);
  return atenConvolution(cast(input), cast(weight), bias === null ? null : cast(bias), ...rest);
};

function checkKernel(c: PrepareContext, kernelShape: number[] | undefined, w: Tensor): number[] {
  const kernel = w.shape.slice(2);
  if (kernelShape && kernelShape.join(',') !== kernel.join(',')) {
    nodeError(c.node, `kernel_shape [${kernelShape}] does not match the weight's [${kernel}]`);
  }
  return kernel;
}

const mkldnnConvolution = torch.ops.aten.mkldnn_convolution as unknown as (
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  padding: number[],
  stride: number[],
  dilation: number[],
  groups: number,
) => Tensor;

const conv: OpConverter = {
  trainableInputs: [1, 2],
  prepare(c) {
    c.attrs.allow(['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides']);
    const a = readSpatial(c);
    const group = c.attrs.int('group', 1);
    maxOutputs(c, 1);
    const geometry = (inputs: readonly (Tensor | undefined)[]) => {
      const x = required(c, inputs, 0);
      const w = required(c, inputs, 1);
      const n = w.ndim - 2;
      if (n < 1 || n > 3) nodeError(c.node, `weight of rank ${w.ndim}: only 1-d, 2-d and 3-d convolutions`);
      if (x.ndim !== n + 2) nodeError(c.node, `input of rank ${x.ndim} for a ${n}-d convolution`);
      const kernel = checkKernel(c, a.kernelShape, w);
      const strides = spatialList(c, 'strides', a.strides, n, 1);
      const dilations = spatialList(c, 'dilations', a.dilations, n, 1);
      const [begin, end] = resolvePads(c, a, x.shape.slice(2), kernel, strides, dilations);
      return { x, w, n, strides, dilations, begin, end, bias: inputs[2] ?? null };
    };
    const dense: Runner = (inputs) => {
      const { x, w, n, strides, dilations, begin, end, bias } = geometry(inputs);
      if (symmetric(begin, end)) {
        return torch.scope(() => [
          convolution(channelsLast(x), w, bias, strides, begin, dilations, false, new Array(n).fill(0), group),
        ]);
      }
      return torch.scope(() => {
        const padded = channelsLast(torch.constantPadNd(x, torchPadList(begin, end), 0));
        return [
          convolution(padded, w, bias, strides, new Array(n).fill(0), dilations, false, new Array(n).fill(0), group),
        ];
      });
    };
    return withBlocked(
      dense,
      (inputs, ctx) => {
        const { x, w, n, strides, dilations, begin, end, bias } = geometry(inputs);
        if (n !== 2 || !symmetric(begin, end) || !ctx.accepts(x) || w.dtype !== 'float32') return null;
        const weight = ctx.convWeight(w, begin, strides, dilations, group);
        return [mkldnnConvolution(ctx.toBlocked(x), weight, bias, begin, strides, dilations, group)];
      },
      (inputs, ctx) => {
        const { x, w, n, strides, dilations, begin, end, bias } = geometry(inputs);
        if (n !== 2 || !symmetric(begin, end)) return null;
        const y = ctx.conv2d(x, w, bias, { stride: strides, padding: begin, dilation: dilations, groups: group });
        return y === null ? null : [y];
      },
    );
  },
};

const convTranspose: OpConverter = {
  trainableInputs: [1, 2],
  prepare(c) {
    c.attrs.allow([
      'auto_pad',
      'dilations',
      'group',
      'kernel_shape',
      'output_padding',
      'output_shape',
      'pads',
      'strides',
    ]);
    const a = readSpatial(c);
    const group = c.attrs.int('group', 1);
    const outputPaddingAttr = c.attrs.ints('output_padding');
    const outputShape = c.attrs.ints('output_shape');
    maxOutputs(c, 1);
    return (inputs) => {
      const x = required(c, inputs, 0);
      const w = required(c, inputs, 1);
      const n = w.ndim - 2;
      if (n < 1 || n > 3) nodeError(c.node, `weight of rank ${w.ndim}: only 1-d, 2-d and 3-d convolutions`);
      if (x.ndim !== n + 2) nodeError(c.node, `input of rank ${x.ndim} for a ${n}-d convolution`);
      const kernel = checkKernel(c, a.kernelShape, w);
      const strides = spatialList(c, 'strides', a.strides, n, 1);
      const dilations = spatialList(c, 'dilations', a.dilations, n, 1);
      const outPad = spatialList(c, 'output_padding', outputPaddingAttr, n, 0);
      const inSizes = x.shape.slice(2);
      // Full output before cropping: stride * (in - 1) + (k - 1) * d + 1.
      const full = inSizes.map(
        (s, i) => (strides[i] as number) * (s - 1) + ((kernel[i] as number) - 1) * (dilations[i] as number) + 1,
      );
      let begin: number[];
      let end: number[];
      if (outputShape !== undefined || a.autoPad === 'SAME_UPPER' || a.autoPad === 'SAME_LOWER') {
        const target =
          outputShape !== undefined
            ? spatialList(c, 'output_shape', outputShape.slice(-n), n, 0)
            : inSizes.map((s, i) => s * (strides[i] as number));
        const total = target.map((t, i) => (full[i] as number) + (outPad[i] as number) - t);
        // Only SAME_UPPER puts the odd element at the end (ONNX: SAME_LOWER and output_shape put it first).
        const upper = a.autoPad === 'SAME_UPPER';
        begin = total.map((t) => (upper ? Math.floor(t / 2) : t - Math.floor(t / 2)));
        end = total.map((t, i) => t - (begin[i] as number));
      } else if (a.autoPad === 'VALID') {
        begin = new Array(n).fill(0);
        end = new Array(n).fill(0);
      } else {
        const p = a.pads ?? new Array(2 * n).fill(0);
        if (p.length !== 2 * n)
          nodeError(c.node, `attribute 'pads' has ${p.length} values for ${n} spatial dimensions`);
        begin = p.slice(0, n);
        end = p.slice(n);
      }
      const bias = inputs[2] ?? null;
      const zeros = new Array(n).fill(0);
      if (
        symmetric(begin, end) &&
        begin.every((b) => b >= 0) &&
        outPad.every((o, i) => o < Math.max(strides[i] as number, dilations[i] as number))
      ) {
        return [convolution(x, w, bias, strides, begin, dilations, true, outPad, group)];
      }
      // General case: the full transposed convolution, then crop `begin` and `end - output_padding`
      // (negative amounts pad with zeros), then the bias.
      return torch.scope(() => {
        let y = convolution(x, w, null, strides, zeros, dilations, true, zeros, group);
        const crop: number[] = [];
        for (let i = 0; i < n; i++) crop.push(-(begin[i] as number), -((end[i] as number) - (outPad[i] as number)));
        const torchOrder: number[] = [];
        for (let i = n - 1; i >= 0; i--) torchOrder.push(crop[2 * i] as number, crop[2 * i + 1] as number);
        y = torch.constantPadNd(y, torchOrder, 0);
        if (bias) y = torch.add(y, bias.reshape([1, -1, ...new Array(n).fill(1)]));
        return [y];
      });
    };
  },
};

export const convOps: Record<string, OpConverter> = { Conv: conv, ConvTranspose: convTranspose };
