/**
 * `npm start`: fits a tiny network to a synthetic curve through the DataFrame/Estimator pipeline in a
 * worker thread (runInWorker, recipe.ts) and prints its progress and loss falling, while the main thread
 * stays responsive (its event-loop delay is measured and printed). Later issues put the chest X-ray job here.
 */

import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { TrainingEvent } from '../pipeline/events.js';
import { progressListener } from '../pipeline/progress-listener.js';
import { runInWorker } from '../pipeline/worker-run.js';
import type { DemoConfig, DemoResult, DemoStart } from './recipe.js';

const config: DemoConfig = {
  samples: 20000,
  heldOut: 2000,
  hidden: 128,
  epochs: 10,
  batchSize: 128,
  lr: 0.02,
  momentum: 0.9,
  seed: 7,
};

async function main(): Promise<void> {
  console.log(
    'tszoo demo: fit y = sin(3x) + 0.5x with a 2-layer MLP through Estimator.fit (LibTorch kernels, in a worker thread)',
  );
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  // a bar per epoch with throughput and ETA (log lines when stdout is not a terminal), then one line
  // with the epoch's training and held-out losses
  const progress = progressListener(process.stdout, { unit: 'samples' });
  let heldOut = Number.NaN;
  const onEvent = (e: TrainingEvent) => {
    if (e.type === 'validation') heldOut = e.metrics.loss ?? Number.NaN;
    else progress(e);
    if (e.type === 'epoch') {
      console.log(
        `epoch ${e.epoch}: mse ${e.loss.toFixed(5)} (training batches' mean), held-out mse ${heldOut.toFixed(5)}, ` +
          `${e.seconds.toFixed(2)} s, ${e.samplesPerSecond.toFixed(0)} samples/s`,
      );
    }
  };
  const result = await runInWorker<DemoConfig, DemoResult>(new URL('./recipe.js', import.meta.url), {
    data: config,
    onEvent,
    onMessage: (m) => {
      const s = m as DemoStart;
      console.log(
        `worker: ${s.threads} intra-op threads, ${s.parameters} parameters, ${s.epochs} epochs of ${s.samples} samples, ${s.heldOut} held out`,
      );
    },
    progress: false,
  });
  delay.disable();
  console.log(
    `loss fell from ${result.initialLoss.toFixed(4)} to ${result.finalLoss.toFixed(5)} (held-out mse); main event loop max delay ${(
      delay.max / 1e6
    ).toFixed(1)} ms while training; tensors left in the worker: ${result.liveTensors}`,
  );
  if (!(result.finalLoss < result.initialLoss / 5)) throw new Error('demo: the loss did not fall as expected');
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
