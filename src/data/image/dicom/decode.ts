/** `decodeDicom`: a DICOM file to display-ready grey (or RGB) pixels. */
import { readFile } from 'node:fs/promises';
import { ImageDecodeError, reasonOf } from '../errors.js';
import type { Image } from '../types.js';
import { checkSyntax, type DicomHeader, readHeader } from './header.js';
import { storedValues } from './pixels.js';
import { modalityRange, type Window, windowFunction } from './voi.js';

/** Options of {@link decodeDicom}. */
export interface DecodeDicomOptions {
  /** frame of a multi-frame file (default 0) */
  frame?: number;
  /**
   * 'float32' (default): modality values (stored x slope + intercept), or [0, 1] when a VOI window applies;
   * 'uint8': [0, 1] x 255, rounded.
   */
  output?: 'float32' | 'uint8';
  /**
   * Value of interest transform. 'auto' (default): the file's first Window Center/Width (with its VOI LUT
   * Function) if present; otherwise none for float32 output, and the full stored range for uint8.
   * 'none': no window (uint8 then maps the full stored range); 'minmax': the frame's own min..max;
   * `{ center, width }`: this LINEAR window.
   */
  voi?: 'auto' | 'none' | 'minmax' | Window;
  /** invert MONOCHROME1 so that higher is brighter, as MONOCHROME2 (default true) */
  invertMonochrome1?: boolean;
  /** name used in error messages when the input is bytes */
  name?: string;
}

/** What the file said, and what was done. */
export interface DicomInfo {
  transferSyntax: string;
  photometric: string;
  bitsAllocated: number;
  bitsStored: number;
  signed: boolean;
  frames: number;
  rescaleSlope: number;
  rescaleIntercept: number;
  /** the window applied, or null */
  window: Window | null;
  /** true when MONOCHROME1 was inverted */
  inverted: boolean;
}

/** A decoded DICOM frame: an {@link Image} (float32 or 8-bit) with the header facts. */
export interface DicomImage extends Image {
  readonly data: Float32Array | Uint8Array;
  readonly info: DicomInfo;
}

function chooseWindow(h: DicomHeader, voi: DecodeDicomOptions['voi'], values: ArrayLike<number>): Window | null {
  if (voi === undefined || voi === 'auto') {
    return h.window ? { center: h.window.center, width: h.window.width, fn: h.voiFunction } : null;
  }
  if (voi === 'none') return null;
  if (voi === 'minmax') {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    // LINEAR_EXACT with these bounds maps lo to 0 and hi to 1
    return { center: (lo + hi) / 2, width: Math.max(hi - lo, 1e-12), fn: 'LINEAR_EXACT' };
  }
  return { fn: 'LINEAR', ...voi };
}

/** The pixel pipeline on a parsed header. */
export function dicomPixels(h: DicomHeader, options: DecodeDicomOptions = {}): DicomImage {
  checkSyntax(h.transferSyntax);
  const mono = h.photometric === 'MONOCHROME1' || h.photometric === 'MONOCHROME2';
  if (!mono && !(h.photometric === 'RGB' && h.samplesPerPixel === 3)) {
    throw new Error(`unsupported Photometric Interpretation ${h.photometric} (${h.samplesPerPixel} samples)`);
  }
  const stored = storedValues(h, options.frame ?? 0);
  const { rescaleSlope: slope, rescaleIntercept: intercept } = h;
  const modality = new Float64Array(stored.length);
  for (let i = 0; i < stored.length; i++) modality[i] = (stored[i] as number) * slope + intercept;
  const [yMin, yMax] = modalityRange(h.bitsStored, h.pixelRepresentation === 1, slope, intercept);
  const output = options.output ?? 'float32';
  const window = mono ? chooseWindow(h, options.voi, modality) : null;
  const invert = (options.invertMonochrome1 ?? true) && h.photometric === 'MONOCHROME1';
  const n = modality.length;
  let unit: ((x: number) => number) | null = window ? windowFunction(window) : null;
  if (unit === null && output === 'uint8') unit = (x) => (x - yMin) / (yMax - yMin);
  let data: Float32Array | Uint8Array;
  if (unit === null) {
    data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = invert ? yMin + yMax - (modality[i] as number) : (modality[i] as number);
  } else {
    const f = invert ? (x: number) => 1 - (unit as (x: number) => number)(x) : unit;
    if (output === 'uint8') {
      data = new Uint8Array(n);
      for (let i = 0; i < n; i++) data[i] = Math.round(Math.min(1, Math.max(0, f(modality[i] as number))) * 255);
    } else {
      data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = f(modality[i] as number);
    }
  }
  return {
    height: h.rows,
    width: h.columns,
    channels: h.samplesPerPixel,
    bitDepth: output === 'uint8' ? 8 : 32,
    data,
    info: {
      transferSyntax: h.transferSyntax,
      photometric: h.photometric,
      bitsAllocated: h.bitsAllocated,
      bitsStored: h.bitsStored,
      signed: h.pixelRepresentation === 1,
      frames: h.frames,
      rescaleSlope: slope,
      rescaleIntercept: intercept,
      window,
      inverted: invert,
    },
  };
}

/**
 * Decodes a DICOM file: Implicit/Explicit VR Little Endian, Deflated, Explicit VR Big Endian and RLE Lossless;
 * 8/12/16/32-bit, signed or unsigned, grey (MONOCHROME1/2) or RGB. Pipeline: stored values → Rescale
 * Slope/Intercept → VOI window (optional, see {@link DecodeDicomOptions.voi}) → MONOCHROME1 inverted →
 * float32 or 8-bit. JPEG-family syntaxes throw 'unsupported transfer syntax <UID> (<name>)'.
 *
 * @throws {ImageDecodeError} naming the file when it is corrupt, truncated or unsupported.
 * @example
 * ```ts
 * const img = await decodeDicom('chest.dcm', { output: 'uint8' }); // windowed, MONOCHROME2, 8-bit
 * const hu = await decodeDicom('ct.dcm', { voi: 'none' });          // float32 Hounsfield units
 * ```
 */
export async function decodeDicom(input: string | Uint8Array, options: DecodeDicomOptions = {}): Promise<DicomImage> {
  const source = typeof input === 'string' ? input : (options.name ?? '<buffer>');
  try {
    const bytes =
      typeof input === 'string' ? await readFile(input) : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    return dicomPixels(readHeader(bytes), options);
  } catch (e) {
    throw new ImageDecodeError(source, reasonOf(e), { cause: e });
  }
}
