/**
 * N worker threads, each running one copy of the model (see executor-worker.ts), so that inference never
 * blocks the caller's event loop. A worker that dies fails its batch and is replaced.
 */
import { Worker } from 'node:worker_threads';
import { defaultOpenMpWaitPolicy } from '../util/openmp.js';
import type { BatchData } from './backend.js';
import type { BackendReport, ExecutorData, FromExecutor } from './executor-worker.js';

interface Slot {
  worker: Worker;
  busy: boolean;
  pending: { id: number; resolve: (b: BatchData) => void; reject: (e: Error) => void } | null;
}

const ENTRY = new URL('./executor-worker.js', import.meta.url);

export class ExecutorPool {
  readonly #slots: Slot[] = [];
  #nextId = 0;
  #closed = false;
  #data: ExecutorData;
  /** called when a worker becomes free */
  onIdle: () => void = () => {};

  private constructor(data: ExecutorData) {
    this.#data = data;
  }

  /** How the backend was chosen (from the first worker). */
  report!: BackendReport;

  /**
   * Starts `n` workers. With backend 'auto' the first one times both backends and the others start with
   * its choice.
   */
  static async start(data: ExecutorData, n: number): Promise<ExecutorPool> {
    const pool = new ExecutorPool(data);
    const first = await pool.#spawn(data);
    pool.report = first.report;
    const chosen: ExecutorData = { ...data, backend: first.report.backend };
    pool.#data = chosen;
    const rest = await Promise.allSettled(Array.from({ length: n - 1 }, () => pool.#spawn(chosen)));
    const failed = rest.find((r) => r.status === 'rejected');
    if (failed) {
      await pool.close();
      throw (failed as PromiseRejectedResult).reason;
    }
    return pool;
  }

  #spawn(data: ExecutorData): Promise<{ report: BackendReport }> {
    // the worker loads LibTorch: its OpenMP wait policy must be in the process environment first
    defaultOpenMpWaitPolicy();
    const worker = new Worker(ENTRY, { workerData: data });
    const slot: Slot = { worker, busy: true, pending: null };
    return new Promise((resolve, reject) => {
      let ready = false;
      worker.on('message', (m: FromExecutor) => {
        if (m.type === 'ready') {
          ready = true;
          slot.busy = false;
          this.#slots.push(slot);
          resolve({ report: m.report });
          this.onIdle();
        } else if (m.type === 'fatal') {
          reject(new Error(`serving: the model failed to load: ${m.message}`));
        } else {
          const p = slot.pending;
          if (!p || p.id !== m.id) return;
          slot.pending = null;
          slot.busy = false;
          if (m.type === 'result') p.resolve(m.batch);
          else p.reject(new Error(m.message));
          this.onIdle();
        }
      });
      worker.on('error', (e) => {
        if (!ready) reject(e);
      });
      worker.on('exit', (code) => {
        const i = this.#slots.indexOf(slot);
        if (i >= 0) this.#slots.splice(i, 1);
        slot.pending?.reject(new Error(`serving: the inference worker exited (code ${code}) while running the batch`));
        slot.pending = null;
        if (!ready) reject(new Error(`serving: the inference worker exited (code ${code}) while loading the model`));
        else if (!this.#closed) this.#spawn(this.#data).catch(() => {}); // replace it
      });
    });
  }

  /** Workers running. */
  get size(): number {
    return this.#slots.length;
  }

  /** True when a worker can take a batch now. */
  hasIdle(): boolean {
    return this.#slots.some((s) => !s.busy);
  }

  /** Runs a batch on an idle worker (check {@link hasIdle} first). */
  run(batch: BatchData): Promise<BatchData> {
    const slot = this.#slots.find((s) => !s.busy);
    if (!slot) return Promise.reject(new Error('serving: no idle worker'));
    slot.busy = true;
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      slot.pending = { id, resolve, reject };
      slot.worker.postMessage({ type: 'run', id, batch }, [batch.data.buffer as ArrayBuffer]);
    });
  }

  /** Stops every worker (after the batch each one is running). */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(
      this.#slots.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.worker.once('exit', () => resolve());
            s.worker.postMessage({ type: 'close' });
            setTimeout(() => s.worker.terminate(), 5000).unref();
          }),
      ),
    );
  }
}
