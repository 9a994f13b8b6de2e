/** Reading a PNG's chunk structure: signature, IHDR, the IDAT stream, CRCs (PNG spec, sections 5 and 11). */
import { crc32 } from 'node:zlib';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** A file that is a PNG but not a well-formed one (bad chunk, CRC, header). */
export class PngFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PngFormatError';
  }
}

/** The IHDR fields. */
export interface PngHeader {
  width: number;
  height: number;
  /** bits per sample: 1, 2, 4, 8 or 16 */
  bitDepth: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA */
  colourType: number;
  /** 0 none, 1 Adam7 */
  interlace: number;
}

/** A parsed PNG: its header, the concatenated IDAT data (a zlib stream), and the other chunk types seen. */
export interface PngChunks {
  header: PngHeader;
  idat: Uint8Array;
  ancillary: Set<string>;
}

/** Options of {@link readPngChunks}. */
export interface ReadPngChunksOptions {
  /**
   * Called at the first IDAT with the header and the chunk types before it (the spec puts tRNS, iCCP and
   * PLTE there); true lets the IDAT data be gathered inside `bytes`, overwriting it: no copy, but `bytes`
   * is no longer a PNG afterwards (also when a later chunk turns out to be broken).
   */
  compactIf?: (header: PngHeader, before: ReadonlySet<string>) => boolean;
}

/** Whether `bytes` start with the PNG signature. */
export function isPng(bytes: Uint8Array): boolean {
  if (bytes.length < SIGNATURE.length) return false;
  for (let i = 0; i < SIGNATURE.length; i++) if (bytes[i] !== SIGNATURE[i]) return false;
  return true;
}

function u32(b: Uint8Array, at: number): number {
  return (
    (((b[at] as number) << 24) |
      ((b[at + 1] as number) << 16) |
      ((b[at + 2] as number) << 8) |
      (b[at + 3] as number)) >>>
    0
  );
}

function chunkType(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at] as number, b[at + 1] as number, b[at + 2] as number, b[at + 3] as number);
}

const VALID_DEPTHS: Record<number, number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

function readHeader(data: Uint8Array): PngHeader {
  if (data.length !== 13) throw new PngFormatError(`IHDR has ${data.length} bytes, expected 13`);
  const header = {
    width: u32(data, 0),
    height: u32(data, 4),
    bitDepth: data[8] as number,
    colourType: data[9] as number,
    interlace: data[12] as number,
  };
  if (header.width < 1 || header.height < 1 || header.width > 2 ** 31 - 1 || header.height > 2 ** 31 - 1) {
    throw new PngFormatError(`bad image size ${header.width}x${header.height}`);
  }
  if (!VALID_DEPTHS[header.colourType]?.includes(header.bitDepth)) {
    throw new PngFormatError(`bad colour type ${header.colourType} with bit depth ${header.bitDepth}`);
  }
  if (data[10] !== 0 || data[11] !== 0 || header.interlace > 1) {
    throw new PngFormatError('unknown compression, filter or interlace method');
  }
  return header;
}

/**
 * Walks the chunks from the signature to IEND, checking every chunk's CRC but IDAT's, and collects the header and
 * the IDAT stream (IDAT chunks must be consecutive, as the spec requires).
 *
 * With `compactIf` returning true at the first IDAT, the IDAT data is moved together inside `bytes` (each
 * chunk's data slides down over the headers before it, which were already read) instead of copied out.
 *
 * @throws {PngFormatError} for a missing signature, IHDR or IEND, a chunk running past the end, a CRC
 * mismatch, scattered or missing IDAT chunks.
 */
export function readPngChunks(bytes: Uint8Array, options: ReadPngChunksOptions = {}): PngChunks {
  if (!isPng(bytes)) throw new PngFormatError('not a PNG signature');
  let at = SIGNATURE.length;
  let header: PngHeader | undefined;
  const idat: Uint8Array[] = [];
  let idatDone = false;
  let compact: boolean | undefined;
  let idatStart = -1;
  let idatEnd = -1;
  const ancillary = new Set<string>();
  for (;;) {
    if (at + 12 > bytes.length) throw new PngFormatError('truncated: no IEND chunk');
    const length = u32(bytes, at);
    const type = chunkType(bytes, at + 4);
    const end = at + 8 + length;
    if (length > 2 ** 31 - 1 || end + 4 > bytes.length) throw new PngFormatError(`truncated in chunk ${type}`);
    // IDAT's CRC is left to zlib's Adler-32 over the same data, as PIL does: a CRC pass over it costs
    // about 3% of a whole decode
    if (type !== 'IDAT' && crc32(bytes.subarray(at + 4, end)) !== u32(bytes, end)) {
      throw new PngFormatError(`CRC mismatch in chunk ${type}`);
    }
    const data = bytes.subarray(at + 8, end);
    at = end + 4;
    if (header === undefined) {
      if (type !== 'IHDR') throw new PngFormatError(`first chunk is ${type}, not IHDR`);
      header = readHeader(data);
      continue;
    }
    if (type === 'IDAT') {
      if (idatDone) throw new PngFormatError('IDAT chunks are not consecutive');
      compact ??= options.compactIf?.(header, ancillary) === true;
      if (compact) {
        if (idatStart < 0) idatStart = idatEnd = data.byteOffset - bytes.byteOffset;
        bytes.copyWithin(idatEnd, at - length - 4, at - 4);
        idatEnd += length;
      } else {
        idat.push(data);
      }
      continue;
    }
    if (idat.length > 0) idatDone = true;
    if (type === 'IEND') break;
    ancillary.add(type);
  }
  if (compact) {
    return { header, idat: bytes.subarray(idatStart, idatEnd), ancillary };
  }
  if (idat.length === 0) throw new PngFormatError('no IDAT chunk');
  return { header, idat: idat.length === 1 ? (idat[0] as Uint8Array) : Buffer.concat(idat), ancillary };
}
