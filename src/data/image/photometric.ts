/** Pixel-value transforms: Brightness, Contrast, ChannelNormalize, ToFloat, GreyToRGB, ToTensor. */
import type { Tensor } from '../../tensor/index.js';
import { toRGB } from './colour.js';
import { roundHalfEven } from './geometric.js';
import { imageToTensor } from './to-tensor.js';
import { checkProbability, type Transform, uniform } from './transform.js';
import { allocLike, type Image, maxValue, withData } from './types.js';

/** `f(value)` on every pixel; integer images round half to even and saturate (OpenCV `convertTo`). */
function mapValues(img: Image, f: (v: number) => number): Image {
  const { data } = img;
  const out = allocLike(data, data.length);
  if (data instanceof Float32Array) {
    for (let i = 0; i < data.length; i++) out[i] = f(data[i] as number);
  } else {
    const hi = maxValue(img);
    for (let i = 0; i < data.length; i++) {
      const v = roundHalfEven(f(data[i] as number));
      out[i] = v < 0 ? 0 : Math.min(v, hi);
    }
  }
  return withData(img, img.height, img.width, img.channels, out);
}

/**
 * BigDL's `ImageBrightness(deltaLow, deltaHigh)`: adds one uniform delta in [low, high) to every pixel
 * (saturating for integer images), with probability `p` (default 1). Draws: one for `p`, then the delta.
 *
 * @example
 * ```ts
 * Brightness(0, 32, 0.5); // the Dell chest X-ray recipe
 * ```
 */
export function Brightness(deltaLow: number, deltaHigh: number, p = 1): Transform {
  checkProbability(p, 'Brightness');
  return {
    name: `Brightness(${deltaLow}, ${deltaHigh}, ${p})`,
    apply(img, rng) {
      if (!(rng() < p)) return img;
      const delta = uniform(rng, deltaLow, deltaHigh);
      return mapValues(img, (v) => v + delta);
    },
  };
}

/**
 * BigDL's `Contrast(deltaLow, deltaHigh)`: multiplies every pixel by one uniform factor in [low, high)
 * (saturating), with probability `p` (default 1). Draws: one for `p`, then the factor.
 *
 * @example
 * ```ts
 * Contrast(0.5, 1.5, 0.5);
 * ```
 */
export function Contrast(deltaLow: number, deltaHigh: number, p = 1): Transform {
  checkProbability(p, 'Contrast');
  return {
    name: `Contrast(${deltaLow}, ${deltaHigh}, ${p})`,
    apply(img, rng) {
      if (!(rng() < p)) return img;
      const alpha = uniform(rng, deltaLow, deltaHigh);
      return mapValues(img, (v) => v * alpha);
    },
  };
}

function perChannel(v: number | readonly number[], channels: number, who: string): number[] {
  if (typeof v === 'number') return Array.from({ length: channels }, () => v);
  if (v.length === 1) return Array.from({ length: channels }, () => v[0] as number);
  if (v.length !== channels) throw new RangeError(`${who}: ${v.length} values for ${channels} channels`);
  return [...v];
}

/**
 * `(x - mean[c]) / std[c]` per channel, to float32, on the values as they are: BigDL's
 * `ImageChannelNormalize` on 0-255 values, or torchvision's `Normalize` after {@link ToFloat}.
 * Means and stds are in the image's channel order (RGB for decoded files).
 *
 * @example
 * ```ts
 * chain(ToFloat(), ChannelNormalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]), ToTensor());
 * ```
 */
export function ChannelNormalize(mean: number | readonly number[], std: number | readonly number[] = 1): Transform {
  return {
    name: `ChannelNormalize(${String(mean)}, ${String(std)})`,
    apply(img) {
      const C = img.channels;
      const m = perChannel(mean, C, 'ChannelNormalize');
      const s = perChannel(std, C, 'ChannelNormalize');
      const { data } = img;
      const out = new Float32Array(data.length);
      if (C === 1) {
        const m0 = m[0] as number;
        const s0 = s[0] as number;
        for (let i = 0; i < data.length; i++) out[i] = ((data[i] as number) - m0) / s0;
      } else {
        for (let i = 0; i < data.length; i += C) {
          for (let c = 0; c < C; c++) out[i + c] = ((data[i + c] as number) - (m[c] as number)) / (s[c] as number);
        }
      }
      return withData(img, img.height, img.width, C, out);
    },
  };
}

/**
 * Integer pixels to float32 in [0, 1] (divided by 2^bitDepth - 1, e.g. 255), float images unchanged;
 * `scale` overrides the divisor's reciprocal.
 *
 * @example
 * ```ts
 * ToFloat().apply(img8, rng).data; // Float32Array, values / 255
 * ```
 */
export function ToFloat(options: { scale?: number } = {}): Transform {
  return {
    name: 'ToFloat()',
    apply(img) {
      if (img.data instanceof Float32Array && options.scale === undefined) return img;
      const k = options.scale ?? 1 / maxValue(img);
      const { data } = img;
      const out = new Float32Array(data.length);
      // one loop per pixel type keeps each element access monomorphic (several times faster in V8)
      if (data instanceof Uint8Array) for (let i = 0; i < data.length; i++) out[i] = (data[i] as number) * k;
      else if (data instanceof Uint16Array) for (let i = 0; i < data.length; i++) out[i] = (data[i] as number) * k;
      else for (let i = 0; i < data.length; i++) out[i] = (data[i] as number) * k;
      return withData(img, img.height, img.width, img.channels, out);
    },
  };
}

/**
 * Grey (or grey + alpha) to three identical channels, like torchvision's `Grayscale(3)` on a grey image;
 * RGB passes through, RGBA loses alpha.
 *
 * @example
 * ```ts
 * chain(GreyToRGB(), ToTensor()); // [3, H, W] for an X-ray, as ImageNet models expect
 * ```
 */
export function GreyToRGB(): Transform {
  return { name: 'GreyToRGB()', apply: (img) => toRGB(img) };
}

/**
 * HWC image to a CHW float32 tensor. By default integer images are scaled to [0, 1] like torchvision's
 * `ToTensor` (8-bit: / 255; 16-bit: / (2^bitDepth - 1)); float images keep their values. `raw: true`
 * keeps integer values too.
 *
 * @example
 * ```ts
 * const t = ToTensor().apply(img, rng); // Tensor [C, H, W], float32
 * ```
 */
export function ToTensor(options: { raw?: boolean } = {}): Transform<Image, Tensor> {
  return {
    name: 'ToTensor()',
    apply(img) {
      const scale = options.raw || img.data instanceof Float32Array ? 1 : 1 / maxValue(img);
      return imageToTensor(img, { dtype: 'float32', layout: 'CHW', scale });
    },
  };
}
