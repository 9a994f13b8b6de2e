/** Stored pixel values of one frame: native (little/big endian) or RLE, sign-extended or masked to Bits Stored. */
import dicomParser from 'dicom-parser';
import type { DicomHeader } from './header.js';
import { decodeRleFrame } from './rle.js';

const RLE = '1.2.840.10008.1.2.5';
const BIG_ENDIAN = '1.2.840.10008.1.2.2';

/** The frame's stored values, samples interleaved (HWC), as signed/unsigned integers. */
export function storedValues(h: DicomHeader, frame: number): Int32Array | Float64Array {
  const { rows, columns, samplesPerPixel: spp, bitsAllocated } = h;
  if (![1, 8, 16, 32].includes(bitsAllocated)) throw new Error(`Bits Allocated ${bitsAllocated} is not supported`);
  if (!Number.isInteger(frame) || frame < 0 || frame >= h.frames) {
    throw new RangeError(`frame ${frame} out of range (the file has ${h.frames})`);
  }
  const n = rows * columns;
  const bytesPer = bitsAllocated / 8;
  const out = bitsAllocated === 32 ? new Float64Array(n * spp) : new Int32Array(n * spp);
  if (bitsAllocated === 1) {
    if (h.transferSyntax === RLE) throw new Error('1-bit RLE pixel data is not supported');
    readBits(h, frame, out);
    return out;
  } else if (h.transferSyntax === RLE) {
    readRle(h, frame, out);
  } else {
    readNative(h, frame, out, bytesPer);
  }
  fixBits(h, out);
  return out;
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

function rleFragment(h: DicomHeader, frame: number): Uint8Array {
  const el = h.pixelData;
  const fragments = el.fragments ?? [];
  if (!el.encapsulatedPixelData || fragments.length === 0) throw new Error('RLE pixel data is not encapsulated');
  const bot = el.basicOffsetTable ?? [];
  if (bot.length > 0) return dicomParser.readEncapsulatedImageFrame(h.dataSet, el, frame) as Uint8Array;
  if (h.frames === 1)
    return dicomParser.readEncapsulatedPixelDataFromFragments(h.dataSet, el, 0, fragments.length) as Uint8Array;
  if (fragments.length !== h.frames)
    throw new Error('multi-frame RLE without an offset table needs one fragment per frame');
  return dicomParser.readEncapsulatedPixelDataFromFragments(h.dataSet, el, frame, 1) as Uint8Array;
}

function readRle(h: DicomHeader, frame: number, out: Int32Array | Float64Array): void {
  const { rows, columns, samplesPerPixel: spp, bitsAllocated } = h;
  const n = rows * columns;
  const bytesPer = bitsAllocated / 8;
  const segments = decodeRleFrame(rleFragment(h, frame), n);
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
