/** Geometric transforms: Resize, CenterCrop, RandomCrop, RandomResizedCrop, HFlip. */
import { resizeBilinear } from './resample.js';
import { checkProbability, randomInt, type Transform, uniform } from './transform.js';
import { allocLike, type Image, withData } from './types.js';

/** Python's round(): half to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The `height` x `width` window of `img` whose top-left corner is (`top`, `left`); parts outside the
 * image are filled with 0 (as torchvision pads in `CenterCrop`).
 *
 * @example
 * ```ts
 * const patch = crop(img, 10, 20, 224, 224);
 * ```
 */
export function crop(img: Image, top: number, left: number, height: number, width: number): Image {
  const C = img.channels;
  const src = img.data;
  const out = allocLike(src, height * width * C);
  const x0 = Math.max(0, left);
  const x1 = Math.min(img.width, left + width);
  if (x1 > x0) {
    for (let y = Math.max(0, top); y < Math.min(img.height, top + height); y++) {
      const from = (y * img.width + x0) * C;
      out.set(src.subarray(from, from + (x1 - x0) * C), ((y - top) * width + (x0 - left)) * C);
    }
  }
  return withData(img, height, width, C, out);
}

type Size = number | readonly [number, number];

function pair(size: Size, who: string): [number, number] {
  const [h, w] = typeof size === 'number' ? [size, size] : size;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
    throw new RangeError(`${who}: size must be positive integers, got ${String(size)}`);
  }
  return [h, w];
}

/** Options of {@link Resize}. */
export interface ResizeOptions {
  /**
   * Keep the aspect ratio. Default true for a number (the shorter side becomes `size`, the longer one is
   * truncated: torchvision's `Resize(int)`), false for `[h, w]`; true with `[h, w]` fits inside h x w.
   */
  keepAspect?: boolean;
}

/** The output size of {@link Resize} for an input of `height` x `width`. */
export function resizeOutputSize(height: number, width: number, size: Size, keepAspect?: boolean): [number, number] {
  if (typeof size === 'number') {
    if (keepAspect === false) return [size, size];
    if (height <= width) return [size, Math.max(1, Math.trunc((size * width) / height))];
    return [Math.max(1, Math.trunc((size * height) / width)), size];
  }
  const [h, w] = size;
  if (!keepAspect) return [h, w];
  const s = Math.min(h / height, w / width);
  return [Math.max(1, Math.round(height * s)), Math.max(1, Math.round(width * s))];
}

/**
 * Bilinear antialiased resize equal to torchvision's `Resize(size)` on PIL images (see `resizeBilinear`).
 *
 * @example
 * ```ts
 * Resize(256);          // shorter side to 256, aspect kept
 * Resize([224, 224]);   // exactly 224 x 224
 * ```
 */
export function Resize(size: Size, options: ResizeOptions = {}): Transform {
  pair(size, 'Resize');
  return {
    name: `Resize(${String(size)})`,
    apply(img) {
      const [h, w] = resizeOutputSize(img.height, img.width, size, options.keepAspect);
      return resizeBilinear(img, h, w);
    },
  };
}

/** The top-left corner of torchvision's centre crop of `h` x `w` from `height` x `width` (negative: padding). */
export function centerCropOrigin(height: number, width: number, h: number, w: number): [number, number] {
  return [roundHalfEven((height - h) / 2), roundHalfEven((width - w) / 2)];
}

/**
 * Crops the centre, torchvision's `CenterCrop`: top = round((H - h) / 2) with Python's rounding; pads with
 * 0 when the image is smaller. (BigDL's `ImageCenterCrop` truncates instead: they differ by one pixel when
 * H - h is odd and (H - h) / 2 rounds up.)
 *
 * @example
 * ```ts
 * CenterCrop(224).apply(img, rng);
 * ```
 */
export function CenterCrop(size: Size): Transform {
  const [h, w] = pair(size, 'CenterCrop');
  return {
    name: `CenterCrop(${String(size)})`,
    apply: (img) => crop(img, ...centerCropOrigin(img.height, img.width, h, w), h, w),
  };
}

/**
 * A uniformly placed crop (torchvision's `RandomCrop` without padding): top in [0, H - h], left in
 * [0, W - w], drawn in that order.
 *
 * @example
 * ```ts
 * RandomCrop(224).apply(img, seededRandom(1));
 * ```
 */
export function RandomCrop(size: Size): Transform {
  const [h, w] = pair(size, 'RandomCrop');
  return {
    name: `RandomCrop(${String(size)})`,
    apply(img, rng) {
      if (img.height < h || img.width < w) {
        throw new RangeError(`RandomCrop: crop ${h}x${w} is larger than the image ${img.height}x${img.width}`);
      }
      const top = randomInt(rng, img.height - h + 1);
      const left = randomInt(rng, img.width - w + 1);
      return crop(img, top, left, h, w);
    },
  };
}

/** Options of {@link RandomResizedCrop}. */
export interface RandomResizedCropOptions {
  /** range of the crop's area as a fraction of the image's (default [0.08, 1]) */
  scale?: readonly [number, number];
  /** range of the crop's aspect ratio w/h, drawn log-uniformly (default [3/4, 4/3]) */
  ratio?: readonly [number, number];
}

/** torchvision's `RandomResizedCrop.get_params`: [top, left, height, width]. */
export function randomResizedCropParams(
  height: number,
  width: number,
  scale: readonly [number, number],
  ratio: readonly [number, number],
  rng: () => number,
): [number, number, number, number] {
  const area = height * width;
  const logLo = Math.log(ratio[0]);
  const logHi = Math.log(ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * uniform(rng, scale[0], scale[1]);
    const aspect = Math.exp(uniform(rng, logLo, logHi));
    const w = roundHalfEven(Math.sqrt(target * aspect));
    const h = roundHalfEven(Math.sqrt(target / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const top = randomInt(rng, height - h + 1);
      const left = randomInt(rng, width - w + 1);
      return [top, left, h, w];
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < Math.min(...ratio)) h = roundHalfEven(w / Math.min(...ratio));
  else if (inRatio > Math.max(...ratio)) w = roundHalfEven(h * Math.max(...ratio));
  return [Math.floor((height - h) / 2), Math.floor((width - w) / 2), h, w];
}

/**
 * torchvision's `RandomResizedCrop`: up to 10 attempts at a crop of random area (scale) and aspect
 * (ratio), else a centre crop clamped to the ratio range; then a bilinear antialiased resize to `size`.
 *
 * @example
 * ```ts
 * RandomResizedCrop(224).apply(img, seededRandom(3));
 * ```
 */
export function RandomResizedCrop(size: Size, options: RandomResizedCropOptions = {}): Transform {
  const [outH, outW] = pair(size, 'RandomResizedCrop');
  const scale = options.scale ?? [0.08, 1];
  const ratio = options.ratio ?? [3 / 4, 4 / 3];
  return {
    name: `RandomResizedCrop(${String(size)})`,
    apply(img, rng) {
      const [top, left, h, w] = randomResizedCropParams(img.height, img.width, scale, ratio, rng);
      return resizeBilinear(crop(img, top, left, h, w), outH, outW);
    },
  };
}

/** Mirrors left-right (OpenCV `flip(mat, 1)`, BigDL `ImageHFlip`). */
export function hflip(img: Image): Image {
  const { height: H, width: W, channels: C, data } = img;
  const out = allocLike(data, data.length);
  if (C === 1) {
    // one channel: each row reversed by the typed array's own (native) reverse
    out.set(data);
    for (let y = 0; y < H; y++) out.subarray(y * W, (y + 1) * W).reverse();
    return withData(img, H, W, C, out);
  }
  for (let y = 0; y < H; y++) {
    const row = y * W * C;
    for (let x = 0; x < W; x++) {
      const s = row + x * C;
      const d = row + (W - 1 - x) * C;
      for (let c = 0; c < C; c++) out[d + c] = data[s + c] as number;
    }
  }
  return withData(img, H, W, C, out);
}

/**
 * Flips horizontally with probability `p` (default 0.5; one draw per image), torchvision's
 * `RandomHorizontalFlip(p)`.
 *
 * @example
 * ```ts
 * HFlip(0.5).apply(img, seededRandom(0));
 * ```
 */
export function HFlip(p = 0.5): Transform {
  checkProbability(p, 'HFlip');
  return { name: `HFlip(${p})`, apply: (img, rng) => (rng() < p ? hflip(img) : img) };
}
