/**
 * Image and DICOM readers and preprocessing transforms; the deterministic image ops the transforms are
 * made of are in the `functional` namespace (torchvision's `transforms.functional`).
 *
 * @example
 * ```ts
 * import { chain, decodeImage, GreyToRGB, HFlip, RandomCrop, Resize, ToTensor } from './data/image/index.js';
 * import { seededRandom } from './data/sampler.js';
 * const img = await decodeImage('00000001_000.png');
 * const x = chain(Resize(256), RandomCrop(224), HFlip(0.5), GreyToRGB(), ToTensor()).apply(img, seededRandom(1));
 * ```
 */
export type { ColourMode } from './colour.js';
export { type DecodeImageOptions, decodeImage } from './decode.js';
export { DICOM_EXTENSIONS, decodeImageBytes, decodeImageFile, isDicom } from './decode-file.js';
export { DecodePool } from './decode-pool.js';
export { type DecodeDicomOptions, type DicomImage, type DicomInfo, decodeDicom } from './dicom/decode.js';
export { decodeRleFrame } from './dicom/rle.js';
export { type Window, windowFunction } from './dicom/voi.js';
export { ImageDecodeError } from './errors.js';
export * as functional from './functional.js';
export { type ImageToTensorOptions, imageToTensor } from './to-tensor.js';
export * from './transforms.js';
export type { Image, PixelArray } from './types.js';
