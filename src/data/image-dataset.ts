/**
 * Images on disk as a DataFrame of paths (read lazily: a 112k-image folder never sits decoded in memory)
 * and as a Dataset for the DataLoader: decode (sharp, off the main thread; DICOM with decodeDicom),
 * transform, batch. A file that cannot be read is skipped and recorded, never a crashed epoch.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import type { Tensor } from '../tensor/index.js';
import * as torch from '../tensor/index.js';
import { stackSamples } from './collate.js';
import { DataFrame } from './dataframe/index.js';
import { DecodePool } from './image/decode-pool.js';
import { type DecodeImageOptions, decodeImageFile, type Image, type Transform } from './image/index.js';
import type { Dataset } from './loader.js';
import { seededRandom } from './sampler.js';

const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.tif', '.tiff', '.webp', '.dcm', '.dicom'];

/**
 * Lists the images under a folder (PNG, JPEG, TIFF, WebP, DICOM .dcm/.dicom) as a DataFrame with `origin`
 * (absolute path) and `fileName` columns, sorted by path. Nothing is decoded here; ImageDataset decodes on demand.
 *
 * @example
 * ```ts
 * const images = readImages(`${root}/images`);
 * const df = images.withColumnRenamed('fileName', 'Image Index').join(labels, { on: 'Image Index' });
 * ```
 */
export function readImages(folder: string, options: ImageListOptions = {}): DataFrame {
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
 * prefer readImages + ImageDataset, which decode on demand.
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

/** One sample: an image path and its label (class index or multi-hot vector). */
export interface ImageSample {
  path: string;
  label: number | readonly number[];
}

export interface ImageDatasetOptions {
  /** from a decoded image to a [C, H, W] tensor, e.g. chain(Resize(256), CenterCrop(224), ToTensor()) */
  transform: Transform<Image, Tensor>;
  decode?: DecodeImageOptions;
  /** seed of the augmentations; each sample of each batch draws its own stream from it */
  seed?: number;
  /** images decoded at once */
  concurrency?: number;
  /**
   * Worker threads that decode (default 0: decode on this thread, sharp and zlib working in their own
   * threads). Like torchvision's `num_workers`: with 2 on 2 cores the PNG fast path's unfiltering, resize
   * and garbage leave the event loop's thread to transforms and batching. {@link ImageDataset.close} ends them.
   */
  workers?: number;
}

/** Where a sample failed. */
export interface SampleError {
  path: string;
  message: string;
}

/**
 * Decodes and transforms images for the DataLoader; a batch is [images [B, C, H, W], labels] (labels
 * float32 [B, K] for multi-hot vectors, int64 [B] for class indices). Unreadable images are left out of
 * their batch and listed in `errors`.
 */
export class ImageDataset implements Dataset {
  readonly errors: SampleError[] = [];
  #calls = 0;
  #pool: DecodePool | undefined;

  constructor(
    readonly samples: readonly ImageSample[],
    readonly options: ImageDatasetOptions,
  ) {}

  /** Samples from a DataFrame's path and label columns. */
  static async fromDataFrame(
    df: DataFrame,
    columns: { path: string; label: string },
    options: ImageDatasetOptions,
  ): Promise<ImageDataset> {
    const rows = await df.select(columns.path, columns.label).collect();
    const samples = rows.map((r, i) => {
      const path = r[columns.path];
      const label = r[columns.label];
      if (typeof path !== 'string') throw new Error(`ImageDataset: row ${i} has no path in '${columns.path}'`);
      if (typeof label !== 'number' && !Array.isArray(label)) {
        throw new Error(`ImageDataset: row ${i} label '${columns.label}' is neither a number nor a list`);
      }
      return { path, label: label as number | number[] };
    });
    return new ImageDataset(samples, options);
  }

  get length(): number {
    return this.samples.length;
  }

  #decode(path: string): Promise<Image> {
    const workers = this.options.workers ?? 0;
    if (workers === 0) return decodeImageFile(path, this.options.decode);
    this.#pool ??= new DecodePool(workers);
    return this.#pool.decode(path, this.options.decode);
  }

  /** Ends the decode workers, if any (they are started again on the next batch). */
  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.close();
  }

  async getBatch(indices: Int32Array): Promise<Tensor[]> {
    const call = this.#calls++;
    const seed = this.options.seed ?? 0;
    const limit = this.options.concurrency ?? 8;
    const decoded: (Image | null)[] = new Array(indices.length).fill(null);
    // A pool of `limit` decoders pulling the next index: no waiting for the slowest of a group.
    let next = 0;
    const worker = async () => {
      while (next < indices.length) {
        const k = next++;
        const sample = this.samples[indices[k] as number] as ImageSample;
        try {
          decoded[k] = await this.#decode(sample.path);
        } catch (e) {
          this.errors.push({ path: sample.path, message: (e as Error).message });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, indices.length) }, worker));
    return torch.scope(() => {
      const images: Tensor[] = [];
      const labels: (number | readonly number[])[] = [];
      decoded.forEach((img, k) => {
        if (!img) return;
        const sample = this.samples[indices[k] as number] as ImageSample;
        const rng = seededRandom((seed * 0x9e3779b1 + call * 0x85ebca6b + k * 0xc2b2ae35) >>> 0);
        try {
          images.push(this.options.transform.apply(img, rng));
          labels.push(sample.label);
        } catch (e) {
          this.errors.push({ path: sample.path, message: (e as Error).message });
        }
      });
      if (images.length === 0) return []; // every sample failed: the DataLoader skips the batch
      const y = Array.isArray(labels[0])
        ? torch.tensor(labels as number[][], { dtype: 'float32' })
        : torch.tensor(labels as number[], { dtype: 'int64' });
      return [stackSamples(images), y];
    });
  }
}
