/** MaxPool, AveragePool (1-d to 3-d) and GlobalAveragePool. */
import * as torch from '../../../tensor/index.js';
import type { Tensor } from '../../../tensor/tensor.js';
import { nodeError } from '../attributes.js';
import {
  type BlockedRunner,
  maxOutputs,
  type OpConverter,
  type PrepareContext,
  type Runner,
  required,
  withBlocked,
} from './converter.js';
import { readSpatial, resolvePads, type SpatialAttrs, spatialList, symmetric, torchPadList } from './padding.js';

type Fn = (...a: unknown[]) => Tensor;
const aten = torch.ops.aten as unknown as Record<string, Fn>;

interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  begin: number[];
  end: number[];
}

function window(c: PrepareContext, a: SpatialAttrs, x: Tensor): Window {
  if (!a.kernelShape) nodeError(c.node, "attribute 'kernel_shape' is required");
  const n = a.kernelShape.length;
  if (n < 1 || n > 3 || x.ndim !== n + 2) {
    nodeError(c.node, `a ${n}-d kernel on an input of rank ${x.ndim}: only 1-d to 3-d pooling over [N, C, ...]`);
  }
  const strides = spatialList(c, 'strides', a.strides, n, 1);
  const dilations = spatialList(c, 'dilations', a.dilations, n, 1);
  const [begin, end] = resolvePads(c, a, x.shape.slice(2), a.kernelShape, strides, dilations);
  return { kernel: a.kernelShape, strides, dilations, begin, end };
}

/** torch accepts symmetric padding of at most half the (dilated) kernel; anything else is padded explicitly. */
const torchCanPad = (w: Window) =>
  symmetric(w.begin, w.end) &&
  w.begin.every((p, i) => 2 * p <= ((w.kernel[i] as number) - 1) * (w.dilations[i] as number) + 1);

const maxPool: OpConverter = {
  prepare(c) {
    c.attrs.allow(['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'storage_order', 'strides']);
    const a = readSpatial(c);
    const ceil = c.attrs.int('ceil_mode', 0) === 1;
    maxOutputs(c, 1);
    const dense: Runner = (inputs) => {
      const x = required(c, inputs, 0);
      const w = window(c, a, x);
      const n = w.kernel.length;
      const pool = (t: Tensor, pad: number[]) =>
        n === 2
          ? torch.maxPool2d(t, w.kernel, w.strides, pad, w.dilations, ceil)
          : (aten[`max_pool${n}d`] as Fn)(t, w.kernel, w.strides, pad, w.dilations, ceil);
      if (torchCanPad(w)) return [pool(x, w.begin)];
      return torch.scope(() => [
        pool(torch.constantPadNd(x, torchPadList(w.begin, w.end), Number.NEGATIVE_INFINITY), new Array(n).fill(0)),
      ]);
    };
    return withBlocked(
      dense,
      blockedPool(c, a, (x, w) => torch.maxPool2d(x, w.kernel, w.strides, w.begin, w.dilations, ceil)),
    );
  },
};

const averagePool: OpConverter = {
  prepare(c) {
    c.attrs.allow(['auto_pad', 'ceil_mode', 'count_include_pad', 'kernel_shape', 'pads', 'strides']);
    const a = readSpatial(c);
    const ceil = c.attrs.int('ceil_mode', 0) === 1;
    const includePad = c.attrs.int('count_include_pad', 0) === 1;
    maxOutputs(c, 1);
    const dense: Runner = (inputs) => {
      const x = required(c, inputs, 0);
      const w = window(c, a, x);
      const n = w.kernel.length;
      const pool = (t: Tensor, pad: number[], include: boolean) =>
        n === 2
          ? torch.avgPool2d(t, w.kernel, w.strides, pad, ceil, include, null)
          : n === 1
            ? (aten.avg_pool1d as Fn)(t, w.kernel, w.strides, pad, ceil, include)
            : (aten.avg_pool3d as Fn)(t, w.kernel, w.strides, pad, ceil, include, null);
      if (torchCanPad(w)) return [pool(x, w.begin, includePad)];
      return torch.scope(() => {
        const zeros = new Array(n).fill(0);
        const padList = torchPadList(w.begin, w.end);
        const sum = pool(torch.constantPadNd(x, padList, 0), zeros, true);
        if (includePad) return [sum];
        // Average over real elements only: divide by the share of the window that is not padding.
        const ones = torch.onesLike(x.select(1, 0).unsqueeze(1));
        return [torch.div(sum, pool(torch.constantPadNd(ones, padList, 0), zeros, true))];
      });
    };
    return withBlocked(
      dense,
      blockedPool(c, a, (x, w) => torch.avgPool2d(x, w.kernel, w.strides, w.begin, ceil, includePad, null)),
    );
  },
};

/** A 2-d pooling of a blocked input, where torch pads by itself (oneDNN has no explicit padding step). */
function blockedPool(c: PrepareContext, a: SpatialAttrs, pool: (x: Tensor, w: Window) => Tensor): BlockedRunner {
  return (inputs, ctx) => {
    const x = required(c, inputs, 0);
    if (x.ndim !== 4 || a.kernelShape?.length !== 2 || !ctx.isBlocked(x)) return null;
    const w = window(c, a, x);
    if (!torchCanPad(w)) return null;
    return [pool(x, w)];
  };
}

const globalAveragePool: OpConverter = {
  prepare(c) {
    c.attrs.allow([]);
    const dense: Runner = (inputs) => {
      const x = required(c, inputs, 0);
      if (x.ndim < 3) nodeError(c.node, `input of rank ${x.ndim}: expected [N, C, ...]`);
      if (x.ndim === 4) return [torch.adaptiveAvgPool2d(x, [1, 1])];
      return [
        torch.mean(
          x,
          Array.from({ length: x.ndim - 2 }, (_, i) => i + 2),
          true,
        ),
      ];
    };
    return withBlocked(dense, (inputs, ctx) => {
      const x = required(c, inputs, 0);
      if (x.ndim !== 4 || !ctx.isBlocked(x)) return null;
      return [torch.adaptiveAvgPool2d(x, [1, 1])];
    });
  },
};

export const poolOps: Record<string, OpConverter> = {
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalAveragePool: globalAveragePool,
};
