/** The worker side of runInWorker: imports the recipe, runs it, relays its events and result. */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import type { Recipe, WorkerMessage } from './worker-run.js';

const { recipe, exportName, data } = workerData as { recipe: string; exportName: string; data: unknown };
const post = (m: WorkerMessage) => parentPort?.postMessage(m);

try {
  const url = isAbsolute(recipe) ? pathToFileURL(recipe).href : recipe;
  const mod = (await import(url)) as Record<string, unknown>;
  const run = mod[exportName];
  if (typeof run !== 'function') throw new Error(`runInWorker: ${recipe} has no function export '${exportName}'`);
  const value = await (run as Recipe<unknown, unknown>)({
    data,
    emit: (event) => post({ type: 'event', event }),
    send: (value) => post({ type: 'message', value }),
  });
  post({ type: 'result', value });
} catch (e) {
  const err = e as Error;
  post({ type: 'error', message: err.message ?? String(e), ...(err.stack ? { stack: err.stack } : {}) });
}
