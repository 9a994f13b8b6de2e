/** Decoding any supported image file by its extension: DICOM (.dcm, .dicom) with decodeDicom, the rest with sharp. */
import { extname } from 'node:path';
import { convertColour } from './colour.js';
import { applyCenterCrop, type DecodeImageOptions, decodeImage, resizeTarget } from './decode.js';
import { resizeBilinear } from './resample.js';
import type { Image } from './types.js';

/** Extensions read as DICOM. */
export const DICOM_EXTENSIONS: readonly string[] = ['.dcm', '.dicom'];

/**
 * Decodes a file as {@link decodeImage} does; a DICOM file gives its first frame as 8-bit display pixels
 * (the file's VOI LUT or window, MONOCHROME1 inverted, YBR as RGB), then the same colour and resize options
 * (the resize is Pillow's bilinear, on the main thread) and centre crop.
 *
 * @throws {ImageDecodeError} naming the file.
 * @example
 * ```ts
 * const img = await decodeImageFile('scans/chest.dcm', { colour: 'grey', resize: 256 });
 * ```
 */
export async function decodeImageFile(path: string, options: DecodeImageOptions = {}): Promise<Image> {
  if (!DICOM_EXTENSIONS.includes(extname(path).toLowerCase())) return decodeImage(path, options);
  return decodeDicomImage(path, options);
}

/** True when `bytes` are a DICOM Part 10 file (the 'DICM' magic after the 128-byte preamble). */
export function isDicom(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d
  );
}

/**
 * Decodes encoded bytes as {@link decodeImageFile} decodes a file: DICOM when the bytes carry DICOM's
 * magic, otherwise PNG, JPEG, TIFF or WebP (e.g. an upload to a server).
 *
 * @throws {ImageDecodeError} naming `options.name` (default '<buffer>').
 * @example
 * ```ts
 * const img = await decodeImageBytes(new Uint8Array(await request.arrayBuffer()), { colour: 'grey' });
 * ```
 */
export async function decodeImageBytes(bytes: Uint8Array, options: DecodeImageOptions = {}): Promise<Image> {
  return isDicom(bytes) ? decodeDicomImage(bytes, options) : decodeImage(bytes, options);
}

async function decodeDicomImage(input: string | Uint8Array, options: DecodeImageOptions): Promise<Image> {
  // imported on first use, so that a decode worker without DICOM files starts sooner
  const { decodeDicom } = await import('./dicom/decode.js');
  const dicom = await decodeDicom(input, { output: 'uint8', ...(options.name ? { name: options.name } : {}) });
  let img: Image = {
    height: dicom.height,
    width: dicom.width,
    channels: dicom.channels,
    bitDepth: 8,
    data: dicom.data,
  };
  img = convertColour(img, options.colour ?? 'keep');
  if (options.resize !== undefined) {
    const [h, w] = resizeTarget(img.height, img.width, options.resize);
    if (h !== img.height || w !== img.width) img = resizeBilinear(img, h, w);
  }
  return applyCenterCrop(img, options);
}
