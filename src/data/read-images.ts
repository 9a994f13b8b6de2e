/**
 * Images on disk as a DataFrame: of paths (read lazily: a 112k-image folder never sits decoded in memory;
 * FrameDataset decodes on demand) or decoded into Spark's image schema.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { checkChoice, checkOptions } from '../util/options.js';
import { DataFrame } from './dataframe/index.js';
import type { DecodeImageOptions } from './image/decode.js';
import { decodeImageFile } from './image/decode-file.js';

const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.tif', '.tiff', '.webp', '.dcm', '.dicom'];

/**
 * Lists the images under a folder (PNG, JPEG, TIFF, WebP, DICOM .dcm/.dicom) as a DataFrame with `origin`
 * (absolute path) and `fileName` columns, sorted by path. Nothing is decoded here; FrameDataset decodes on demand.
 *
 * @example
 * ```ts
 * const images = readImages(`${root}/images`);
 * const df = images.withColumnRenamed('fileName', 'Image Index').join(labels, { on: 'Image Index' });
 * ```
 */
export function readImages(folder: string, options: ImageListOptions = {}): DataFrame {
  checkOptions('readImages', options, ['recursive', 'extensions']);
  const found = listImageFiles(folder, options);
  return DataFrame.fromColumns({ origin: found, fileName: found.map((p) => basename(p)) });
}

export interface ImageListOptions {
  recursive?: boolean;
  extensions?: string[];
}

/** Absolute paths of the images under a folder, sorted. */
function listImageFiles(folder: string, options: ImageListOptions): string[] {
  const extensions = (options.extensions ?? IMAGE_EXTENSIONS).map((e) => e.toLowerCase());
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) {
        if (options.recursive ?? true) walk(p);
      } else if (extensions.includes(extname(name).toLowerCase())) {
        found.push(resolve(p));
      }
    }
  };
  walk(folder);
  return found.sort();
}

/** OpenCV type code of Spark's image schema `mode` column: CV_8UC1 = 0, CV_8UC3 = 16, CV_16UC1 = 2, ... */
export function openCvMode(bitDepth: number, channels: number): number {
  return (bitDepth > 8 ? 2 : 0) + (channels - 1) * 8;
}

export interface DecodedFrameOptions {
  decode?: DecodeImageOptions;
  /** 'row' (default): a row with null pixels and the message in `error`; 'skip': leave the file out */
  onError?: 'row' | 'skip';
  /** images decoded at once */
  concurrency?: number;
}

/**
 * Decodes every image under a folder into a DataFrame with Spark's image schema: origin, height, width,
 * nChannels, mode (OpenCV type), data (BLOB of HWC pixels; channels in RGB order where Spark uses BGR;
 * 16-bit samples little-endian) and error (null, or why the file could not be read). For large sets
 * prefer readImages + FrameDataset, which decode on demand.
 *
 * @example
 * ```ts
 * const { frame, skipped } = await readImagesDecoded('scans/', { decode: { colour: 'grey' } });
 * const broken = await frame.filter('error IS NOT NULL').count();
 * ```
 */
export async function readImagesDecoded(
  folder: string,
  options: DecodedFrameOptions = {},
): Promise<{ frame: DataFrame; skipped: number }> {
  checkOptions('readImagesDecoded', options, ['decode', 'onError', 'concurrency']);
  if (options.onError !== undefined) checkChoice('readImagesDecoded', 'onError', options.onError, ['row', 'skip']);
  const paths = listImageFiles(folder, {});
  const rows: Record<string, unknown>[] = [];
  let skipped = 0;
  const limit = options.concurrency ?? 8;
  for (let start = 0; start < paths.length; start += limit) {
    const batch = await Promise.all(
      paths.slice(start, start + limit).map(async (origin) => {
        try {
          const img = await decodeImageFile(origin, options.decode);
          const data = new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength);
          return {
            origin,
            height: img.height,
            width: img.width,
            nChannels: img.channels,
            mode: openCvMode(img.bitDepth, img.channels),
            data,
            error: null,
          };
        } catch (e) {
          if (options.onError === 'skip') {
            skipped++;
            return null;
          }
          const message = (e as Error).message;
          return { origin, height: null, width: null, nChannels: null, mode: null, data: null, error: message };
        }
      }),
    );
    for (const r of batch) if (r) rows.push(r);
  }
  if (rows.length === 0) throw new Error(`readImagesDecoded: no readable image under ${folder}`);
  return { frame: DataFrame.fromRows(rows), skipped };
}
