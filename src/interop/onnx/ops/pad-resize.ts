/** Pad (constant, reflect, edge) and Resize (nearest, linear and cubic over the last two dimensions). */
import * as torch from '../../../tensor/index.js';
import type { Tensor } from '../../../tensor/tensor.js';
import { nodeError } from '../attributes.js';
import { axis, ints, type OpConverter, required } from './converter.js';

const upsampleBicubic2d = torch.ops.aten.upsample_bicubic2d as unknown as (
  x: Tensor,
  size: number[] | null,
  alignCorners: boolean,
  factors: number[] | null,
) => Tensor;
const atenPad = torch.ops.aten.pad as unknown as (x: Tensor, pad: number[], options: { mode: string }) => Tensor;

const pad: OpConverter = {
  prepare(c) {
    c.attrs.allow(c.opset >= 11 ? ['mode'] : ['mode', 'pads', 'value']);
    const mode = c.attrs.oneOf('mode', c.attrs.string('mode', 'constant'), ['constant', 'reflect', 'edge']);
    const padsAttr = c.attrs.ints('pads');
    const valueAttr = c.attrs.float('value', 0);
    return (inputs) => {
      const x = required(c, inputs, 0);
      const r = x.ndim;
      let pads = c.opset >= 11 ? ints(required(c, inputs, 1)) : padsAttr;
      if (!pads) nodeError(c.node, "attribute 'pads' is required");
      const value = c.opset >= 11 ? (inputs[2] ? (inputs[2].item() as number) : 0) : valueAttr;
      if (c.opset >= 18 && inputs[3]) {
        // pads for the listed axes only
        const axes = ints(inputs[3]).map((a) => axis(c, a, r));
        const full = new Array(2 * r).fill(0);
        axes.forEach((a, i) => {
          full[a] = pads?.[i];
          full[a + r] = pads?.[i + axes.length];
        });
        pads = full;
      }
      if (pads.length !== 2 * r) nodeError(c.node, `pads has ${pads.length} values for rank ${r}`);
      // torch's order: last dimension first, [begin, end] pairs; leading all-zero pairs dropped.
      const list: number[] = [];
      for (let i = r - 1; i >= 0; i--) list.push(pads[i] as number, pads[i + r] as number);
      while (list.length > 0 && list[list.length - 1] === 0 && list[list.length - 2] === 0) list.length -= 2;
      if (list.length === 0) return [x];
      if (mode === 'constant') return [torch.constantPadNd(x, list, value)];
      if (list.length / 2 > Math.min(3, r - 2)) {
        nodeError(c.node, `mode '${mode}' pads at most the last 3 dimensions after [N, C], got pads [${pads}]`);
      }
      return [atenPad(x, list, { mode: mode === 'edge' ? 'replicate' : 'reflect' })];
    };
  },
};

const resize: OpConverter = {
  prepare(c) {
    const legacy = c.opset < 11;
    const known = legacy
      ? ['mode']
      : [
          'coordinate_transformation_mode',
          'cubic_coeff_a',
          'exclude_outside',
          'extrapolation_value',
          'mode',
          'nearest_mode',
          ...(c.opset >= 18 ? ['antialias', 'axes', 'keep_aspect_ratio_policy'] : []),
        ];
    c.attrs.allow(known);
    const mode = c.attrs.oneOf('mode', c.attrs.string('mode', 'nearest'), ['nearest', 'linear', 'cubic']);
    const coord = legacy ? 'asymmetric' : c.attrs.string('coordinate_transformation_mode', 'half_pixel');
    if (c.attrs.int('exclude_outside', 0) !== 0) nodeError(c.node, 'exclude_outside=1 is not supported');
    if (c.attrs.int('antialias', 0) !== 0) nodeError(c.node, 'antialias=1 is not supported');
    if (c.attrs.has('axes')) nodeError(c.node, "attribute 'axes' is not supported");
    c.attrs.oneOf('keep_aspect_ratio_policy', c.attrs.string('keep_aspect_ratio_policy', 'stretch'), ['stretch']);
    let alignCorners = false;
    if (mode === 'nearest') {
      c.attrs.oneOf('coordinate_transformation_mode', coord, ['asymmetric']);
      if (!legacy) c.attrs.oneOf('nearest_mode', c.attrs.string('nearest_mode', 'round_prefer_floor'), ['floor']);
    } else {
      c.attrs.oneOf('coordinate_transformation_mode', coord, ['half_pixel', 'pytorch_half_pixel', 'align_corners']);
      alignCorners = coord === 'align_corners';
      // torch's bicubic kernel is Keys' with a = -0.75, ONNX's default
      if (mode === 'cubic') c.attrs.oneOf('cubic_coeff_a', c.attrs.float('cubic_coeff_a', -0.75), [-0.75]);
    }
    const scalesInput = legacy ? 1 : 2;
    return (inputs) => {
      const x = required(c, inputs, 0);
      if (x.ndim !== 4) nodeError(c.node, `input of rank ${x.ndim}: only [N, C, H, W] is supported`);
      const scalesT = inputs[scalesInput];
      const sizesT = legacy ? undefined : inputs[3];
      const scales = scalesT && scalesT.numel() > 0 ? scalesT.toArray() : undefined;
      const sizes = sizesT && sizesT.numel() > 0 ? ints(sizesT) : undefined;
      if ((scales === undefined) === (sizes === undefined)) nodeError(c.node, 'needs exactly one of scales and sizes');
      const nc = scales ? scales.slice(0, 2) : (sizes as number[]).slice(0, 2);
      const same = scales ? nc.every((s) => s === 1) : nc.every((s, i) => s === x.shape[i]);
      if (!same) nodeError(c.node, 'resizing the batch or channel dimension is not supported');
      const outSize = scales
        ? [
            Math.floor((x.shape[2] as number) * (scales[2] as number)),
            Math.floor((x.shape[3] as number) * (scales[3] as number)),
          ]
        : (sizes as number[]).slice(2);
      // torch computes coordinates from the scale factors when given, from the sizes otherwise; ONNX likewise.
      const factors = scales ? (scales.slice(2) as [number, number]) : null;
      if (mode === 'nearest') {
        return [factors ? torch.upsampleNearest2d(x, null, factors) : torch.upsampleNearest2d(x, outSize, null)];
      }
      if (mode === 'cubic') {
        return [
          factors && !alignCorners
            ? upsampleBicubic2d(x, null, alignCorners, factors)
            : upsampleBicubic2d(x, outSize, alignCorners, null),
        ];
      }
      return [
        factors && !alignCorners
          ? torch.upsampleBilinear2d(x, null, alignCorners, factors)
          : torch.upsampleBilinear2d(x, outSize, alignCorners, null),
      ];
    };
  },
};

export const padResizeOps: Record<string, OpConverter> = { Pad: pad, Resize: resize };
