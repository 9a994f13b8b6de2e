/** Channel conversions with PIL's formulas (so results equal `Image.convert('L')` / `convert('RGB')`). */
import { type Image, withData } from './types.js';

/** Target channel layout of a conversion: keep the file's, or force grey (1) or RGB (3). */
export type ColourMode = 'keep' | 'grey' | 'rgb';

/**
 * Converts to one grey channel. RGB(A) uses ITU-R 601-2 luma like PIL
 * (`(R*19595 + G*38470 + B*7471 + 0x8000) >> 16` for 8-bit); alpha is dropped, not composited.
 *
 * @example
 * ```ts
 * toGrey({ height: 1, width: 1, channels: 3, bitDepth: 8, data: new Uint8Array([255, 0, 0]) }).data; // [76]
 * ```
 */
export function toGrey(img: Image): Image {
  const { height, width, channels, data } = img;
  if (channels === 1) return img;
  const n = height * width;
  const out =
    data instanceof Uint8Array
      ? new Uint8Array(n)
      : data instanceof Uint16Array
        ? new Uint16Array(n)
        : new Float32Array(n);
  if (channels === 2) {
    for (let i = 0; i < n; i++) out[i] = data[2 * i] as number;
  } else if (data instanceof Uint8Array) {
    for (let i = 0, j = 0; i < n; i++, j += channels) {
      out[i] =
        ((data[j] as number) * 19595 + (data[j + 1] as number) * 38470 + (data[j + 2] as number) * 7471 + 0x8000) >>>
        16;
    }
  } else {
    const round = out instanceof Uint16Array;
    for (let i = 0, j = 0; i < n; i++, j += channels) {
      const v = (data[j] as number) * 0.299 + (data[j + 1] as number) * 0.587 + (data[j + 2] as number) * 0.114;
      out[i] = round ? Math.round(v) : v;
    }
  }
  return withData(img, height, width, 1, out);
}

/**
 * Converts to three channels: grey is replicated (like `transforms.Grayscale(3)` and PIL's `convert('RGB')`),
 * alpha is dropped.
 *
 * @example
 * ```ts
 * toRGB({ height: 1, width: 1, channels: 1, bitDepth: 8, data: new Uint8Array([7]) }).data; // [7, 7, 7]
 * ```
 */
export function toRGB(img: Image): Image {
  const { height, width, channels, data } = img;
  if (channels === 3) return img;
  const n = height * width;
  const out =
    data instanceof Uint8Array
      ? new Uint8Array(3 * n)
      : data instanceof Uint16Array
        ? new Uint16Array(3 * n)
        : new Float32Array(3 * n);
  if (channels <= 2) {
    for (let i = 0, j = 0; i < n; i++, j += channels) {
      const v = data[j] as number;
      out[3 * i] = v;
      out[3 * i + 1] = v;
      out[3 * i + 2] = v;
    }
  } else {
    for (let i = 0, j = 0; i < n; i++, j += channels) {
      out[3 * i] = data[j] as number;
      out[3 * i + 1] = data[j + 1] as number;
      out[3 * i + 2] = data[j + 2] as number;
    }
  }
  return withData(img, height, width, 3, out);
}

/** Applies a {@link ColourMode}. */
export function convertColour(img: Image, mode: ColourMode): Image {
  if (mode === 'grey') return toGrey(img);
  if (mode === 'rgb') return toRGB(img);
  return img;
}
