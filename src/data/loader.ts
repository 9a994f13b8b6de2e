/**
 * DataLoader: batches of tensors from a dataset, shuffled per epoch with a seed, sharded across ranks
 * (DistributedSampler semantics), with the next batches prepared while the model works on this one.
 */
import type { Tensor } from '../tensor/index.js';
import * as torch from '../tensor/index.js';
import { epochIndices } from './sampler.js';

/** Anything that can produce the samples at some indices as a batch of tensors. */
export interface Dataset {
  readonly length: number;
  /**
   * Tensors whose first dimension is indices.length (or fewer, when samples fail to load), in that order;
   * none at all skips the batch. The caller owns them.
   */
  getBatch(indices: Int32Array, at?: BatchPosition): Promise<Tensor[]> | Tensor[];
}

/** Which batch of which epoch a getBatch call serves, e.g. to seed augmentation by position. */
export interface BatchPosition {
  epoch: number;
  batch: number;
}

/** A dataset over tensors that share their first dimension (PyTorch's TensorDataset). */
export class TensorDataset implements Dataset {
  readonly tensors: Tensor[];

  constructor(...tensors: Tensor[]) {
    if (tensors.length === 0) throw new Error('TensorDataset: give at least one tensor');
    const n = tensors[0]?.size(0);
    for (const t of tensors) {
      if (t.ndim === 0 || t.size(0) !== n) {
        throw new RangeError(`TensorDataset: first dimensions differ: ${tensors.map((x) => `[${x.shape}]`).join(' ')}`);
      }
    }
    this.tensors = tensors;
  }

  get length(): number {
    return this.tensors[0]?.size(0) as number;
  }

  getBatch(indices: Int32Array): Tensor[] {
    return torch.scope(() => {
      const idx = torch.tensor(indices, { dtype: 'int32' }).long();
      return this.tensors.map((t) => t.indexSelect(0, idx));
    });
  }
}

/** One batch: its tensors (yours to dispose), its number in the epoch, and the sample indices. */
export interface Batch {
  tensors: Tensor[];
  index: number;
  indices: Int32Array;
  /** Frees the batch's tensors. */
  dispose(): void;
}

export interface DataLoaderOptions {
  batchSize?: number;
  shuffle?: boolean;
  seed?: number;
  /** drop a last batch smaller than batchSize */
  dropLast?: boolean;
  /** batches prepared ahead of the one being consumed */
  prefetch?: number;
  rank?: number;
  worldSize?: number;
}

/**
 * @example
 * ```ts
 * const loader = new DataLoader(new TensorDataset(x, y), { batchSize: 64, shuffle: true, seed: 7 });
 * for (let epoch = 0; epoch < 10; epoch++) {
 *   for await (const batch of loader.epoch(epoch)) {
 *     const [xb, yb] = batch.tensors;
 *     scope(() => train(xb, yb));
 *     batch.dispose();
 *   }
 * }
 * ```
 */
export class DataLoader {
  readonly options: Required<DataLoaderOptions>;

  constructor(
    readonly dataset: Dataset,
    options: DataLoaderOptions = {},
  ) {
    this.options = {
      batchSize: 32,
      shuffle: false,
      seed: 0,
      dropLast: false,
      prefetch: 2,
      rank: 0,
      worldSize: 1,
      ...options,
    };
    if (!Number.isInteger(this.options.batchSize) || this.options.batchSize < 1) {
      throw new RangeError(`DataLoader: batchSize must be a positive integer, got ${this.options.batchSize}`);
    }
  }

  /** A loader over this rank's shard: same order on every rank, disjoint equal parts. */
  shard(rank: number, worldSize: number): DataLoader {
    return new DataLoader(this.dataset, { ...this.options, rank, worldSize });
  }

  /** Sample indices of each batch of an epoch. */
  batchIndices(epoch: number): Int32Array[] {
    const { batchSize, shuffle, seed, dropLast, rank, worldSize } = this.options;
    const indices = epochIndices(this.dataset.length, epoch, { shuffle, seed, rank, worldSize, dropLast });
    const batches: Int32Array[] = [];
    for (let start = 0; start < indices.length; start += batchSize) {
      const b = indices.subarray(start, Math.min(start + batchSize, indices.length));
      if (b.length < batchSize && dropLast) break;
      batches.push(b);
    }
    return batches;
  }

  /** Batches per epoch on this rank (arithmetic: no permutation is drawn). */
  get length(): number {
    const { batchSize, dropLast, worldSize } = this.options;
    const n = this.dataset.length;
    const perRank = dropLast ? Math.floor(n / worldSize) : Math.ceil(n / worldSize);
    return dropLast ? Math.floor(perRank / batchSize) : Math.ceil(perRank / batchSize);
  }

  /**
   * The batches of one epoch, in order, `prefetch` of them prepared ahead; `from` skips the first batches
   * (a run resumed mid-epoch) without loading them.
   */
  async *epoch(epoch = 0, options: { from?: number } = {}): AsyncGenerator<Batch> {
    const plan = this.batchIndices(epoch);
    const pending: Promise<Tensor[]>[] = [];
    const load = (i: number) =>
      Promise.resolve().then(
        () =>
          torch.keep(this.dataset.getBatch(plan[i] as Int32Array, { epoch, batch: i })) as Tensor[] | Promise<Tensor[]>,
      );
    const from = options.from ?? 0;
    let next = from;
    try {
      for (let i = from; i < plan.length; i++) {
        while (next < plan.length && next <= i + this.options.prefetch) pending.push(load(next++));
        const tensors = torch.keep(await (pending.shift() as Promise<Tensor[]>));
        if (tensors.length === 0) continue; // a batch whose samples all failed to load
        yield {
          tensors,
          index: i,
          indices: plan[i] as Int32Array,
          dispose: () => {
            for (const t of tensors) t.dispose();
          },
        };
      }
    } finally {
      // An epoch left early (break, throw): free what was prepared ahead.
      for (const p of pending) {
        p.then(
          (ts) => {
            for (const t of ts) t.dispose();
          },
          () => undefined,
        );
      }
    }
  }

  [Symbol.asyncIterator](): AsyncGenerator<Batch> {
    return this.epoch(0);
  }
}
