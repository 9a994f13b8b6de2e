/**
 * FrameDataset: the one dataset over DataFrame rows. A row's feature is an image file (every format
 * `decodeImageFile` reads: PNG, JPEG, TIFF, WebP, DICOM), an image in Spark's image schema, or a numeric
 * array; its label a class index, a multi-hot list or several 0/1 columns. Images are decoded on demand
 * (optionally in worker threads) and transformed with a random stream seeded by (seed, epoch, row), so a
 * run resumed mid-epoch augments exactly as the uninterrupted one, whatever the batch composition.
 */
import type { Tensor } from '../tensor/index.js';
import * as torch from '../tensor/index.js';
import { stackSamples } from './collate.js';
import type { DataFrame, Row } from './dataframe/index.js';
import type { DecodeImageOptions } from './image/decode.js';
import { decodeImageFile } from './image/decode-file.js';
import { DecodePool } from './image/decode-pool.js';
import type { Rng, Transform } from './image/transform.js';
import type { Image } from './image/types.js';
import type { BatchPosition, Dataset } from './loader.js';
import { type SampleError, SkippedSamplesError } from './sample-error.js';
import { seededRandom } from './sampler.js';

/** Where a sample's features come from. */
export type FeatureSource =
  | { kind: 'path'; path: string }
  | { kind: 'image'; image: Image }
  | { kind: 'array'; values: Float32Array }
  /** a row whose feature could not be read: it fails when loaded, so it is counted, not fatal */
  | { kind: 'error'; message: string };

/**
 * How labels are shaped: a class index per row ('class'), a vector of K 0/1 values ('multi-hot'), or
 * regression targets ('target': a number per row, read as a vector of 1, or a vector of K numbers).
 */
export type LabelKind = 'class' | 'multi-hot' | 'target';

/** A sample's label: a class index or a vector. */
export type Label = number | Float32Array;

/** Options of {@link FrameDataset}. */
export interface FrameDatasetOptions {
  /** the feature column: image paths, Spark image-schema `data` (with height/width/nChannels/mode beside it), or numeric arrays (default 'origin') */
  features?: string;
  /** one label column (class index or list), or several 0/1 columns, one per class; none: features only */
  label?: string | readonly string[];
  /** default: 'class' when the first row's label is a number, else 'multi-hot' */
  labelKind?: LabelKind;
  /** 'class': labels must lie in [0, classes); 'multi-hot': each list must have this length (default: the first row's) */
  classes?: number;
  /** from a decoded image to the model's input tensor, e.g. chain(Resize(256), CenterCrop(224), ToTensor()) */
  transform?: Transform<Image, Tensor>;
  /** shape of one sample for numeric-array features, e.g. [1, 28, 28] (default [n]) */
  featureShape?: readonly number[];
  decode?: DecodeImageOptions;
  /** keep decoded images in memory after their first use (default false) */
  cache?: boolean;
  /** seed of the augmentations (default 0) */
  seed?: number;
  /** images decoded at once (default 8) */
  concurrency?: number;
  /**
   * Worker threads that decode (default 0: decode on this thread, sharp and zlib working in their own
   * threads). Like torchvision's `num_workers`; {@link FrameDataset.close} ends them.
   */
  workers?: number;
  /**
   * Share of the rows tried so far that may fail before loading throws a {@link SkippedSamplesError}
   * (Spark's bad-records threshold); checked once `min(100, length)` rows were tried. Default: never.
   */
  maxSkippedFraction?: number;
  /** names the dataset in errors, e.g. 'fit' or 'validation' (default 'FrameDataset') */
  name?: string;
}

/** One batch as loaded: the tensors ([features, labels?], none when every row failed) and the rows kept. */
export interface LoadedBatch {
  tensors: Tensor[];
  kept: Int32Array;
}

const MIN_ROWS_FOR_FRACTION = 100;

function imageFromRow(row: Row, column: string, at: string): Image {
  const data = row[column];
  const height = Number(row.height);
  const width = Number(row.width);
  const channels = Number(row.nChannels);
  const mode = Number(row.mode);
  if (!(data instanceof Uint8Array)) throw new Error(`${at}: column '${column}' holds no image bytes`);
  if (!(height > 0 && width > 0 && channels > 0)) {
    throw new Error(`${at}: image-schema columns height/width/nChannels missing or not positive`);
  }
  const sixteen = (mode & 7) === 2;
  const expected = height * width * channels * (sixteen ? 2 : 1);
  if (data.byteLength !== expected) {
    throw new Error(
      `${at}: image data has ${data.byteLength} bytes, expected ${expected} (${height}x${width}x${channels})`,
    );
  }
  if (sixteen) {
    const copy = new Uint16Array(height * width * channels);
    new Uint8Array(copy.buffer).set(data);
    return { height, width, channels, bitDepth: 16, data: copy };
  }
  return { height, width, channels, bitDepth: 8, data };
}

/** Reads the feature of one row; throws naming the row when it is unusable. */
export function featureOf(row: Row, column: string, index: number): FeatureSource {
  const at = `row ${index}`;
  const v = row[column];
  if (v === undefined) throw new Error(`${at}: no feature column '${column}'`);
  if (v === null) throw new Error(`${at}: feature '${column}' is null${row.error ? ` (${String(row.error)})` : ''}`);
  if (typeof v === 'string') return { kind: 'path', path: v };
  if (v instanceof Uint8Array && 'height' in row) return { kind: 'image', image: imageFromRow(row, column, at) };
  if (Array.isArray(v) || ArrayBuffer.isView(v)) {
    const values = Float32Array.from(v as ArrayLike<number>);
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) throw new Error(`${at}: feature '${column}' has a non-finite value at ${i}`);
    }
    return { kind: 'array', values };
  }
  throw new Error(`${at}: feature '${column}' is a ${typeof v}, not a path, image bytes or a numeric array`);
}

/** Reads the label of one row, checking it against `classes` (a negative `classes`: any width). */
export function labelOf(
  row: Row,
  columns: string | readonly string[],
  kind: LabelKind,
  classes: number,
  index: number,
  /** how the message names where `classes` came from */
  expected = 'expected',
): Label {
  const at = `row ${index}`;
  if (typeof columns !== 'string') {
    const out = new Float32Array(columns.length);
    columns.forEach((c, j) => {
      const v = Number(row[c]);
      if (row[c] === null || row[c] === undefined || !Number.isFinite(v))
        throw new Error(`${at}: label column '${c}' is not a number`);
      out[j] = v;
    });
    return out;
  }
  const v = row[columns];
  if (v === undefined) throw new Error(`${at}: no label column '${columns}'`);
  if (kind === 'class') {
    const c = Number(v);
    if (v === null || !Number.isInteger(c) || c < 0 || c >= classes) {
      const range = classes >= Number.MAX_SAFE_INTEGER ? 'a non-negative integer' : `in [0, ${classes})`;
      throw new Error(`${at}: label '${columns}' = ${String(v)} is not a class index (${range})`);
    }
    return c;
  }
  if (kind === 'target' && (typeof v === 'number' || typeof v === 'bigint')) {
    const t = Number(v);
    if (!Number.isFinite(t)) throw new Error(`${at}: label '${columns}' is ${t}, not a finite number`);
    if (classes >= 0 && classes !== 1)
      throw new Error(`${at}: label '${columns}' is one number, ${expected} ${classes} values`);
    return Float32Array.of(t);
  }
  if (!Array.isArray(v) && !ArrayBuffer.isView(v)) {
    const hint =
      typeof v === 'number'
        ? " (a number: use task 'multi-class' for a class index, 'regression' for a target)"
        : v === null
          ? ' (it is null)'
          : '';
    throw new Error(`${at}: label '${columns}' is not a list${classes >= 0 ? ` of ${classes} values` : ''}${hint}`);
  }
  const out = Float32Array.from(v as ArrayLike<number>);
  if (classes >= 0 && out.length !== classes)
    throw new Error(`${at}: label '${columns}' has ${out.length} values, ${expected} ${classes}`);
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i])) throw new Error(`${at}: label '${columns}' has a non-finite value at ${i}`);
  }
  return out;
}

/** Stacks labels: class indices to int64 [B], vectors to float32 [B, K]. */
export function labelTensor(labels: readonly Label[]): Tensor {
  if (typeof labels[0] === 'number') return torch.tensor(labels as number[], { dtype: 'int64' });
  const k = (labels[0] as Float32Array).length;
  const flat = new Float32Array(labels.length * k);
  labels.forEach((l, i) => {
    flat.set(l as Float32Array, i * k);
  });
  return torch.fromBuffer(flat, { dtype: 'float32', shape: [labels.length, k] });
}

/** The random stream of one row in one epoch: the same whichever batch the row lands in. */
function sampleRng(seed: number, epoch: number, row: number): Rng {
  return seededRandom(
    (Math.imul(seed, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b) ^ Math.imul(row, 0xc2b2ae35)) >>> 0,
  );
}

/**
 * A {@link Dataset} over DataFrame rows for the DataLoader; a batch is [features [B, ...], labels] (labels
 * int64 [B] for class indices, float32 [B, K] for vectors). Unreadable samples are left out of their batch
 * and listed in `errors`; with `maxSkippedFraction`, too many of them stop loading with a
 * {@link SkippedSamplesError}.
 *
 * @example
 * ```ts
 * const frame = readImages('scans/').withColumnRenamed('fileName', 'Image Index').join(labels, { on: 'Image Index' });
 * const ds = await FrameDataset.fromFrame(frame, { features: 'origin', label: 'labels', transform, workers: 2 });
 * for await (const batch of new DataLoader(ds, { batchSize: 32, shuffle: true }).epoch(0)) {
 *   const [x, y] = batch.tensors; // [32, 3, 224, 224], [32, 14]
 *   batch.dispose();
 * }
 * await ds.close();
 * ```
 */
export class FrameDataset implements Dataset {
  readonly errors: SampleError[] = [];
  readonly #cache = new Map<number, Image>();
  #pool: DecodePool | undefined;
  #tried = 0;
  #failed = 0;

  constructor(
    readonly features: readonly FeatureSource[],
    readonly labels: readonly Label[] | null,
    readonly options: FrameDatasetOptions = {},
  ) {
    if (labels && labels.length !== features.length) {
      throw new Error(`FrameDataset: ${features.length} features but ${labels.length} labels`);
    }
    const f = options.maxSkippedFraction;
    if (f !== undefined && !(f >= 0 && f <= 1)) {
      throw new RangeError(`FrameDataset: maxSkippedFraction must be in [0, 1], got ${f}`);
    }
    if (!options.transform) {
      const image = features.findIndex((s) => s.kind === 'path' || s.kind === 'image');
      if (image >= 0) {
        const what = (features[image] as FeatureSource).kind === 'path' ? 'image paths' : 'images';
        throw new Error(
          `FrameDataset: column '${options.features ?? 'origin'}' holds ${what} (row ${image}); give a transform ending in ToTensor()`,
        );
      }
    }
  }

  /**
   * Collects a frame's feature (and label) columns into a dataset. Rows whose label is bad fail here, with
   * the row named; rows whose features cannot be read fail when loaded and are counted in `errors`.
   */
  static async fromFrame(df: DataFrame, options: FrameDatasetOptions = {}): Promise<FrameDataset> {
    const names = await df.columns();
    const wanted = [options.features ?? 'origin', ...(options.label === undefined ? [] : [options.label].flat())];
    for (const c of wanted) {
      if (!names.includes(c)) throw new Error(`column '${c}' not found; the frame has: ${names.join(', ')}`);
    }
    return FrameDataset.fromRows(await df.collect(), options);
  }

  /** The same from rows already collected. */
  static fromRows(rows: readonly Row[], options: FrameDatasetOptions = {}): FrameDataset {
    const column = options.features ?? 'origin';
    const labelCols = options.label;
    let kind = options.labelKind;
    let classes = options.classes;
    let widthFrom = 'expected';
    if (labelCols !== undefined && rows.length > 0) {
      const first = rows[0] as Row;
      kind ??= typeof labelCols === 'string' && typeof first[labelCols] === 'number' ? 'class' : 'multi-hot';
      if (kind === 'class' && classes === undefined) classes = Number.MAX_SAFE_INTEGER;
      // a vector label's width comes from the first row; every other row must match it
      if (classes === undefined) {
        classes = (labelOf(first, labelCols, kind, -1, 0) as Float32Array).length;
        widthFrom = 'the first row has';
      }
    }
    const features: FeatureSource[] = [];
    const labels: Label[] = [];
    rows.forEach((row, i) => {
      let f: FeatureSource;
      try {
        f = featureOf(row, column, i);
      } catch (e) {
        f = { kind: 'error', message: (e as Error).message };
      }
      features.push(f);
      if (labelCols !== undefined)
        labels.push(labelOf(row, labelCols, kind as LabelKind, classes as number, i, widthFrom));
    });
    const resolved = {
      ...options,
      features: column,
      ...(kind ? { labelKind: kind } : {}),
      ...(classes !== undefined ? { classes } : {}),
    };
    return new FrameDataset(features, labelCols === undefined ? null : labels, resolved);
  }

  get length(): number {
    return this.features.length;
  }

  /** Rows loaded so far, and how many of them failed. */
  get counts(): { tried: number; failed: number } {
    return { tried: this.#tried, failed: this.#failed };
  }

  #decode(path: string): Promise<Image> {
    const workers = this.options.workers ?? 0;
    if (workers === 0) return decodeImageFile(path, this.options.decode);
    this.#pool ??= new DecodePool(workers);
    return this.#pool.decode(path, this.options.decode);
  }

  /** Ends the decode workers, if any (they start again on the next batch). */
  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.close();
  }

  async #image(index: number): Promise<Image> {
    const cached = this.#cache.get(index);
    if (cached) return cached;
    const f = this.features[index] as FeatureSource;
    if (f.kind === 'image') return f.image;
    if (f.kind === 'error') throw new Error(f.message);
    if (f.kind !== 'path') throw new Error('not an image');
    const img = await this.#decode(f.path);
    if (this.options.cache) this.#cache.set(index, img);
    return img;
  }

  #toTensor(index: number, rng: Rng, image: Image | null): Tensor {
    const f = this.features[index] as FeatureSource;
    if (f.kind === 'array') {
      const shape = this.options.featureShape ?? [f.values.length];
      const n = shape.reduce((a, b) => a * b, 1);
      if (n !== f.values.length) {
        throw new Error(`row ${index}: feature has ${f.values.length} values, featureShape [${shape}] needs ${n}`);
      }
      return torch.fromBuffer(f.values, { dtype: 'float32', shape: [...shape] });
    }
    const t = this.options.transform as Transform<Image, Tensor>;
    return t.apply(image as Image, rng);
  }

  /**
   * Features [B, ...] and, with labels, labels of the rows at `indices` in epoch `at.epoch`; `kept` lists
   * the rows that made it.
   *
   * @throws {SkippedSamplesError} when more than `maxSkippedFraction` of the rows tried so far failed.
   */
  async load(indices: Int32Array, at: BatchPosition = { epoch: 0, batch: 0 }): Promise<LoadedBatch> {
    const seed = this.options.seed ?? 0;
    const images: (Image | null)[] = new Array(indices.length).fill(null);
    const failed = new Set<number>();
    let next = 0;
    const worker = async () => {
      while (next < indices.length) {
        const k = next++;
        const i = indices[k] as number;
        if ((this.features[i] as FeatureSource).kind === 'array') continue;
        try {
          images[k] = await this.#image(i);
        } catch (e) {
          failed.add(k);
          this.#fail(i, (e as Error).message);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency ?? 8, indices.length) }, worker));
    const batch = torch.scope(() => {
      const xs: Tensor[] = [];
      const kept: number[] = [];
      for (let k = 0; k < indices.length; k++) {
        if (failed.has(k)) continue;
        const i = indices[k] as number;
        try {
          xs.push(this.#toTensor(i, sampleRng(seed, at.epoch, i), images[k] ?? null));
          kept.push(i);
        } catch (e) {
          failed.add(k);
          this.#fail(i, (e as Error).message);
        }
      }
      if (xs.length === 0) return { tensors: [], kept: new Int32Array(0) };
      let x: Tensor;
      try {
        x = stackSamples(xs);
      } catch (e) {
        throw new Error(`FrameDataset: samples of one batch differ in shape: ${(e as Error).message}`, { cause: e });
      }
      const out = [x];
      if (this.labels) out.push(labelTensor(kept.map((i) => this.labels?.[i] as Label)));
      return { tensors: out, kept: Int32Array.from(kept) };
    });
    this.#tried += indices.length;
    this.#failed += failed.size;
    this.#checkSkipped(batch);
    return batch;
  }

  #checkSkipped(batch: LoadedBatch): void {
    const max = this.options.maxSkippedFraction;
    if (max === undefined || this.#tried < Math.min(MIN_ROWS_FOR_FRACTION, this.length)) return;
    if (this.#failed <= max * this.#tried) return;
    for (const t of batch.tensors) t.dispose();
    throw new SkippedSamplesError(this.#tried, this.#failed, this.errors.slice(0, 5), max, this.options.name);
  }

  /** The DataLoader's entry: {@link load}'s tensors. */
  async getBatch(indices: Int32Array, at?: BatchPosition): Promise<Tensor[]> {
    return (await this.load(indices, at)).tensors;
  }

  /** rows already listed in `errors`: a file that fails every epoch is one skipped sample, not one per epoch */
  readonly #failedRows = new Set<number>();

  #fail(index: number, message: string): void {
    if (this.#failedRows.has(index)) return;
    this.#failedRows.add(index);
    const f = this.features[index] as FeatureSource;
    const origin = f.kind === 'path' ? f.path : `row ${index}`;
    this.errors.push({ row: index, origin, message });
  }
}
