/**
 * Runs a training recipe in a worker thread, so the caller's event loop stays free (a server keeps
 * answering while a model trains). Events come back to the caller; a progress bar is drawn here.
 */
import { Worker } from 'node:worker_threads';
import { defaultOpenMpWaitPolicy } from '../util/openmp.js';
import type { TrainingEvent, TrainingListener } from './events.js';
import { progressListener } from './progress-listener.js';

/** What a recipe gets inside the worker. */
export interface RecipeContext<D> {
  /** the `data` given to runInWorker (structured-cloned) */
  data: D;
  /** sends a training event to the caller; pass it to `estimator.onEvent(ctx.emit)` */
  emit: (event: TrainingEvent) => void;
  /** sends any other (structured-cloneable) message to the caller's `onMessage`, e.g. what the run is about to do */
  send: (message: unknown) => void;
}

/** A recipe module's export: builds frames, model and estimator, fits, and returns a cloneable result. */
export type Recipe<D, R> = (ctx: RecipeContext<D>) => Promise<R>;

/** Options of {@link runInWorker}. */
export interface RunInWorkerOptions<D> {
  data?: D;
  /** the recipe's export name (default 'default') */
  exportName?: string;
  onEvent?: TrainingListener;
  /** receives what the recipe passes to `ctx.send`, in order with its events */
  onMessage?: (message: unknown) => void;
  /** draw a progress bar from the events (default: when stdout is a terminal) */
  progress?: boolean;
}

/** Messages from the worker entry. */
export type WorkerMessage =
  | { type: 'event'; event: TrainingEvent }
  | { type: 'message'; value: unknown }
  | { type: 'result'; value: unknown }
  | { type: 'error'; message: string; stack?: string };

/**
 * Imports `recipe` (a module URL or path) in a worker thread and runs its export; resolves with what it
 * returns. A recipe that throws rejects with its message; the worker never takes the caller down.
 *
 * @example
 * ```ts
 * // recipe.ts: export default async ({ data, emit }) => { ...; const m = await est.onEvent(emit).fit(df); return {...} }
 * const result = await runInWorker(new URL('./recipe.js', import.meta.url), { data: { epochs: 5 } });
 * ```
 */
export function runInWorker<D, R>(recipe: URL | string, options: RunInWorkerOptions<D> = {}): Promise<R> {
  const listeners: TrainingListener[] = [];
  if (options.onEvent) listeners.push(options.onEvent);
  if (options.progress ?? process.stdout.isTTY) listeners.push(progressListener());
  // the worker loads LibTorch: its OpenMP wait policy must be in the process environment first
  defaultOpenMpWaitPolicy();
  const worker = new Worker(new URL('./worker-entry.js', import.meta.url), {
    workerData: { recipe: String(recipe), exportName: options.exportName ?? 'default', data: options.data },
  });
  return new Promise<R>((resolve, reject) => {
    let settled = false;
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'event') for (const l of listeners) l(m.event);
      else if (m.type === 'message') options.onMessage?.(m.value);
      else if (m.type === 'result') {
        settled = true;
        resolve(m.value as R);
      } else {
        settled = true;
        const e = new Error(m.message);
        if (m.stack) e.stack = m.stack;
        reject(e);
      }
    });
    worker.on('error', (e) => {
      settled = true;
      reject(e);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`runInWorker: the worker exited with code ${code} before finishing ${recipe}`));
    });
  });
}
