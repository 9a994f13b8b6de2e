/** Stored pixel values of one frame: native (little/big endian), RLE or JPEG-family; masked to Bits Stored, sign-extended. */
import { CODEC_OF_SYNTAX, type CodecFrame, type DicomCodec } from './codecs.js';
import { frameBytes } from './encapsulated.js';
import type { DicomHeader } from './header.js';
import { decodeRleFrame } from './rle.js';
import { expandYbr422 } from './ybr.js';

const RLE = '1.2.840.10008.1.2.5';
const BIG_ENDIAN = '1.2.840.10008.1.2.2';

/** A frame's stored values, samples interleaved (HWC). */
export interface StoredFrame {
  values: Int32Array | Float64Array;
  /** true when a codec already turned YCbCr into RGB */
  rgb: boolean;
}

/** The codec `h`'s transfer syntax needs, or null for native and RLE data. */
export function codecFor(h: DicomHeader): DicomCodec | null {
  return CODEC_OF_SYNTAX[h.transferSyntax] ?? null;
}

/** The frame's stored values as signed/unsigned integers. JPEG-family codecs must be loaded ({@link codecFor}). */
export function storedValues(h: DicomHeader, frame: number): StoredFrame {
  const { rows, columns, samplesPerPixel: spp, bitsAllocated } = h;
  if (![1, 8, 16, 32].includes(bitsAllocated)) throw new Error(`Bits Allocated ${bitsAllocated} is not supported`);
  if (!Number.isInteger(frame) || frame < 0 || frame >= h.frames) {
    throw new RangeError(`frame ${frame} out of range (the file has ${h.frames})`);
  }
  const n = rows * columns;
  const bytesPer = bitsAllocated / 8;
  const codec = codecFor(h);
  if (codec) return readCompressed(h, frame, codec);
  if (h.photometric === 'YBR_FULL_422' && h.transferSyntax !== RLE && bitsAllocated === 8) {
    const start = h.pixelData.dataOffset + frame * n * 2;
    return { values: expandYbr422(h.byteArray.subarray(start, start + n * 2), n), rgb: false };
  }
  const out = bitsAllocated === 32 ? new Float64Array(n * spp) : new Int32Array(n * spp);
  if (bitsAllocated === 1) {
    if (h.transferSyntax === RLE) throw new Error('1-bit RLE pixel data is not supported');
    readBits(h, frame, out);
    return { values: out, rgb: false };
  } else if (h.transferSyntax === RLE) {
    readRle(h, frame, out);
  } else {
    readNative(h, frame, out, bytesPer);
  }
  fixBits(h, out);
  return { values: out, rgb: false };
}

/** Decodes a JPEG-family frame; errors name the frame and the codec. */
function readCompressed(h: DicomHeader, frame: number, codec: DicomCodec): StoredFrame {
  const { rows, columns, samplesPerPixel: spp } = h;
  let decoded: CodecFrame;
  try {
    const bytes = codec.prepare ? codec.prepare(frameBytes(h, frame), h.photometric) : frameBytes(h, frame);
    const header = codec.header(bytes);
    if (header.width !== columns || header.height !== rows || header.components !== spp) {
      throw new Error(
        `the stream is ${header.width}x${header.height} with ${header.components} components, ` +
          `the DICOM header says ${columns}x${rows} with ${spp}`,
      );
    }
    decoded = codec.decode(bytes, header);
    if (decoded.samples.length !== rows * columns * spp) {
      throw new Error(`decoded ${decoded.samples.length} samples, expected ${rows}x${columns}x${spp}`);
    }
  } catch (e) {
    throw new Error(`frame ${frame}, ${codec.name}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const values = Int32Array.from(decoded.samples);
  if (decoded.sign === 'raw') fixBits(h, values);
  else if (decoded.sign === 'unsigned' && h.pixelRepresentation === 1) {
    // unsigned JPEG 2000 in a signed dataset holds two's complement bit patterns (pydicom's J2K correction)
    const half = 2 ** (decoded.precision - 1);
    for (let i = 0; i < values.length; i++) if ((values[i] as number) >= half) (values[i] as number) -= 2 * half;
  }
  return { values, rgb: decoded.rgb };
}

function readNative(h: DicomHeader, frame: number, out: Int32Array | Float64Array, bytesPer: number): void {
  const { rows, columns, samplesPerPixel: spp } = h;
  const n = rows * columns;
  const frameBytes = n * spp * bytesPer;
  const start = h.pixelData.dataOffset + frame * frameBytes;
  const available = h.byteArray.length - start;
  if (available < frameBytes) {
    throw new Error(
      `pixel data is truncated: frame ${frame} needs ${frameBytes} bytes, ${Math.max(0, available)} present`,
    );
  }
  const view = new DataView(h.byteArray.buffer, h.byteArray.byteOffset + start, frameBytes);
  const little = h.transferSyntax !== BIG_ENDIAN;
  const planar = spp > 1 && h.planarConfiguration === 1;
  const read =
    bytesPer === 1
      ? (i: number) => view.getUint8(i)
      : bytesPer === 2
        ? (i: number) => view.getUint16(2 * i, little)
        : (i: number) => view.getUint32(4 * i, little);
  for (let i = 0; i < n * spp; i++) {
    // planar: stored sample-major (RRR..GGG..BBB); out is pixel-major
    const dst = planar ? (i % n) * spp + Math.floor(i / n) : i;
    out[dst] = read(i);
  }
}

/** 1-bit data (segmentations): bits packed LSB first, frames not necessarily byte-aligned. */
function readBits(h: DicomHeader, frame: number, out: Int32Array | Float64Array): void {
  const count = out.length;
  const first = frame * count;
  const start = h.pixelData.dataOffset;
  const needed = Math.ceil((first + count) / 8);
  if (h.byteArray.length - start < needed)
    throw new Error(`pixel data is truncated: frame ${frame} needs ${needed} bytes`);
  const bytes = h.byteArray;
  for (let i = 0; i < count; i++) {
    const bit = first + i;
    out[i] = ((bytes[start + (bit >> 3)] as number) >> (bit & 7)) & 1;
  }
}

function readRle(h: DicomHeader, frame: number, out: Int32Array | Float64Array): void {
  const { rows, columns, samplesPerPixel: spp, bitsAllocated } = h;
  const n = rows * columns;
  const bytesPer = bitsAllocated / 8;
  const segments = decodeRleFrame(frameBytes(h, frame), n);
  if (segments.length !== spp * bytesPer) {
    throw new Error(`RLE frame has ${segments.length} segments, expected ${spp * bytesPer}`);
  }
  for (let s = 0; s < spp; s++) {
    for (let b = 0; b < bytesPer; b++) {
      const seg = segments[s * bytesPer + b] as Uint8Array;
      const mul = 2 ** (8 * (bytesPer - 1 - b));
      for (let i = 0; i < n; i++) out[i * spp + s] = (out[i * spp + s] as number) + (seg[i] as number) * mul;
    }
  }
}

/** Shift down to High Bit, keep Bits Stored bits, and sign-extend when Pixel Representation is 1. */
function fixBits(h: DicomHeader, out: Int32Array | Float64Array): void {
  const { bitsStored, bitsAllocated, highBit, pixelRepresentation } = h;
  const shift = highBit + 1 - bitsStored;
  if (bitsStored >= bitsAllocated && shift <= 0) {
    if (pixelRepresentation === 1) {
      const half = 2 ** (bitsAllocated - 1);
      const full = 2 ** bitsAllocated;
      for (let i = 0; i < out.length; i++) if ((out[i] as number) >= half) (out[i] as number) -= full;
    }
    return;
  }
  const div = 2 ** Math.max(0, shift);
  const mod = 2 ** bitsStored;
  const half = mod / 2;
  for (let i = 0; i < out.length; i++) {
    let v = Math.floor((out[i] as number) / div) % mod;
    if (pixelRepresentation === 1 && v >= half) v -= mod;
    out[i] = v;
  }
}
