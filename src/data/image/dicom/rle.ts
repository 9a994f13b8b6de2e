/** DICOM RLE Lossless (PS3.5 Annex G): a 64-byte header of segment offsets, each segment PackBits-coded. */

/**
 * Decodes one RLE frame into `length` bytes per segment, returning the segments in order
 * (for each sample: most significant byte first).
 *
 * @example
 * ```ts
 * const [plane] = decodeRleFrame(fragment, rows * columns); // one 8-bit grey plane
 * ```
 */
export function decodeRleFrame(frame: Uint8Array, length: number): Uint8Array[] {
  if (frame.length < 64) throw new Error(`RLE frame header is ${frame.length} bytes, needs 64`);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const count = view.getUint32(0, true);
  if (count < 1 || count > 15) throw new Error(`RLE header gives ${count} segments (1..15 allowed)`);
  const offsets: number[] = [];
  for (let i = 0; i < count; i++) offsets.push(view.getUint32(4 + 4 * i, true));
  const segments: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const start = offsets[i] as number;
    const end = i + 1 < count ? (offsets[i + 1] as number) : frame.length;
    if (start < 64 || end > frame.length || end < start) throw new Error(`RLE segment ${i} offsets out of range`);
    segments.push(unpackBits(frame.subarray(start, end), length, i));
  }
  return segments;
}

/** PackBits: n in 0..127 copies n+1 literal bytes; n in -127..-1 repeats the next byte 1-n times; -128 is a no-op. */
function unpackBits(src: Uint8Array, length: number, segment: number): Uint8Array {
  const out = new Uint8Array(length);
  let i = 0;
  let o = 0;
  while (o < length && i < src.length) {
    const n = src[i++] as number;
    if (n < 128) {
      const k = n + 1;
      if (i + k > src.length) throw new Error(`RLE segment ${segment} is truncated`);
      out.set(src.subarray(i, i + Math.min(k, length - o)), o);
      i += k;
      o += k;
    } else if (n > 128) {
      const k = 257 - n;
      if (i >= src.length) throw new Error(`RLE segment ${segment} is truncated`);
      out.fill(src[i++] as number, o, Math.min(length, o + k));
      o += k;
    }
  }
  if (o < length) throw new Error(`RLE segment ${segment} decodes to ${o} bytes, expected ${length}`);
  return out;
}
