/** `decodeDicom`: a DICOM file to display-ready grey (or RGB) pixels. */
import { readFile } from 'node:fs/promises';
import { ImageDecodeError, reasonOf } from '../errors.js';
import type { Image } from '../types.js';
import { checkSyntax, type DicomHeader, readHeader } from './header.js';
import { type Lut, lookup, presentationLutShape, readLutSequence } from './lut.js';
import { codecFor, storedValues } from './pixels.js';
import { modalityRange, type Window, windowFunction } from './voi.js';
import { ybrFullToRgb } from './ybr.js';

/** Options of {@link decodeDicom}. */
export interface DecodeDicomOptions {
  /** frame of a multi-frame file (default 0) */
  frame?: number;
  /**
   * 'float32' (default): modality values (stored x slope + intercept, or the Modality LUT), or [0, 1] when a
   * VOI window or LUT applies; 'uint8': [0, 1] x 255, rounded.
   */
  output?: 'float32' | 'uint8';
  /**
   * Value of interest transform. 'auto' (default): the file's VOI LUT Sequence if present (pydicom's
   * `prefer_lut`), else its first Window Center/Width (with its VOI LUT Function); otherwise none for float32
   * output, and the full stored range for uint8. 'window' / 'lut': only that one of the file's two.
   * 'none': no VOI (uint8 then maps the full stored range); 'minmax': the frame's own min..max;
   * `{ center, width }`: this LINEAR window.
   */
  voi?: 'auto' | 'window' | 'lut' | 'none' | 'minmax' | Window;
  /** invert MONOCHROME1 so that higher is brighter, as MONOCHROME2 (default true) */
  invertMonochrome1?: boolean;
  /**
   * apply Presentation LUT Shape (2050,0020) INVERSE to a MONOCHROME2 image (default true). On MONOCHROME1
   * INVERSE is the inversion above (DX images pair the two), and IDENTITY changes nothing.
   */
  presentationLut?: boolean;
  /** name used in error messages when the input is bytes */
  name?: string;
}

/** What the file said, and what was done. */
export interface DicomInfo {
  transferSyntax: string;
  /** the file's Photometric Interpretation (YBR data is returned as RGB, see `ybrToRgb`) */
  photometric: string;
  bitsAllocated: number;
  bitsStored: number;
  signed: boolean;
  frames: number;
  rescaleSlope: number;
  rescaleIntercept: number;
  /** true when the Modality LUT Sequence replaced the rescale */
  modalityLut: boolean;
  /** the window applied, or null */
  window: Window | null;
  /** the VOI LUT applied (from the VOI LUT Sequence), or null */
  voiLut: Lut | null;
  /** Presentation LUT Shape, or null when absent */
  presentationLutShape: string | null;
  /** true when the grey output was inverted (MONOCHROME1, or Presentation LUT Shape INVERSE) */
  inverted: boolean;
  /** true when YBR_FULL / YBR_FULL_422 / YBR_RCT / YBR_ICT samples were turned into RGB */
  ybrToRgb: boolean;
}

/** A decoded DICOM frame: an {@link Image} (float32 or 8-bit) with the header facts. */
export interface DicomImage extends Image {
  readonly data: Float32Array | Uint8Array;
  readonly info: DicomInfo;
}

type Voi = { window: Window; lut?: undefined } | { lut: Lut; window?: undefined } | null;

function chooseVoi(h: DicomHeader, voi: DecodeDicomOptions['voi'], values: ArrayLike<number>): Voi {
  const fileWindow = (): Voi =>
    h.window ? { window: { center: h.window.center, width: h.window.width, fn: h.voiFunction } } : null;
  const fileLut = (): Voi => {
    const lut = readLutSequence(h.dataSet, 'x00283010', h.pixelRepresentation === 1);
    return lut ? { lut } : null;
  };
  if (voi === undefined || voi === 'auto') return fileLut() ?? fileWindow();
  if (voi === 'window') return fileWindow();
  if (voi === 'lut') return fileLut();
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
    return { window: { center: (lo + hi) / 2, width: Math.max(hi - lo, 1e-12), fn: 'LINEAR_EXACT' } };
  }
  return { window: { fn: 'LINEAR', ...voi } };
}

const COLOUR = ['RGB', 'YBR_FULL', 'YBR_FULL_422', 'YBR_RCT', 'YBR_ICT'];

/** Colour samples to RGB: YBR_FULL(_422) converted here unless the codec did it; YBR_RCT/ICT need J2K's codec. */
function toRgb(h: DicomHeader, values: Int32Array | Float64Array, codecRgb: boolean): boolean {
  if (h.photometric === 'RGB' || codecRgb) return h.photometric !== 'RGB';
  if (h.photometric === 'YBR_RCT' || h.photometric === 'YBR_ICT') {
    throw new Error(`${h.photometric} is only defined for JPEG 2000, not ${h.transferSyntax}`);
  }
  if (h.bitsAllocated !== 8) throw new Error(`${h.photometric} with ${h.bitsAllocated}-bit samples is not supported`);
  ybrFullToRgb(values);
  return true;
}

/** The pixel pipeline on a parsed header (the codec of a compressed syntax must be loaded, see `decodeDicom`). */
export function dicomPixels(h: DicomHeader, options: DecodeDicomOptions = {}): DicomImage {
  checkSyntax(h.transferSyntax);
  const mono = h.photometric === 'MONOCHROME1' || h.photometric === 'MONOCHROME2';
  if (!mono && !(COLOUR.includes(h.photometric) && h.samplesPerPixel === 3)) {
    throw new Error(`unsupported Photometric Interpretation ${h.photometric} (${h.samplesPerPixel} samples)`);
  }
  const { values: stored, rgb } = storedValues(h, options.frame ?? 0);
  const ybrToRgb = mono ? false : toRgb(h, stored, rgb);
  const signed = h.pixelRepresentation === 1;
  const modalityLut = mono ? readLutSequence(h.dataSet, 'x00283000', signed) : null;
  const { rescaleSlope: slope, rescaleIntercept: intercept } = h;
  const n = stored.length;
  const modality = new Float64Array(n);
  if (modalityLut) {
    for (let i = 0; i < n; i++) modality[i] = lookup(modalityLut, stored[i] as number);
  } else {
    for (let i = 0; i < n; i++) modality[i] = (stored[i] as number) * slope + intercept;
  }
  const [yMin, yMax]: [number, number] = modalityLut
    ? [0, 2 ** modalityLut.bits - 1]
    : modalityRange(h.bitsStored, signed, slope, intercept);
  const output = options.output ?? 'float32';
  const voi = mono ? chooseVoi(h, options.voi, modality) : null;
  const shape = presentationLutShape(h.dataSet);
  const invert =
    (h.photometric === 'MONOCHROME1' && (options.invertMonochrome1 ?? true)) ||
    (h.photometric === 'MONOCHROME2' && (options.presentationLut ?? true) && shape === 'INVERSE');
  let unit: ((x: number) => number) | null = null;
  if (voi?.window) unit = windowFunction(voi.window);
  else if (voi?.lut) {
    const lut = voi.lut;
    const top = 2 ** lut.bits - 1;
    unit = (x) => lookup(lut, x) / top;
  }
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
      signed,
      frames: h.frames,
      rescaleSlope: slope,
      rescaleIntercept: intercept,
      modalityLut: modalityLut !== null,
      window: voi?.window ?? null,
      voiLut: voi?.lut ?? null,
      presentationLutShape: shape,
      inverted: invert,
      ybrToRgb,
    },
  };
}

/**
 * Decodes a DICOM file: Implicit/Explicit VR Little Endian, Deflated, Explicit VR Big Endian, RLE Lossless,
 * JPEG baseline/extended 8-bit (libjpeg-turbo), JPEG lossless (jpeg-lossless-decoder-js), JPEG-LS (CharLS)
 * and JPEG 2000 (OpenJPEG), single or multi-frame; 8/12/16/32-bit, signed or unsigned, grey (MONOCHROME1/2),
 * RGB or YBR (returned as RGB). Pipeline: stored values → Modality LUT Sequence or Rescale Slope/Intercept →
 * VOI LUT Sequence or window (see {@link DecodeDicomOptions.voi}) → MONOCHROME1 / Presentation LUT Shape
 * INVERSE inverted → float32 or 8-bit. The wasm codecs load on first use. Other syntaxes (HTJ2K, 12-bit
 * DCT JPEG, video) throw 'unsupported transfer syntax <UID> (<name>)' or name what the codec refused.
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
    const header = readHeader(bytes);
    await codecFor(header)?.load();
    return dicomPixels(header, options);
  } catch (e) {
    throw new ImageDecodeError(source, reasonOf(e), { cause: e });
  }
}
