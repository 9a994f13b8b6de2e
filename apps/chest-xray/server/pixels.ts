/**
 * An image's pixels for the review page, at full resolution, as 16-bit values with the range they
 * stand for, so the page can window/level them: DICOM modality values (MONOCHROME1 inverted) with the
 * file's window when it has one; PNG/JPEG grey levels 0..255.
 */
import { decodeImageFile } from '../../../src/data/image/decode-file.js';
import { decodeDicom } from '../../../src/data/image/dicom/decode.js';
import { isDicomPath } from '../score.js';

export interface DisplayPixels {
  width: number;
  height: number;
  /** value = min + (max - min) * pixel / 65535 */
  min: number;
  max: number;
  windowCenter: number;
  windowWidth: number;
  pixels: Uint16Array;
}

export async function displayPixels(file: string): Promise<DisplayPixels> {
  if (!isDicomPath(file)) {
    const img = await decodeImageFile(file, { colour: 'grey' });
    const pixels = new Uint16Array(img.width * img.height);
    const scale = img.bitDepth === 16 ? 65535 / 65535 : 65535 / 255;
    for (let i = 0; i < pixels.length; i++) pixels[i] = Math.round(Number(img.data[i]) * scale);
    return {
      width: img.width,
      height: img.height,
      min: 0,
      max: img.bitDepth === 16 ? 65535 : 255,
      windowCenter: 127.5,
      windowWidth: 255,
      pixels,
    };
  }
  const d = await decodeDicom(file, { voi: 'none', output: 'float32' });
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  const n = d.width * d.height;
  for (let i = 0; i < n; i++) {
    const v = d.data[i * d.channels] as number;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi > lo)) hi = lo + 1;
  const pixels = new Uint16Array(n);
  for (let i = 0; i < n; i++) pixels[i] = Math.round((((d.data[i * d.channels] as number) - lo) / (hi - lo)) * 65535);
  // the file's window holds for non-inverted data; otherwise start from the full range
  const w = !d.info.inverted ? (await decodeDicom(file, { voi: 'window', output: 'float32' })).info.window : null;
  return {
    width: d.width,
    height: d.height,
    min: lo,
    max: hi,
    windowCenter: w ? w.center : (lo + hi) / 2,
    windowWidth: w ? w.width : hi - lo,
    pixels,
  };
}
