/** Parsing a DICOM Part 10 file (or a bare dataset) with dicom-parser into the fields the pixel pipeline needs. */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import dicomParser from 'dicom-parser';
import { reasonOf } from '../errors.js';

/** Transfer syntaxes this reader decodes (the JPEG family with the codecs of codecs.ts). */
export const SUPPORTED_SYNTAXES: Readonly<Record<string, string>> = {
  '1.2.840.10008.1.2': 'Implicit VR Little Endian',
  '1.2.840.10008.1.2.1': 'Explicit VR Little Endian',
  '1.2.840.10008.1.2.1.99': 'Deflated Explicit VR Little Endian',
  '1.2.840.10008.1.2.2': 'Explicit VR Big Endian',
  '1.2.840.10008.1.2.5': 'RLE Lossless',
  '1.2.840.10008.1.2.4.50': 'JPEG Baseline (Process 1)',
  '1.2.840.10008.1.2.4.51': 'JPEG Extended (Process 2 & 4), 8-bit only',
  '1.2.840.10008.1.2.4.57': 'JPEG Lossless, Non-Hierarchical (Process 14)',
  '1.2.840.10008.1.2.4.70': 'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [SV1])',
  '1.2.840.10008.1.2.4.80': 'JPEG-LS Lossless',
  '1.2.840.10008.1.2.4.81': 'JPEG-LS Lossy (Near-Lossless)',
  '1.2.840.10008.1.2.4.90': 'JPEG 2000 Image Compression (Lossless Only)',
  '1.2.840.10008.1.2.4.91': 'JPEG 2000 Image Compression',
};

/** Compressed syntaxes recognised by name in the 'unsupported transfer syntax' error. */
export const UNSUPPORTED_SYNTAXES: Readonly<Record<string, string>> = {
  '1.2.840.10008.1.2.4.201': 'High-Throughput JPEG 2000 (Lossless Only)',
  '1.2.840.10008.1.2.4.202': 'High-Throughput JPEG 2000 with RPCL Options (Lossless Only)',
  '1.2.840.10008.1.2.4.203': 'High-Throughput JPEG 2000',
  '1.2.840.10008.1.2.4.100': 'MPEG2 Main Profile / Main Level',
  '1.2.840.10008.1.2.4.102': 'MPEG-4 AVC/H.264 High Profile / Level 4.1',
};

/** The image attributes of a DICOM dataset. */
export interface DicomHeader {
  transferSyntax: string;
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  /** 0 unsigned, 1 two's complement */
  pixelRepresentation: number;
  photometric: string;
  planarConfiguration: number;
  frames: number;
  rescaleSlope: number;
  rescaleIntercept: number;
  /** first Window Center / Width values, if present */
  window?: { center: number; width: number };
  /** VOI LUT Function (0028,1056), default 'LINEAR' */
  voiFunction: string;
  dataSet: dicomParser.DataSet;
  pixelData: dicomParser.Element;
  byteArray: Uint8Array;
}

/** Throws 'unsupported transfer syntax <UID> (<name>)' unless this reader decodes `syntax`. */
export function checkSyntax(syntax: string): void {
  if (syntax === '' || SUPPORTED_SYNTAXES[syntax] !== undefined) return;
  throw new Error(`unsupported transfer syntax ${syntax} (${UNSUPPORTED_SYNTAXES[syntax] ?? 'unknown'})`);
}

/** Guess the syntax of a file without a meta header from its first element (as pydicom does). */
function guessSyntax(bytes: Uint8Array): string {
  const isLetter = (b: number | undefined) => b !== undefined && b >= 0x41 && b <= 0x5a;
  if (bytes[0] === 0 && (bytes[1] ?? 0) !== 0) return '1.2.840.10008.1.2.2';
  return isLetter(bytes[4]) && isLetter(bytes[5]) ? '1.2.840.10008.1.2.1' : '1.2.840.10008.1.2';
}

/**
 * dicom-parser does not know the VR OV (it reads a 2-byte length where there are 4): the Extended Offset
 * Table (7FE0,0001) and its lengths (7FE0,0002) are relabelled OB, which has the same layout, in a copy.
 */
function relabelOffsetTables(bytes: Uint8Array): Uint8Array {
  let out = bytes;
  for (const element of [1, 2]) {
    const pattern = [0xe0, 0x7f, element, 0, 0x4f, 0x56, 0, 0]; // (7FE0,000n) 'OV' 00 00
    let at = bytes.indexOf(0xe0, 132);
    while (at >= 0 && !pattern.every((b, k) => bytes[at + k] === b)) at = bytes.indexOf(0xe0, at + 1);
    if (at < 0) continue;
    if (out === bytes) out = new Uint8Array(bytes);
    out[at + 5] = 0x42; // 'B'
  }
  return out;
}

const PIXEL_DATA = 'x7fe00010';

function parse(bytes: Uint8Array, untilTag?: string): dicomParser.DataSet {
  const hasPrefix = bytes.length >= 132 && String.fromCharCode(...bytes.subarray(128, 132)) === 'DICM';
  if (hasPrefix) {
    // check the syntax from the meta header first: a compressed file may not even parse
    const syntax = (dicomParser.readPart10Header(bytes).string('x00020010') ?? '').replace(/\0/g, '').trim();
    checkSyntax(syntax);
    const body = syntax.startsWith('1.2.840.10008.1.2.4.') ? relabelOffsetTables(bytes) : bytes;
    return dicomParser.parseDicom(body, untilTag ? { untilTag } : {});
  }
  return dicomParser.parseDicom(bytes, { TransferSyntaxUID: guessSyntax(bytes), ...(untilTag ? { untilTag } : {}) });
}

/** Parses the dataset and reads its image attributes. Throws (strings included) on malformed data. */
export function readHeader(bytes: Uint8Array): DicomHeader {
  return attributesOf(parse(bytes), bytes);
}

function attributesOf(ds: dicomParser.DataSet, bytes: Uint8Array): DicomHeader {
  const pixelData = ds.elements[PIXEL_DATA];
  if (pixelData === undefined) throw new Error('no Pixel Data (7FE0,0010) element');
  const u16 = (tag: string, fallback?: number): number => {
    const v = ds.uint16(tag);
    if (v === undefined) {
      if (fallback === undefined) throw new Error(`missing required attribute ${tag.slice(1, 5)},${tag.slice(5)}`);
      return fallback;
    }
    return v;
  };
  const bitsAllocated = u16('x00280100');
  const center = ds.elements.x00281050 ? ds.floatString('x00281050', 0) : undefined;
  const width = ds.elements.x00281051 ? ds.floatString('x00281051', 0) : undefined;
  const header: DicomHeader = {
    transferSyntax: (ds.string('x00020010') ?? guessSyntax(bytes)).replace(/\0/g, '').trim(),
    rows: u16('x00280010'),
    columns: u16('x00280011'),
    samplesPerPixel: u16('x00280002', 1),
    bitsAllocated,
    bitsStored: u16('x00280101', bitsAllocated),
    highBit: u16('x00280102', (ds.uint16('x00280101') ?? bitsAllocated) - 1),
    pixelRepresentation: u16('x00280103', 0),
    photometric: (ds.string('x00280004') ?? 'MONOCHROME2').trim().toUpperCase(),
    planarConfiguration: u16('x00280006', 0),
    frames: ds.elements.x00280008 ? (ds.intString('x00280008') ?? 1) : 1,
    rescaleSlope: ds.elements.x00281053 ? (ds.floatString('x00281053') ?? 1) : 1,
    rescaleIntercept: ds.elements.x00281052 ? (ds.floatString('x00281052') ?? 0) : 0,
    voiFunction: (ds.string('x00281056') ?? 'LINEAR').trim().toUpperCase(),
    dataSet: ds,
    pixelData,
    byteArray: ds.byteArray,
  };
  if (center !== undefined && width !== undefined && Number.isFinite(center) && Number.isFinite(width)) {
    header.window = { center, width };
  }
  return header;
}

/** The attributes of a DICOM file without its pixels: {@link DicomHeader} minus the pixel bytes. */
export type DicomFileHeader = Omit<DicomHeader, 'pixelData' | 'byteArray'>;

/** Bytes read first by {@link readFileHeader}; doubled while the attributes run on past them. */
const HEAD_BYTES = 64 * 1024;

/**
 * Reads the attributes of the DICOM file at `path` from the head of the file, up to its Pixel Data
 * element, instead of the whole file (an X-ray is 5-30 MB; its attributes a few KB): the first 64 KiB,
 * then twice as much while the attributes run on past what was read; a file that does not parse is read
 * whole, so errors are {@link readHeader}'s (unsupported syntax, no Pixel Data, malformed data), always as
 * an `Error` (dicom-parser throws strings and objects).
 *
 * @example
 * ```ts
 * const { rows, columns, dataSet } = readFileHeader('scans/chest.dcm');
 * const patientId = dataSet.string('x00100020');
 * ```
 */
export function readFileHeader(path: string): DicomFileHeader {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    for (let want = Math.min(HEAD_BYTES, size); ; want = Math.min(want * 2, size)) {
      const head = new Uint8Array(want);
      const got = readSync(fd, head, 0, want, 0);
      const bytes = head.subarray(0, got);
      // the whole file, or its end came early (it shrank since fstat): parse what there is, never read again
      if (got >= size || got < want) {
        try {
          return withoutPixels(readHeader(bytes));
        } catch (e) {
          throw e instanceof Error ? e : new Error(reasonOf(e), { cause: e });
        }
      }
      try {
        const ds = parse(bytes, PIXEL_DATA);
        // a head that ends between two elements parses cleanly; only a head that reached Pixel Data is whole
        if (ds.elements[PIXEL_DATA] !== undefined) return withoutPixels(attributesOf(ds, bytes));
      } catch {
        // the head ends inside an element: read more
      }
    }
  } finally {
    closeSync(fd);
  }
}

function withoutPixels(header: DicomHeader): DicomFileHeader {
  const { pixelData: _pixels, byteArray: _bytes, ...rest } = header;
  return rest;
}
