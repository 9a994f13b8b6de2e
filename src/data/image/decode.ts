/**
 * Decoding PNG, JPEG, TIFF and WebP: common PNGs on the PNG fast path (inflate on libuv's thread pool,
 * Pillow-exact resize natively), everything else with sharp (libvips) in sharp's thread pool.
 */
import { open, readFile } from 'node:fs/promises';
import type Sharp from 'sharp';
import { BufferPool } from '../../util/buffer-pool.js';
import { type ColourMode, convertColour } from './colour.js';
import { ImageDecodeError, reasonOf } from './errors.js';
import { centerCropOrigin, crop } from './geometric.js';
import { isPng } from './png/chunks.js';
import { decodePngFast } from './png/decode.js';
import { resizeBilinear } from './resample.js';
import type { Image } from './types.js';

/** Options of {@link decodeImage}. */
export interface DecodeImageOptions {
  /** 'keep' (default): the file's channels; 'grey': one channel (PIL's luma); 'rgb': three channels. */
  colour?: ColourMode;
  /**
   * Resize while decoding. A number resizes the shorter side to it (torchvision's `Resize(int)`);
   * `[height, width]` resizes to exactly that. PNGs on the fast path (8/16-bit grey, grey + alpha, RGB,
   * RGBA, not interlaced, no tRNS or ICC profile) get Pillow's antialiased bilinear exactly (as the `Resize`
   * transform, after the colour conversion, as `Image.open(f).convert(mode).resize(...)` does); other files
   * are resized in sharp's threads (bilinear, libvips' reducer: close to but not bit-identical with PIL).
   */
  resize?: number | readonly [number, number];
  /**
   * After the resize, keep the centre: torchvision's `CenterCrop` (top = round((H - h) / 2), zeros where
   * the image is smaller). On the PNG fast path only the kept pixels are resized, so
   * `{ resize: 256, centerCrop: 224 }` gives `Resize(256)` then `CenterCrop(224)` exactly, with less work.
   */
  centerCrop?: number | readonly [number, number];
  /** Name used in error messages when `input` is bytes (default '<buffer>'). */
  name?: string;
}

type SharpSpace = 'b-w' | 'grey16' | 'srgb' | 'rgb16';

function isGrey(space: string | undefined): boolean {
  return space === 'b-w' || space === 'grey16';
}

/** libvips drops alpha when converting to a grey space, so grey + alpha goes through RGBA (then back). */
function targetSpace(space: string | undefined, sixteen: boolean, alpha: boolean): SharpSpace {
  if (isGrey(space) && !alpha) return sixteen ? 'grey16' : 'b-w';
  return sixteen ? 'rgb16' : 'srgb';
}

/** torchvision's `_compute_resized_output_size` for an int: shorter side to `size`, longer truncated. */
export function shorterSideSize(height: number, width: number, size: number): [number, number] {
  if (height <= width) return [size, Math.max(1, Math.trunc((size * width) / height))];
  return [Math.max(1, Math.trunc((size * height) / width)), size];
}

/** The `[h, w]` of a `centerCrop` option. */
function cropSize(size: number | readonly [number, number]): [number, number] {
  return typeof size === 'number' ? [size, size] : [size[0], size[1]];
}

/** Applies the `centerCrop` option to a decoded (and resized) image. */
export function applyCenterCrop(img: Image, options: DecodeImageOptions): Image {
  if (options.centerCrop === undefined) return img;
  const [h, w] = cropSize(options.centerCrop);
  if (h === img.height && w === img.width) return img;
  return crop(img, ...centerCropOrigin(img.height, img.width, h, w), h, w);
}

/** The size `resize` asks for, from an image of `height` x `width`. */
export function resizeTarget(
  height: number,
  width: number,
  resize: number | readonly [number, number],
): [number, number] {
  return typeof resize === 'number' ? shorterSideSize(height, width, resize) : [resize[0], resize[1]];
}

let sharpLoaded: Promise<typeof Sharp> | undefined;

/** sharp, imported on first use: a decode worker that only meets fast-path PNGs starts without it (~60 ms). */
function loadSharp(): Promise<typeof Sharp> {
  sharpLoaded ??= import('sharp').then((m) => m.default);
  return sharpLoaded;
}

/** Buffers that files are read into: one per decode in flight, reused by the next file. */
const readBuffers = new BufferPool(32);

/** A file's bytes in a pooled buffer: `bytes` is the file, `buffer` goes back to the pool. */
async function readPooled(path: string): Promise<{ bytes: Uint8Array; buffer: Uint8Array }> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const buffer = readBuffers.take(size);
    let got = 0;
    while (got < size) {
      const { bytesRead } = await fh.read(buffer, got, size - got, got);
      if (bytesRead === 0) break; // the file shrank while being read: decode what there is
      got += bytesRead;
    }
    return { bytes: buffer.subarray(0, got), buffer };
  } finally {
    await fh.close();
  }
}

/**
 * The PNG fast path's result with the colour and resize options applied, or undefined when the file is
 * left to sharp (unsupported or malformed: sharp then decodes it or reports why it cannot). With
 * `overwrite`, `bytes` may be overwritten.
 */
async function decodePngWithOptions(
  bytes: Uint8Array,
  options: DecodeImageOptions,
  overwrite: boolean,
): Promise<Image | undefined> {
  let img: Image | undefined;
  try {
    img = await decodePngFast(bytes, { overwrite });
  } catch {
    return undefined;
  }
  if (img === undefined) return undefined;
  const colour = options.colour ?? 'keep';
  // grey to RGB replicates channels, which commutes with the resize: resize the one channel first
  const expands = colour === 'rgb' && img.channels < 3;
  if (!expands) img = convertColour(img, colour);
  if (options.resize !== undefined) {
    const [height, width] = resizeTarget(img.height, img.width, options.resize);
    const [h, w] = options.centerCrop === undefined ? [height, width] : cropSize(options.centerCrop);
    if (h <= height && w <= width && (h < height || w < width)) {
      // resize only the pixels the crop keeps
      const window = [...centerCropOrigin(height, width, h, w), h, w] as const;
      img = resizeBilinear(img, height, width, undefined, window);
    } else if (height !== img.height || width !== img.width) {
      img = resizeBilinear(img, height, width);
    }
  }
  img = applyCenterCrop(img, options);
  return expands ? convertColour(img, colour) : img;
}

/**
 * Decodes an image file (PNG 8/16-bit grey, grey+alpha, RGB, RGBA; JPEG; TIFF; WebP) to HWC pixels.
 * 16-bit files give a `Uint16Array`, all others a `Uint8Array`. EXIF orientation is not applied (as PIL).
 * Common PNGs take the fast path (inflate and unfiltering natively on libuv's thread pool, Pillow's
 * resize natively); other files decode (and resize) in libvips' worker threads while the main thread waits.
 *
 * @throws {ImageDecodeError} naming the file, for a missing, corrupt, truncated or unsupported file.
 * @example
 * ```ts
 * const img = await decodeImage('xray.png', { colour: 'grey' });
 * console.log(img.height, img.width, img.channels, img.bitDepth); // 1024 1024 1 8
 * ```
 */
export async function decodeImage(input: string | Uint8Array, options: DecodeImageOptions = {}): Promise<Image> {
  const source = typeof input === 'string' ? input : (options.name ?? '<buffer>');
  let greyAlpha = false;
  let raw: { data: Buffer; info: { height: number; width: number; channels: number; depth?: string } };
  let pooled: Uint8Array | undefined;
  try {
    // Read the file once (sharp would otherwise open it for the header and again for the pixels), into a
    // pooled buffer that the PNG fast path may overwrite; sharp gets the file read anew if it did.
    let bytes: Uint8Array;
    if (typeof input === 'string') {
      const read = await readPooled(input);
      pooled = read.buffer;
      bytes = read.bytes;
    } else {
      bytes = input;
    }
    if (isPng(bytes)) {
      const fast = await decodePngWithOptions(bytes, options, pooled !== undefined);
      if (fast !== undefined) return fast;
      if (typeof input === 'string') bytes = await readFile(input);
    }
    const sharp = await loadSharp();
    const meta = await sharp(bytes).metadata();
    const sixteen = meta.depth === 'ushort';
    greyAlpha = isGrey(meta.space) && meta.hasAlpha === true;
    let pipeline = sharp(bytes).toColourspace(targetSpace(meta.space, sixteen, meta.hasAlpha === true));
    if (options.resize !== undefined) {
      const h0 = meta.height ?? 0;
      const w0 = meta.width ?? 0;
      const [height, width] = resizeTarget(h0, w0, options.resize);
      if (height !== h0 || width !== w0) {
        pipeline = pipeline.resize({ height, width, fit: 'fill', kernel: 'linear', fastShrinkOnLoad: false });
      }
    }
    raw = await pipeline.raw({ depth: sixteen ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new ImageDecodeError(source, reasonOf(e), { cause: e });
  } finally {
    if (pooled !== undefined) readBuffers.give(pooled);
  }
  const { data, info } = raw;
  const sixteen = info.depth === 'ushort';
  const pixels = sixteen
    ? new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength))
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  let img: Image = {
    height: info.height,
    width: info.width,
    channels: info.channels,
    bitDepth: sixteen ? 16 : 8,
    data: pixels,
  };
  if (greyAlpha && info.channels === 4) img = keepGreyAlpha(img);
  return applyCenterCrop(convertColour(img, options.colour ?? 'keep'), options);
}

/** RGBA whose R = G = B back to grey + alpha. */
function keepGreyAlpha(img: Image): Image {
  const n = img.height * img.width;
  const src = img.data;
  const out = src instanceof Uint16Array ? new Uint16Array(2 * n) : new Uint8Array(2 * n);
  for (let i = 0; i < n; i++) {
    out[2 * i] = src[4 * i] as number;
    out[2 * i + 1] = src[4 * i + 3] as number;
  }
  return { ...img, channels: 2, data: out };
}
