/**
 * Rows of a DataFrame as training samples: a feature (an image path, an image in Spark's image schema, or
 * a numeric array) through the feature transform, and a label (class index, multi-hot list, or several
 * 0/1 columns).
 */
import { stackSamples } from '../data/collate.js';
import type { DataFrame, Row } from '../data/dataframe/index.js';
import type { DecodeImageOptions } from '../data/image/decode.js';
import { decodeImage } from '../data/image/decode.js';
import type { Rng, Transform } from '../data/image/transform.js';
import type { Image } from '../data/image/types.js';
import type { BatchPosition, Dataset } from '../data/loader.js';
import { seededRandom } from '../data/sampler.js';
import type { Tensor } from '../tensor/index.js';
import * as torch from '../tensor/index.js';

/** Where a sample's features come from. */
export type FeatureSource =
  | { kind: 'path'; path: string }
  | { kind: 'image'; image: Image }
  | { kind: 'array'; values: Float32Array }
  /** a row whose feature could not be read: it fails when loaded, so it is counted, not fatal */
  | { kind: 'error'; message: string };

/** What the Estimator needs to know about a frame's columns. */
export interface SampleColumns {
  /** the feature column: image paths, Spark image-schema `data` (with height/width/nChannels/mode beside it), or numeric arrays */
  features: string;
  /** one label column (class index or multi-hot list), or several 0/1 columns, one per class */
  label?: string | readonly string[];
}

/** How labels are shaped. */
export type LabelKind = 'class' | 'multi-hot';

/** A sample's label: a class index or a multi-hot vector. */
export type Label = number | Float32Array;

/** A sample that could not be read. */
export interface SampleError {
  row: number;
  origin: string;
  message: string;
}

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

/** Reads the label of one row, checking its width against `classes`. */
export function labelOf(
  row: Row,
  columns: string | readonly string[],
  kind: LabelKind,
  classes: number,
  index: number,
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
      throw new Error(`${at}: label '${columns}' = ${String(v)} is not a class index in [0, ${classes})`);
    }
    return c;
  }
  if (!Array.isArray(v) && !ArrayBuffer.isView(v))
    throw new Error(`${at}: label '${columns}' is not a list of ${classes} values`);
  const out = Float32Array.from(v as ArrayLike<number>);
  if (classes >= 0 && out.length !== classes)
    throw new Error(`${at}: label '${columns}' has ${out.length} values, the first row has ${classes}`);
  return out;
}

/** Options of {@link FrameDataset}. */
export interface FrameDatasetOptions {
  /** from an image (or a [n] feature tensor for arrays) to the model's input tensor */
  transform?: Transform<Image, Tensor>;
  /** shape of one sample for numeric-array features, e.g. [1, 28, 28] (default [n]) */
  featureShape?: readonly number[];
  decode?: DecodeImageOptions;
  /** keep decoded images in memory after the first epoch (default false) */
  cache?: boolean;
  seed?: number;
  /** images decoded at once */
  concurrency?: number;
}

/**
 * A {@link Dataset} over collected rows. Batch `b` of epoch `e` draws its augmentations from a stream seeded
 * by (seed, e, b, position), so a run resumed mid-epoch augments exactly as the uninterrupted one.
 * Unreadable samples are left out of their batch and listed in `errors`.
 */
export class FrameDataset implements Dataset {
  readonly errors: SampleError[] = [];
  readonly #cache = new Map<number, Image>();
  #calls = 0;

  constructor(
    readonly features: readonly FeatureSource[],
    readonly labels: readonly Label[] | null,
    readonly options: FrameDatasetOptions = {},
  ) {
    if (labels && labels.length !== features.length) {
      throw new Error(`FrameDataset: ${features.length} features but ${labels.length} labels`);
    }
  }

  /**
   * Collects a frame's feature (and label) columns into a dataset. Rows whose label is bad fail here, with
   * the row named; rows whose features cannot be read fail at batch time and are counted in `errors`.
   */
  static async fromFrame(
    df: DataFrame,
    columns: SampleColumns,
    label: { kind: LabelKind; classes: number } | null,
    options: FrameDatasetOptions = {},
  ): Promise<FrameDataset> {
    const names = await df.columns();
    const wanted = [columns.features, ...(label && columns.label ? [columns.label].flat() : [])];
    for (const c of wanted) {
      if (!names.includes(c)) throw new Error(`column '${c}' not found; the frame has: ${names.join(', ')}`);
    }
    return FrameDataset.fromRows(await df.collect(), columns, label, options);
  }

  /** The same from rows already collected (with the columns checked). */
  static fromRows(
    rows: readonly Row[],
    columns: SampleColumns,
    label: { kind: LabelKind; classes: number } | null,
    options: FrameDatasetOptions = {},
  ): FrameDataset {
    if (label && label.kind === 'multi-hot' && label.classes < 0 && rows.length > 0 && columns.label) {
      // the label width comes from the first row; every other row must match it
      const first = labelOf(rows[0] as Row, columns.label, 'multi-hot', -1, 0);
      label = { ...label, classes: (first as Float32Array).length };
    }
    const features: FeatureSource[] = [];
    const labels: Label[] = [];
    rows.forEach((row, i) => {
      let f: FeatureSource;
      try {
        f = featureOf(row, columns.features, i);
      } catch (e) {
        f = { kind: 'error', message: (e as Error).message };
      }
      features.push(f);
      if (label && columns.label) labels.push(labelOf(row, columns.label, label.kind, label.classes, i));
    });
    return new FrameDataset(features, label ? labels : null, options);
  }

  get length(): number {
    return this.features.length;
  }

  async #image(index: number): Promise<Image> {
    const cached = this.#cache.get(index);
    if (cached) return cached;
    const f = this.features[index] as FeatureSource;
    if (f.kind === 'image') return f.image;
    if (f.kind === 'error') throw new Error(f.message);
    if (f.kind !== 'path') throw new Error('not an image');
    const img = await decodeImage(f.path, this.options.decode);
    if (this.options.cache) this.#cache.set(index, img);
    return img;
  }

  #toTensor(index: number, rng: Rng, image: Image | null): Tensor {
    const f = this.features[index] as FeatureSource;
    if (f.kind === 'array') {
      const shape = this.options.featureShape ?? [f.values.length];
      return torch.fromBuffer(f.values, { dtype: 'float32', shape: [...shape] });
    }
    const t = this.options.transform;
    if (!t) throw new Error('image features need a transform ending in ToTensor()');
    return t.apply(image as Image, rng);
  }

  /**
   * Features [B, ...] and, with labels, labels (int64 [B] or float32 [B, K]) of batch `at.batch` of epoch
   * `at.epoch`; `kept` lists the rows that made it.
   */
  async load(
    indices: Int32Array,
    at: { epoch: number; batch: number },
  ): Promise<{ tensors: Tensor[]; kept: Int32Array }> {
    const { epoch, batch } = at;
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
    return torch.scope(() => {
      const xs: Tensor[] = [];
      const kept: number[] = [];
      for (let k = 0; k < indices.length; k++) {
        if (failed.has(k)) continue;
        const i = indices[k] as number;
        const rng = seededRandom((seed * 0x9e3779b1 + epoch * 0x85ebca6b + batch * 0xc2b2ae35 + k * 0x27d4eb2f) >>> 0);
        try {
          xs.push(this.#toTensor(i, rng, images[k] ?? null));
          kept.push(i);
        } catch (e) {
          this.#fail(i, (e as Error).message);
        }
      }
      if (xs.length === 0) return { tensors: [], kept: new Int32Array(0) };
      const out = [stackSamples(xs)];
      if (this.labels) out.push(labelTensor(kept.map((i) => this.labels?.[i] as Label)));
      return { tensors: out, kept: Int32Array.from(kept) };
    });
  }

  async getBatch(indices: Int32Array, at?: BatchPosition): Promise<Tensor[]> {
    return (await this.load(indices, at ?? { epoch: 0, batch: this.#calls++ })).tensors;
  }

  #fail(index: number, message: string): void {
    const f = this.features[index] as FeatureSource;
    const origin = f.kind === 'path' ? f.path : `row ${index}`;
    this.errors.push({ row: index, origin, message });
  }
}

/** Stacks labels: class indices to int64 [B], multi-hot vectors to float32 [B, K]. */
export function labelTensor(labels: readonly Label[]): Tensor {
  if (typeof labels[0] === 'number') return torch.tensor(labels as number[], { dtype: 'int64' });
  const k = (labels[0] as Float32Array).length;
  const flat = new Float32Array(labels.length * k);
  labels.forEach((l, i) => {
    flat.set(l as Float32Array, i * k);
  });
  return torch.fromBuffer(flat, { dtype: 'float32', shape: [labels.length, k] });
}
