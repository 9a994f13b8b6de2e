/**
 * A Cluster Serving worker as a process: `node worker-process.js '<json config>'`. Loads the model, joins
 * the group, says `{ type: 'ready', consumer }` to its parent (when forked), and stops cleanly on SIGTERM
 * or SIGINT (finishing what it has read). `tszoo serve --redis` starts these.
 */
import type { Backend } from '../backend.js';
import { InferenceModel } from '../inference-model.js';
import { loadTransform } from '../transform-module.js';
import { ClusterWorker } from './worker.js';

/** What a worker process is told. */
export interface WorkerProcessConfig {
  model: string;
  redisUrl: string;
  name?: string;
  backend?: Backend;
  concurrency?: number;
  threadsPerWorker?: number;
  maxBatch?: number;
  maxDelayMs?: number;
  claimIdleMs?: number;
  /** a module whose export `transform` (or default) is the model's image transform */
  transformModule?: string;
  moduleUrl?: string;
}

/** Loads the model and serves until SIGTERM/SIGINT. */
export async function runWorkerProcess(config: WorkerProcessConfig): Promise<void> {
  const transform = await loadTransform(config.transformModule);
  const model = await InferenceModel.load(config.model, {
    ...(config.backend ? { backend: config.backend } : {}),
    ...(config.concurrency ? { concurrency: config.concurrency } : {}),
    ...(config.threadsPerWorker ? { threadsPerWorker: config.threadsPerWorker } : {}),
    ...(config.maxBatch ? { maxBatch: config.maxBatch } : {}),
    ...(config.maxDelayMs !== undefined ? { maxDelayMs: config.maxDelayMs } : {}),
    ...(transform ? { transform } : {}),
    ...(config.moduleUrl ? { moduleUrl: config.moduleUrl } : {}),
  });
  const worker = new ClusterWorker(model, config.redisUrl, {
    ...(config.name ? { name: config.name } : {}),
    ...(config.claimIdleMs ? { claimIdleMs: config.claimIdleMs } : {}),
  });
  await worker.start();
  process.send?.({ type: 'ready', consumer: worker.consumer, backend: model.info.backend });
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
    process.once('disconnect', resolve);
  });
  await worker.stop();
  await model.close();
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, '/'))) {
  const config = JSON.parse(process.argv[2] ?? '{}') as WorkerProcessConfig;
  runWorkerProcess(config).then(
    () => process.exit(0),
    (e: Error) => {
      process.stderr.write(`tszoo serve worker: ${e.message}\n`);
      process.send?.({ type: 'error', message: e.message });
      process.exit(1);
    },
  );
}
