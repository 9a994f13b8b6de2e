/**
 * `nn.functional`: PyTorch's `torch.nn.functional` forms of ops whose ATen spelling is awkward from JS
 * (`crossEntropy` rather than `torch.crossEntropyLoss` with every argument, `interpolate` over the
 * `upsample*` kernels, `pad`). The raw ATen wrappers stay in `torch`.
 *
 * @example
 * ```ts
 * import { nn } from 'tszoo';
 * const F = nn.functional;
 * const loss = F.crossEntropy(logits, labels, { labelSmoothing: 0.1 });
 * const up = F.interpolate(x, { scaleFactor: 2, mode: 'bilinear' });
 * ```
 */
import type { IntList, Reduction, Tensor } from '../tensor/index.js';
import * as aten from '../tensor/index.js';
import { checkOptions } from '../util/options.js';

/** Options of crossEntropy(). */
export interface CrossEntropyOptions {
  weight?: Tensor | null;
  reduction?: Reduction;
  ignoreIndex?: number;
  labelSmoothing?: number;
}

/**
 * Cross entropy between logits [N, C, ...] and class indices [N, ...] (int64) or class probabilities.
 *
 * @example
 * ```ts
 * const loss = crossEntropy(logits, labels, { labelSmoothing: 0.1 });
 * ```
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  checkOptions('crossEntropy', options, ['weight', 'reduction', 'ignoreIndex', 'labelSmoothing']);
  return aten.crossEntropyLoss(input, target, {
    weight: options.weight ?? null,
    reduction: options.reduction ?? 'mean',
    ignoreIndex: options.ignoreIndex ?? -100,
    labelSmoothing: options.labelSmoothing ?? 0,
  });
}

/** Options of interpolate(). Give either size or scaleFactor. */
export interface InterpolateOptions {
  size?: number | [number, number];
  scaleFactor?: number | [number, number];
  mode?: 'nearest' | 'bilinear';
  alignCorners?: boolean;
}

/**
 * Resizes a batch of images [N, C, H, W] (PyTorch's F.interpolate for 2-d inputs).
 *
 * @example
 * ```ts
 * const y = interpolate(x, { size: [56, 56], mode: 'bilinear' });
 * ```
 */
export function interpolate(input: Tensor, options: InterpolateOptions): Tensor {
  checkOptions('interpolate', options, ['size', 'scaleFactor', 'mode', 'alignCorners']);
  const { size, scaleFactor, mode = 'nearest' } = options;
  if ((size === undefined) === (scaleFactor === undefined)) {
    throw new TypeError('interpolate: give exactly one of size and scaleFactor');
  }
  if (input.ndim !== 4) throw new RangeError(`interpolate: expected a 4-d input [N, C, H, W], got ${input.ndim}-d`);
  const outputSize = size === undefined ? null : typeof size === 'number' ? [size, size] : size;
  const scales =
    scaleFactor === undefined ? null : typeof scaleFactor === 'number' ? [scaleFactor, scaleFactor] : scaleFactor;
  if (mode === 'nearest') {
    if (options.alignCorners !== undefined) throw new TypeError("interpolate: alignCorners only applies to 'bilinear'");
    return aten.upsampleNearest2d(input, outputSize, scales);
  }
  if (mode === 'bilinear') return aten.upsampleBilinear2d(input, outputSize, options.alignCorners ?? false, scales);
  throw new TypeError(`interpolate: unknown mode '${String(mode)}'`);
}

/**
 * Pads the last dimensions: pad = [left, right, top, bottom, ...], as F.pad with mode 'constant'.
 *
 * @example
 * ```ts
 * const y = pad(x, [1, 1, 2, 2]); // W + 2, H + 4
 * ```
 */
export function pad(input: Tensor, padding: IntList, value = 0): Tensor {
  return aten.constantPadNd(input, padding, value);
}
