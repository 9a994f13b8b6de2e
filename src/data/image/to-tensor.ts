/** Copying an {@link Image} into a LibTorch tensor. */
import { fromBuffer, type Tensor } from '../../tensor/index.js';
import { checkImage, type Image } from './types.js';

/** Options of {@link imageToTensor}. */
export interface ImageToTensorOptions {
  /** 'uint8' (8-bit images only) or 'float32' (default: uint8 for 8-bit images, float32 otherwise). */
  dtype?: 'float32' | 'uint8';
  /** 'CHW' (default, PyTorch's layout) or 'HWC' (as stored). */
  layout?: 'CHW' | 'HWC';
  /** Multiply every value by this (float32 only; default 1, i.e. raw values). */
  scale?: number;
}

/**
 * Copies an image into a new tensor of shape `[C, H, W]` (or `[H, W, C]`), values unchanged unless
 * `scale` is given. See the `ToTensor` transform for torchvision's `[0, 1]` scaling.
 *
 * @example
 * ```ts
 * const t = imageToTensor(await decodeImage('a.png'), { dtype: 'float32', scale: 1 / 255 }); // [3, H, W]
 * ```
 */
export function imageToTensor(img: Image, options: ImageToTensorOptions = {}): Tensor {
  checkImage(img, 'imageToTensor');
  const { height, width, channels, data } = img;
  const dtype = options.dtype ?? (data instanceof Uint8Array ? 'uint8' : 'float32');
  const layout = options.layout ?? 'CHW';
  const scale = options.scale ?? 1;
  if (dtype === 'uint8' && !(data instanceof Uint8Array)) {
    throw new TypeError(`imageToTensor: dtype 'uint8' needs 8-bit data, got ${img.bitDepth}-bit`);
  }
  if (dtype === 'uint8' && scale !== 1) throw new TypeError("imageToTensor: 'scale' needs dtype 'float32'");
  const shape = layout === 'CHW' ? [channels, height, width] : [height, width, channels];
  if (layout === 'HWC' || channels === 1) {
    if (dtype === 'uint8') return fromBuffer(data, { dtype, shape });
    if (data instanceof Float32Array && scale === 1) return fromBuffer(data, { dtype, shape });
    const out = new Float32Array(data.length);
    // one loop per pixel type keeps each element access monomorphic
    if (data instanceof Uint8Array) for (let i = 0; i < data.length; i++) out[i] = (data[i] as number) * scale;
    else if (data instanceof Uint16Array) for (let i = 0; i < data.length; i++) out[i] = (data[i] as number) * scale;
    else for (let i = 0; i < data.length; i++) out[i] = (data[i] as number) * scale;
    return fromBuffer(out, { dtype, shape });
  }
  const plane = height * width;
  const out = dtype === 'uint8' ? new Uint8Array(data.length) : new Float32Array(data.length);
  for (let c = 0; c < channels; c++) {
    const base = c * plane;
    for (let i = 0, j = c; i < plane; i++, j += channels) out[base + i] = (data[j] as number) * scale;
  }
  return fromBuffer(out, { dtype, shape });
}
