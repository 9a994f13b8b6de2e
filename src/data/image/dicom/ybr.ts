/** YBR_FULL / YBR_FULL_422 colour (PS3.3 C.7.6.3.1.2) to RGB. */

/**
 * YBR_FULL to RGB in place, 8-bit: R = Y + 1.402 Cr', G = Y - 0.344136 Cb' - 0.714136 Cr', B = Y + 1.772 Cb'
 * (Cb' = Cb - 128, Cr' = Cr - 128), rounded half up and clipped to 0..255, as pydicom's `convert_color_space`.
 *
 * @example
 * ```ts
 * ybrFullToRgb(Int32Array.from([76, 85, 255])); // -> [255, 0, 0] within rounding
 * ```
 */
export function ybrFullToRgb(values: Int32Array | Float64Array): void {
  const gb = (-0.114 * 1.772) / 0.587;
  const gr = (-0.299 * 1.402) / 0.587;
  const clip = (x: number) => Math.min(255, Math.max(0, Math.floor(x + 0.5)));
  for (let i = 0; i + 2 < values.length; i += 3) {
    const y = values[i] as number;
    const cb = (values[i + 1] as number) - 128;
    const cr = (values[i + 2] as number) - 128;
    values[i] = clip(y + 1.402 * cr);
    values[i + 1] = clip(y + gb * cb + gr * cr);
    values[i + 2] = clip(y + 1.772 * cb);
  }
}

/**
 * Uncompressed YBR_FULL_422 stores two pixels as Y1 Y2 Cb Cr; this expands `bytes` (length 2 x pixels)
 * to Y Cb Cr per pixel, as pydicom's numpy handler does.
 */
export function expandYbr422(bytes: Uint8Array, pixels: number): Int32Array {
  if (bytes.length < pixels * 2) throw new Error(`YBR_FULL_422 pixel data is truncated: ${bytes.length} bytes`);
  const out = new Int32Array(pixels * 3);
  for (let p = 0; p < pixels; p += 2) {
    const s = p * 2;
    const cb = bytes[s + 2] as number;
    const cr = bytes[s + 3] as number;
    const o = p * 3;
    out[o] = bytes[s] as number;
    out[o + 1] = cb;
    out[o + 2] = cr;
    if (p + 1 < pixels) {
      out[o + 3] = bytes[s + 1] as number;
      out[o + 4] = cb;
      out[o + 5] = cr;
    }
  }
  return out;
}
