/**
 * DistributedDataParallel: the same module on every rank, kept identical by averaging gradients.
 *
 * At creation, rank 0's parameters and buffers are broadcast to all. Each training forward prepares the
 * native reducer; during backward, autograd hooks copy each gradient into its bucket (flat buffers of
 * `bucketCapMB`, in reverse parameter order) and launch the bucket's all-reduce as soon as it is full, so
 * communication overlaps the rest of backward. {@link reduceGradients} (the Trainer's gradient hook) waits
 * for the buckets, divides by the world size and leaves every gradient as a view of its bucket. A
 * parameter that got no gradient on a rank contributes zeros there; one no rank used keeps no gradient
 * (no "Expected to have finished reduction" error).
 *
 * BatchNorm policy: running statistics are local to each rank during an epoch; {@link syncBuffers}
 * broadcasts rank 0's (fit calls it at the end of every epoch, before validation and checkpoints). For
 * statistics over the global batch use {@link SyncBatchNorm}, which also makes N workers of batch B train
 * exactly like one worker of batch N*B.
 */
import { Module } from '../nn/index.js';
import type { Tensor } from '../tensor/index.js';
import * as torch from '../tensor/index.js';
import { dist, type ReducerHandle } from './native.js';
import { getProcessGroup, type ProcessGroup } from './process-group.js';

/** Options of {@link DistributedDataParallel.create}. */
export interface DistributedDataParallelOptions {
  /** the group to train in (default: the one joined by initProcessGroup) */
  processGroup?: ProcessGroup;
  /** bucket size in MiB (PyTorch's bucket_cap_mb); default 25 */
  bucketCapMB?: number;
}

/**
 * @example
 * ```ts
 * const pg = await distributed.initProcessGroup();
 * const ddp = await distributed.DistributedDataParallel.create(model);
 * const trainer = new pipeline.Trainer(ddp, { loss, optimizer: optim.sgd({ lr: 0.1 })(model.parameters()) })
 *   .addGradientHook(ddp.gradientHook());
 * for await (const batch of loader.shard(pg.rank, pg.worldSize).epoch(0)) await trainer.step(...batch.tensors);
 * ```
 */
export class DistributedDataParallel<M extends Module = Module> extends Module {
  readonly module: M;
  readonly processGroup: ProcessGroup;
  readonly #reducer: ReducerHandle | null;
  readonly #trainable: Tensor[];
  #prepared = false;

  private constructor(module: M, pg: ProcessGroup, bucketCapMB: number) {
    super();
    this.module = this.registerModule('module', module);
    this.processGroup = pg;
    this.#trainable = module.parameters().filter((p) => p.requiresGrad);
    this.#reducer =
      pg.worldSize > 1 && this.#trainable.length > 0
        ? dist.distCreateReducer(
            pg.handle,
            this.#trainable.map((p) => p.handle),
            Math.round(bucketCapMB * 2 ** 20),
          )
        : null;
  }

  /** Wraps `module`: broadcasts rank 0's parameters and buffers, then sets up the gradient buckets. */
  static async create<M extends Module>(
    module: M,
    options: DistributedDataParallelOptions = {},
  ): Promise<DistributedDataParallel<M>> {
    const pg = options.processGroup ?? getProcessGroup();
    if (pg === null) throw new Error('DistributedDataParallel: no process group (call initProcessGroup first)');
    const cap = options.bucketCapMB ?? 25;
    if (!(cap > 0)) throw new RangeError(`DistributedDataParallel: bucketCapMB must be > 0, got ${cap}`);
    await broadcastTensors(pg, [...module.parameters(), ...module.buffers()]);
    return new DistributedDataParallel(module, pg, cap);
  }

  /** Runs the wrapped module; in training with gradients on, prepares the reduction of its backward. */
  forward(...inputs: Tensor[]): Tensor {
    if (this.#reducer !== null && this.training && torch.isGradEnabled()) {
      dist.distReducerPrepare(this.#reducer);
      this.#prepared = true;
    }
    return this.module.forward(...inputs);
  }

  /**
   * Waits for every bucket's all-reduce and averages: afterwards each trainable parameter's gradient is
   * the mean over ranks. Call once per backward, before the optimizer step.
   */
  async reduceGradients(): Promise<void> {
    if (this.#reducer === null) return;
    if (!this.#prepared) throw new Error('DistributedDataParallel: reduceGradients() without a training forward');
    this.#prepared = false;
    const reducer = this.#reducer;
    await this.processGroup.run('allReduce (gradient buckets)', () => dist.distReducerFinish(reducer));
  }

  /** The Trainer hook that reduces gradients: `trainer.addGradientHook(ddp.gradientHook())`. */
  gradientHook(): () => Promise<void> {
    return () => this.reduceGradients();
  }

  /** Broadcasts rank 0's buffers (BatchNorm running statistics) to every rank. */
  syncBuffers(): Promise<void> {
    return broadcastTensors(this.processGroup, this.module.buffers());
  }

  /** How the trainable parameters (indices into the trainable list) were bucketed, and each bucket's bytes. */
  get buckets(): { params: number[]; bytes: number }[] {
    return this.#reducer === null ? [] : dist.distReducerBuckets(this.#reducer);
  }

  /** The wrapped module's state (without the 'module.' prefix), so checkpoints load into a plain model. */
  override stateDict(): Record<string, Tensor> {
    return this.module.stateDict();
  }

  override loadStateDict(stateDict: Record<string, Tensor>, options: { strict?: boolean } = {}) {
    return this.module.loadStateDict(stateDict, options);
  }

  protected override extraRepr(): string {
    return `worldSize=${this.processGroup.worldSize}, buckets=${this.buckets.length}`;
  }
}

/** Broadcasts tensors from rank 0 in place, one flat buffer per dtype. */
export async function broadcastTensors(pg: ProcessGroup, tensors: readonly Tensor[], src = 0): Promise<void> {
  if (pg.worldSize === 1 || tensors.length === 0) return;
  const byDtype = new Map<string, Tensor[]>();
  for (const t of tensors) byDtype.set(t.dtype, [...(byDtype.get(t.dtype) ?? []), t]);
  for (const group of byDtype.values()) {
    const flat = torch.keep(
      torch.noGrad(() => torch.scope(() => torch.cat(group.map((t) => t.detach().reshape([-1]))))),
    );
    try {
      await pg.broadcast(flat, { src });
      torch.noGrad(() =>
        torch.scope(() => {
          let offset = 0;
          for (const t of group) {
            const n = t.numel();
            t.copy_(flat.narrow(0, offset, n).view(t.shape));
            offset += n;
          }
        }),
      );
    } finally {
      flat.dispose();
    }
  }
}
