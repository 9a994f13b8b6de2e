/**
 * The PNG fast path: 8- and 16-bit grey, grey + alpha, RGB and RGBA, non-interlaced PNGs: chunks read in
 * TypeScript, the zlib stream inflated (libdeflate) and the rows unfiltered natively on libuv's thread
 * pool, so several files decode in parallel. Everything else (palette, bit depths below 8, Adam7
 * interlacing, tRNS transparency, embedded ICC profiles) is left to the general decoder (sharp).
 */

import { imageNative } from '../native.js';
import type { Image } from '../types.js';
import { PngFormatError, type PngHeader, readPngChunks } from './chunks.js';

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

/** sharp's default `limitInputPixels` (0x3FFF squared): the same limit on both decoders. */
const MAX_PIXELS = 0x3fff * 0x3fff;

/** Ancillary chunks that change how the pixels read (transparency, colour profile): left to sharp. */
const DEFERRED_CHUNKS = ['tRNS', 'iCCP'];

/** Whether the fast path takes a file with this header and these ancillary chunks. */
function supported(header: PngHeader, ancillary: ReadonlySet<string>): boolean {
  return (
    header.interlace === 0 &&
    CHANNELS[header.colourType] !== undefined &&
    (header.bitDepth === 8 || header.bitDepth === 16) &&
    !DEFERRED_CHUNKS.some((c) => ancillary.has(c))
  );
}

/** 16-bit big-endian samples to native numbers. */
function fromBigEndian16(bytes: Uint8Array): Uint16Array {
  const out = new Uint16Array(bytes.length >> 1);
  for (let i = 0, j = 0; i < out.length; i++, j += 2) out[i] = ((bytes[j] as number) << 8) | (bytes[j + 1] as number);
  return out;
}

/** Options of {@link decodePngFast}. */
export interface DecodePngFastOptions {
  /**
   * Let the decoder overwrite `bytes` (gathering the IDAT data in place instead of copying it) when it
   * takes the file; bytes of a file it leaves to the general decoder stay as they were, those of a broken
   * file may not.
   */
  overwrite?: boolean;
}

/**
 * Decodes a PNG the fast path takes to HWC pixels, as sharp would give them (`Uint8Array` for 8-bit,
 * `Uint16Array` for 16-bit, 1 to 4 channels); resolves to undefined for a PNG it leaves to the general
 * decoder.
 *
 * @throws {PngFormatError} for a malformed file (chunks, CRC, a corrupt or truncated zlib stream, filter
 * types, too little image data).
 * @example
 * ```ts
 * const img = await decodePngFast(await readFile('xray.png')); // undefined for e.g. a palette PNG
 * ```
 */
export async function decodePngFast(bytes: Uint8Array, options: DecodePngFastOptions = {}): Promise<Image | undefined> {
  const compactIf = options.overwrite ? supported : undefined;
  const { header, idat, ancillary } = readPngChunks(bytes, { compactIf });
  if (!supported(header, ancillary)) return undefined;
  const { width, height, bitDepth } = header;
  const channels = CHANNELS[header.colourType] as number;
  const bpp = (channels * bitDepth) / 8;
  const rowBytes = width * bpp;
  const expected = height * (rowBytes + 1);
  if (expected > 2 ** 31 - 1 || width * height > MAX_PIXELS) {
    throw new PngFormatError(`image too large: ${width}x${height} (at most ${MAX_PIXELS} pixels, as sharp allows)`);
  }
  // Deflate expands at most 1032:1, so a header that promises more than the data can hold is refused
  // before anything of its size is allocated.
  if (expected > idat.length * 1032 + 1024) {
    throw new PngFormatError(
      `image data too short: ${idat.length} compressed bytes cannot hold a ${width}x${height} image`,
    );
  }
  const unfiltered = new Uint8Array(height * rowBytes);
  try {
    await imageNative().inflatePng(idat, unfiltered, height, rowBytes, bpp);
  } catch (e) {
    throw new PngFormatError((e as Error).message);
  }
  const data = bitDepth === 16 ? fromBigEndian16(unfiltered) : unfiltered;
  return { height, width, channels, bitDepth, data };
}
