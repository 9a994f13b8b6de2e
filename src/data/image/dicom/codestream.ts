/**
 * Reading the frame size from a JPEG, JPEG-LS or JPEG 2000 codestream before decoding it, so that a
 * corrupt header is refused with a clear message instead of reaching a codec with absurd dimensions.
 */

/** What a codestream header says about the image. */
export interface CodestreamInfo {
  width: number;
  height: number;
  components: number;
  /** bits per sample */
  precision: number;
  /** JPEG 2000 only: the first component is signed */
  signed?: boolean;
  /** the start-of-frame marker (0xFFC0..0xFFCF, 0xFFF7 for JPEG-LS) or 0xFF51 (J2K SIZ) */
  marker: number;
}

/** JPEG SOFn markers (not DHT C4, JPG C8, DAC CC) and JPEG-LS SOF55 (F7). */
function isStartOfFrame(m: number): boolean {
  return (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) || m === 0xf7;
}

/**
 * The SOF segment of a JPEG or JPEG-LS stream (ITU T.81 B.2.2, T.87 5.2.2).
 *
 * @example
 * ```ts
 * const { width, height, precision } = readJpegHeader(fragment);
 * ```
 */
export function readJpegHeader(bytes: Uint8Array): CodestreamInfo {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) throw new Error('not a JPEG stream (no SOI marker FFD8)');
  let i = 2;
  while (i + 4 <= bytes.length) {
    if (bytes[i] !== 0xff) throw new Error(`JPEG stream: expected a marker at byte ${i}`);
    let m = bytes[i + 1] as number;
    while (m === 0xff && i + 2 < bytes.length) m = bytes[++i + 1] as number; // fill bytes
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
      i += 2; // markers without a length
      continue;
    }
    if (m === 0xda || m === 0xd9) break; // scan or end before any frame header
    const length = ((bytes[i + 2] as number) << 8) | (bytes[i + 3] as number);
    if (length < 2) throw new Error(`JPEG stream: marker FF${m.toString(16).toUpperCase()} has length ${length}`);
    if (isStartOfFrame(m)) {
      if (i + 10 > bytes.length) break;
      return {
        precision: bytes[i + 4] as number,
        height: ((bytes[i + 5] as number) << 8) | (bytes[i + 6] as number),
        width: ((bytes[i + 7] as number) << 8) | (bytes[i + 8] as number),
        components: bytes[i + 9] as number,
        marker: 0xff00 | m,
      };
    }
    i += 2 + length;
  }
  throw new Error('JPEG stream has no frame header (SOF) before its scan data or end');
}

/** The SIZ segment of a JPEG 2000 codestream (T.800 A.5.1), inside a JP2 file or bare. */
export function readJ2kHeader(bytes: Uint8Array): CodestreamInfo {
  // A bare codestream starts with SOC FF4F, SIZ FF51; a JP2 file holds it in a 'jp2c' box.
  let at = -1;
  const limit = Math.min(bytes.length - 1, 1 << 16);
  for (let i = 0; i + 3 < limit; i++) {
    if (bytes[i] === 0xff && bytes[i + 1] === 0x4f && bytes[i + 2] === 0xff && bytes[i + 3] === 0x51) {
      at = i + 2;
      break;
    }
  }
  if (at < 0) throw new Error('not a JPEG 2000 stream (no SOC/SIZ markers FF4F FF51)');
  if (at + 41 > bytes.length) throw new Error('JPEG 2000 SIZ segment is truncated');
  const v = new DataView(bytes.buffer, bytes.byteOffset + at, bytes.length - at);
  const width = v.getUint32(6) - v.getUint32(14);
  const height = v.getUint32(10) - v.getUint32(18);
  const components = v.getUint16(38);
  const ssiz = v.getUint8(40);
  return { width, height, components, precision: (ssiz & 0x7f) + 1, signed: (ssiz & 0x80) !== 0, marker: 0xff51 };
}

/** The colour hints libjpeg reads: JFIF (APP0) and Adobe (APP14) markers and the frame's component ids. */
export function readJpegColourMarkers(bytes: Uint8Array): { jfif: boolean; adobe: boolean; ids: number[] } {
  const found = { jfif: false, adobe: false, ids: [] as number[] };
  const tag = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 5));
  let i = 2;
  while (i + 4 <= bytes.length && bytes[i] === 0xff) {
    const m = bytes[i + 1] as number;
    if (m === 0xda || m === 0xd9) break;
    const length = ((bytes[i + 2] as number) << 8) | (bytes[i + 3] as number);
    if (m === 0xe0 && tag(i + 4) === 'JFIF\0') found.jfif = true;
    if (m === 0xee && tag(i + 4) === 'Adobe') found.adobe = true;
    if (isStartOfFrame(m)) {
      const count = bytes[i + 9] ?? 0;
      for (let k = 0; k < count; k++) found.ids.push(bytes[i + 10 + 3 * k] ?? -1);
    }
    i += 2 + length;
  }
  return found;
}

/**
 * Throws unless the stream ends with EOI / EOC (FFD9; trailing zero padding allowed): libjpeg and OpenJPEG
 * would fill a truncated frame with grey, or fail with no message.
 */
export function checkEndMarker(bytes: Uint8Array): void {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  if (end < 2 || bytes[end - 2] !== 0xff || bytes[end - 1] !== 0xd9) {
    throw new Error('the stream is truncated (no end-of-image marker FFD9)');
  }
}
