/**
 * Process groups over LibTorch's c10d: a TCPStore for the rendezvous, Gloo for the collectives. Every
 * collective has a timeout, and a failed one (a peer killed, hung or unreachable) becomes a
 * {@link CollectiveError} naming the collective and the ranks that are gone; by default the process then
 * exits with status 1 so that its supervisor (torchrun, `tszoo launch`, Kubernetes, Slurm) can act.
 */
import { writeSync } from 'node:fs';
import type { Tensor } from '../tensor/index.js';
import * as torch from '../tensor/index.js';
import { type PlaceOptions, type WorkerPlace, workerPlace } from './env.js';
import { dist, type GroupHandle } from './native.js';

/** Reductions of allReduce. Gloo has no average: 'avg' sums, then divides by the world size. */
export type ReduceOp = 'sum' | 'avg' | 'max' | 'min' | 'product';

/** Options of {@link initProcessGroup}. */
export interface InitProcessGroupOptions extends PlaceOptions {
  /** how long a collective (and the rendezvous) may take before it fails; default 300 000 ms */
  timeoutMs?: number;
  /** network interface Gloo binds to (else GLOO_SOCKET_IFNAME, else the address that reaches masterAddr) */
  ifname?: string;
  /** on a failed collective, write the error to stderr and exit with status 1 (default true) */
  exitOnFailure?: boolean;
  /** heartbeat interval used to tell which ranks are gone after a failure; default 1000 ms */
  heartbeatMs?: number;
}

/** A collective that failed: which one, on which rank, and the ranks found gone. */
export class CollectiveError extends Error {
  constructor(
    message: string,
    readonly collective: string,
    readonly rank: number,
    readonly lostRanks: readonly number[],
  ) {
    super(message);
    this.name = 'CollectiveError';
  }
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|::1)$/;

/**
 * One group of worker processes. Collectives take contiguous CPU tensors and work in place (as
 * torch.distributed); each returns a promise that settles when the collective is done everywhere.
 */
export class ProcessGroup {
  #handle: GroupHandle | null;
  #failed: CollectiveError | null = null;
  readonly timeoutMs: number;

  /** @internal use {@link initProcessGroup} */
  constructor(
    handle: GroupHandle,
    readonly place: WorkerPlace,
    private readonly options: { timeoutMs: number; exitOnFailure: boolean; heartbeatMs: number },
  ) {
    this.#handle = handle;
    this.timeoutMs = options.timeoutMs;
  }

  get rank(): number {
    return this.place.rank;
  }
  get worldSize(): number {
    return this.place.worldSize;
  }
  get localRank(): number {
    return this.place.localRank;
  }

  /** @internal the native handle; throws after destroy() or a failure */
  get handle(): GroupHandle {
    if (this.#failed) throw this.#failed;
    if (this.#handle === null) throw new Error('ProcessGroup: the group was destroyed');
    return this.#handle;
  }

  /** Reduces `tensor` across all ranks in place. */
  allReduce(tensor: Tensor, options: { op?: ReduceOp; timeoutMs?: number } = {}): Promise<void> {
    return this.run('allReduce', () =>
      dist.distAllReduce(this.handle, tensor.handle, options.op ?? 'sum', options.timeoutMs),
    );
  }

  /** Copies `tensor` of rank `src` (default 0) into `tensor` on every rank. */
  broadcast(tensor: Tensor, options: { src?: number; timeoutMs?: number } = {}): Promise<void> {
    const src = options.src ?? 0;
    this.#checkRank(src, 'broadcast');
    return this.run('broadcast', () => dist.distBroadcast(this.handle, tensor.handle, src, options.timeoutMs));
  }

  /** Every rank's `tensor`, in rank order (new tensors; the caller disposes them). */
  async allGather(tensor: Tensor, options: { timeoutMs?: number } = {}): Promise<Tensor[]> {
    const outputs = Array.from({ length: this.worldSize }, () =>
      torch.keep(torch.empty(tensor.shape, { dtype: tensor.dtype })),
    );
    try {
      await this.run('allGather', () =>
        dist.distAllGather(
          this.handle,
          outputs.map((o) => o.handle),
          tensor.handle,
          options.timeoutMs,
        ),
      );
    } catch (e) {
      for (const o of outputs) o.dispose();
      throw e;
    }
    return outputs;
  }

  /**
   * Reduces `inputs` (one tensor per rank, all of `output`'s shape) elementwise across ranks and writes the
   * reduction of `inputs[rank]` into `output`. Gloo has no reduce-scatter: this all-reduces the whole
   * list, so it moves worldSize times the bytes of a native one.
   */
  async reduceScatter(
    output: Tensor,
    inputs: readonly Tensor[],
    options: { op?: ReduceOp; timeoutMs?: number } = {},
  ): Promise<void> {
    if (inputs.length !== this.worldSize) {
      throw new RangeError(`reduceScatter: expected ${this.worldSize} inputs (one per rank), got ${inputs.length}`);
    }
    const flat = torch.keep(torch.stack([...inputs]));
    try {
      await this.allReduce(flat, options);
      torch.scope(() => torch.noGrad(() => output.copy_(flat.select(0, this.rank))));
    } finally {
      flat.dispose();
    }
  }

  /** Waits until every rank has reached the barrier (or the timeout). */
  barrier(options: { timeoutMs?: number } = {}): Promise<void> {
    return this.run('barrier', () => dist.distBarrier(this.handle, options.timeoutMs));
  }

  /** The group's key-value store (the rendezvous TCPStore under this group's prefix). */
  readonly store = {
    set: (key: string, value: string): void => dist.distStoreSet(this.handle, key, value),
    /** the value, or null if no rank has set the key yet */
    get: (key: string): string | null => dist.distStoreGet(this.handle, key),
    /** adds n to a counter and returns its new value */
    add: (key: string, n: number): number => dist.distStoreAdd(this.handle, key, n),
  };

  /**
   * Runs a native collective and turns its failure into a CollectiveError naming the lost ranks (found by
   * their stopped heartbeats), then exits the process unless exitOnFailure is false.
   * @internal
   */
  async run(collective: string, start: () => Promise<void>): Promise<void> {
    try {
      await start();
    } catch (e) {
      if (this.#failed) throw this.#failed;
      if (!(e instanceof Error) || e instanceof TypeError || e instanceof RangeError) throw e;
      throw await this.fail(collective, e.message);
    }
  }

  /** @internal Builds the CollectiveError of a failure, reports it and (by default) ends the process. */
  async fail(collective: string, cause: string): Promise<CollectiveError> {
    if (this.#failed) return this.#failed;
    const handle = this.#handle as GroupHandle;
    const { lost, storeReachable } = await dist.distDiagnoseLostRanks(handle, 3 * this.options.heartbeatMs);
    if (!storeReachable && !this.place.agentStore && this.rank !== 0 && !lost.includes(0)) lost.unshift(0);
    const who =
      lost.length > 0
        ? `rank${lost.length > 1 ? 's' : ''} ${lost.join(', ')} ${lost.length > 1 ? 'are' : 'is'} gone (no heartbeat)`
        : storeReachable
          ? 'every rank still answers (a timeout, or mismatched collectives)'
          : `the rendezvous store at ${this.place.masterAddr}:${this.place.masterPort} is unreachable`;
    const err = new CollectiveError(
      `${collective} failed on rank ${this.rank} of ${this.worldSize}: ${who}. ${cause}`,
      collective,
      this.rank,
      lost,
    );
    this.#failed = err;
    if (this.options.exitOnFailure) {
      writeSync(2, `tszoo distributed: ${err.message}\n`);
      // After the rejection's handlers have run, so a caller can still log; then leave non-zero.
      setImmediate(() => process.exit(1));
    }
    return err;
  }

  /** Leaves the group: closes Gloo's connections and the store client. */
  destroy(): void {
    if (this.#handle !== null) dist.distDestroyGroup(this.#handle);
    this.#handle = null;
    if (defaultGroup === this) defaultGroup = null;
  }

  #checkRank(r: number, what: string): void {
    if (!Number.isInteger(r) || r < 0 || r >= this.worldSize) {
      throw new RangeError(`${what}: rank must be in [0, ${this.worldSize}), got ${r}`);
    }
  }
}

let defaultGroup: ProcessGroup | null = null;

/**
 * Joins the process group of this job (torch.distributed.init_process_group with the gloo backend and
 * env://): reads the worker's place from explicit options, torchrun, Kubeflow or Slurm ({@link workerPlace}),
 * meets the others at the TCPStore on masterAddr:masterPort (served by rank 0, or by torchrun's agent),
 * and connects Gloo's full mesh. It becomes the default group ({@link getProcessGroup}).
 *
 * @example
 * ```ts
 * import { distributed, torch } from 'tszoo';
 * const pg = await distributed.initProcessGroup({ timeoutMs: 60_000 }); // under torchrun or tszoo launch
 * const t = torch.tensor([pg.rank + 1]);
 * await pg.allReduce(t, { op: 'sum' }); // 3 on both ranks of a 2-process job
 * pg.destroy();
 * ```
 */
export async function initProcessGroup(options: InitProcessGroupOptions = {}): Promise<ProcessGroup> {
  if (defaultGroup !== null) throw new Error('initProcessGroup: this process is already in a group (destroy it first)');
  const place = workerPlace(options);
  const timeoutMs = options.timeoutMs ?? 300_000;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new RangeError(`initProcessGroup: timeoutMs must be a positive integer, got ${timeoutMs}`);
  }
  const heartbeatMs = options.heartbeatMs ?? 1000;
  const ifname = options.ifname ?? process.env.GLOO_SOCKET_IFNAME;
  const handle = await dist
    .distCreateGroup({
      host: place.masterAddr,
      port: place.masterPort,
      rank: place.rank,
      worldSize: place.worldSize,
      isServer: place.rank === 0 && !place.agentStore,
      // Keys of an earlier attempt (a restarted group, torchrun's agent store) must not be read again.
      prefix: `tszoo/attempt_${place.restartCount}`,
      timeoutMs,
      heartbeatMs,
      ...(ifname ? { ifname } : LOOPBACK.test(place.masterAddr) ? { bindHost: '127.0.0.1' } : {}),
    })
    .catch((e: Error) => {
      throw new Error(
        `initProcessGroup: rank ${place.rank} of ${place.worldSize} could not join the group at ${place.masterAddr}:${place.masterPort} (${place.source}): ${e.message}`,
      );
    });
  defaultGroup = new ProcessGroup(handle, place, {
    timeoutMs,
    exitOnFailure: options.exitOnFailure ?? true,
    heartbeatMs,
  });
  return defaultGroup;
}

/** The group joined by {@link initProcessGroup}, or null outside a distributed job. */
export function getProcessGroup(): ProcessGroup | null {
  return defaultGroup;
}

/** Leaves the default group (torch.distributed.destroy_process_group). */
export function destroyProcessGroup(): void {
  defaultGroup?.destroy();
}
