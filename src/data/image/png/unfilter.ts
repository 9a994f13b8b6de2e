/** Reversing PNG's per-row filters (PNG spec, section 9): None, Sub, Up, Average, Paeth. */
import { PngFormatError } from './chunks.js';

/**
 * Unfilters `height` rows of `rowBytes` bytes each (each stored after its filter-type byte in `raw`) in
 * place: the result is `raw`'s first `height * rowBytes` bytes, rows contiguous (row y moves y + 1 bytes
 * left, so every byte is read before it is overwritten, and the row above is already unfiltered). `bpp`
 * is the bytes per complete pixel (at least 1), the distance the Sub, Average and Paeth filters look back.
 *
 * @throws {PngFormatError} for a filter type above 4 or `raw` shorter than the rows.
 * @example
 * ```ts
 * const pixels = unfilterRows(inflated, 1024, 1024, 1); // a view of `inflated` // an 8-bit grey 1024x1024 image
 * ```
 */
export function unfilterRows(raw: Uint8Array, height: number, rowBytes: number, bpp: number): Uint8Array {
  const stride = rowBytes + 1;
  if (raw.length < height * stride) {
    throw new PngFormatError(`image data too short: ${raw.length} bytes for ${height} rows of ${rowBytes}`);
  }
  const out = raw;
  for (let y = 0; y < height; y++) {
    const f = raw[y * stride] as number;
    const s = y * stride + 1;
    const o = y * rowBytes;
    const up = o - rowBytes; // the previous unfiltered row (none for y = 0: treated as zeros)
    if (f === 0) {
      out.copyWithin(o, s, s + rowBytes);
    } else if (f === 1) {
      for (let i = 0; i < bpp && i < rowBytes; i++) out[o + i] = raw[s + i] as number;
      for (let i = bpp; i < rowBytes; i++) out[o + i] = ((raw[s + i] as number) + (out[o + i - bpp] as number)) & 255;
    } else if (f === 2) {
      if (y === 0) out.copyWithin(o, s, s + rowBytes);
      else for (let i = 0; i < rowBytes; i++) out[o + i] = ((raw[s + i] as number) + (out[up + i] as number)) & 255;
    } else if (f === 3) {
      if (y === 0) {
        for (let i = 0; i < bpp && i < rowBytes; i++) out[o + i] = raw[s + i] as number;
        for (let i = bpp; i < rowBytes; i++) {
          out[o + i] = ((raw[s + i] as number) + ((out[o + i - bpp] as number) >> 1)) & 255;
        }
      } else {
        for (let i = 0; i < bpp && i < rowBytes; i++) {
          out[o + i] = ((raw[s + i] as number) + ((out[up + i] as number) >> 1)) & 255;
        }
        for (let i = bpp; i < rowBytes; i++) {
          out[o + i] = ((raw[s + i] as number) + (((out[o + i - bpp] as number) + (out[up + i] as number)) >> 1)) & 255;
        }
      }
    } else if (f === 4) {
      if (y === 0) {
        // with a zero row above, Paeth picks the left neighbour: the Sub filter
        for (let i = 0; i < bpp && i < rowBytes; i++) out[o + i] = raw[s + i] as number;
        for (let i = bpp; i < rowBytes; i++) out[o + i] = ((raw[s + i] as number) + (out[o + i - bpp] as number)) & 255;
      } else {
        for (let i = 0; i < bpp && i < rowBytes; i++)
          out[o + i] = ((raw[s + i] as number) + (out[up + i] as number)) & 255;
        for (let i = bpp; i < rowBytes; i++) {
          const a = out[o + i - bpp] as number;
          const b = out[up + i] as number;
          const c = out[up + i - bpp] as number;
          const pa = Math.abs(b - c);
          const pb = Math.abs(a - c);
          const pc = Math.abs(a + b - 2 * c);
          const pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          out[o + i] = ((raw[s + i] as number) + pred) & 255;
        }
      }
    } else {
      throw new PngFormatError(`row ${y} has unknown filter type ${f}`);
    }
  }
  return raw.subarray(0, height * rowBytes);
}
