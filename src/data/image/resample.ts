/**
 * Antialiased bilinear resize, a port of Pillow's `ImagingResample` (Resample.c): a separable triangle
 * filter whose support widens with the downscale factor, horizontal pass then vertical pass. For 8-bit
 * images it uses Pillow's 22-bit fixed-point coefficients and rounds between the passes, so results equal
 * `PIL.Image.resize(size, BILINEAR)` (and torchvision's `Resize` on PIL images) exactly; 16-bit and float
 * images are filtered in double precision (torchvision's antialiased tensor resize gives the same weights).
 */
import { imageNative } from './native.js';
import { allocLike, type Image, type PixelArray, withData } from './types.js';

const PRECISION_BITS = 22;

interface Coeffs {
  ksize: number;
  /** per output index: first input index, number of taps */
  bounds: Int32Array;
  /** ksize weights per output index (normalized) */
  weights: Float64Array;
}

/** Pillow's `precompute_coeffs` with the bilinear filter (support 1). */
function precompute(inSize: number, in0: number, in1: number, outSize: number): Coeffs {
  const scale = (in1 - in0) / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 1 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Float64Array(outSize * ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = in0 + (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    const k = xx * ksize;
    for (let x = 0; x < xmax; x++) {
      const t = Math.abs((x + xmin - center + 0.5) * ss);
      const w = t < 1 ? 1 - t : 0;
      weights[k + x] = w;
      ww += w;
    }
    if (ww !== 0) for (let x = 0; x < xmax; x++) (weights[k + x] as number) /= ww;
    bounds[2 * xx] = xmin;
    bounds[2 * xx + 1] = xmax;
  }
  return { ksize, bounds, weights };
}

/** Pillow's `normalize_coeffs_8bpc`: weights as 22-bit fixed point, rounded away from zero. */
function fixedPoint(weights: Float64Array): Int32Array {
  const out = new Int32Array(weights.length);
  const one = 1 << PRECISION_BITS;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i] as number;
    out[i] = w < 0 ? Math.trunc(-0.5 + w * one) : Math.trunc(0.5 + w * one);
  }
  return out;
}

/**
 * One filter pass along an axis: `lines` independent lines, `tap` apart between input samples and
 * `outStep` between output samples, lines `inLine` / `outLine` apart, starting at `inOffset` / `outOffset`.
 */
function pass(
  src: PixelArray,
  dst: PixelArray,
  co: Coeffs,
  outSize: number,
  tap: number,
  outStep: number,
  lines: number,
  inLine: number,
  outLine: number,
  inOffset: number,
  outOffset: number,
): void {
  if (src instanceof Uint8Array) {
    // natively (native/image/resample.cc): int32 sums of Pillow's fixed-point weights with its rounding
    // (bilinear weights are non-negative, so a sum stays below 255 * 2^22 + 2^21 < 2^31); exact
    // reductions by 2 and 4 slide over each input once, the vertical pass accumulates whole rows
    const k = fixedPoint(co.weights);
    imageNative().resample8(
      src,
      dst as Uint8Array,
      co.bounds,
      k,
      co.ksize,
      outSize,
      tap,
      outStep,
      lines,
      inLine,
      outLine,
      inOffset,
      outOffset,
    );
    return;
  }
  const { ksize, bounds, weights } = co;
  const isInt = dst instanceof Uint16Array;
  for (let l = 0; l < lines; l++) {
    const ib = inOffset + l * inLine;
    const ob = outOffset + l * outLine;
    for (let xx = 0; xx < outSize; xx++) {
      const xmin = bounds[2 * xx] as number;
      const n = bounds[2 * xx + 1] as number;
      const kb = xx * ksize;
      let ss = 0;
      let p = ib + xmin * tap;
      for (let x = 0; x < n; x++, p += tap) ss += (src[p] as number) * (weights[kb + x] as number);
      dst[ob + xx * outStep] = isInt ? Math.min(65535, Math.max(0, Math.round(ss))) : ss;
    }
  }
}

/** The coefficients of outputs [start, start + count) only. */
function outputs(co: Coeffs, start: number, count: number): Coeffs {
  if (start === 0 && count * 2 === co.bounds.length) return co;
  return {
    ksize: co.ksize,
    bounds: co.bounds.slice(2 * start, 2 * (start + count)),
    weights: co.weights.slice(start * co.ksize, (start + count) * co.ksize),
  };
}

let scratch = new Uint8Array(0);

/** A reused 8-bit buffer of `length` bytes (stale contents), for the intermediate between the passes. */
function scratch8(length: number): Uint8Array {
  if (scratch.length < length) scratch = new Uint8Array(length);
  return scratch.subarray(0, length);
}

/**
 * Resizes to `height` x `width` with antialiased bilinear filtering (Pillow's algorithm, see the module
 * doc). `box` selects the source region `[top, left, bottom, right]` (fractional allowed), default the
 * whole image. `window` `[top, left, height, width]` keeps only that part of the `height` x `width` result
 * and computes only it: `crop(resizeBilinear(img, h, w), ...window)` with less work.
 *
 * @example
 * ```ts
 * const small = resizeBilinear(img, 256, 256);
 * ```
 */
export function resizeBilinear(
  img: Image,
  height: number,
  width: number,
  box: readonly [number, number, number, number] = [0, 0, img.height, img.width],
  window?: readonly [number, number, number, number],
): Image {
  const { channels: C, data } = img;
  const [top, left, bottom, right] = box;
  const [wTop, wLeft, wHeight, wWidth] = window ?? [0, 0, height, width];
  if (wTop < 0 || wLeft < 0 || wHeight < 1 || wWidth < 1 || wTop + wHeight > height || wLeft + wWidth > width) {
    throw new RangeError(`resizeBilinear: window ${String(window)} is not inside ${height}x${width}`);
  }
  const needH = window !== undefined || width !== img.width || left !== 0 || right !== width;
  const needV = window !== undefined || height !== img.height || top !== 0 || bottom !== height;
  const coV = outputs(precompute(img.height, top, bottom, height), wTop, wHeight);
  height = wHeight;
  const yFirst = coV.bounds[0] as number;
  const yLast = (coV.bounds[2 * height - 2] as number) + (coV.bounds[2 * height - 1] as number);
  let cur = data;
  if (needH) {
    const coH = outputs(precompute(img.width, left, right, width), wLeft, wWidth);
    width = wWidth;
    for (let i = 0; i < height; i++) (coV.bounds[2 * i] as number) -= yFirst;
    const rows = yLast - yFirst;
    // an 8-bit intermediate that the vertical pass consumes is reused by the next call (this runs synchronously)
    const tmp = needV && data instanceof Uint8Array ? scratch8(rows * width * C) : allocLike(data, rows * width * C);
    const inRow = img.width * C;
    for (let c = 0; c < C; c++) pass(data, tmp, coH, width, C, C, rows, inRow, width * C, yFirst * inRow + c, c);
    cur = tmp;
  }
  if (!needV) return withData(img, height, width, C, needH ? cur : cur.slice());
  // vertical: one line per (column, channel), taps one row apart
  const out = allocLike(data, height * width * C);
  const rowLen = width * C;
  pass(cur, out, coV, height, rowLen, rowLen, rowLen, 1, 1, 0, 0);
  return withData(img, height, width, C, out);
}
