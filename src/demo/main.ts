/**
 * `npm start`: trains a tiny network on a synthetic task in a worker thread and prints its loss falling,
 * while the main thread stays responsive (its event-loop delay is measured and printed).
 * Later issues put the chest X-ray job here.
 */

import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ProgressBar } from '../util/progress.js';
import type { DemoConfig, DemoMessage } from './train-worker.js';

const config: DemoConfig = {
  samples: 20000,
  hidden: 128,
  epochs: 10,
  batchSize: 128,
  lr: 0.02,
  momentum: 0.9,
  seed: 7,
};

function main(): Promise<void> {
  console.log('tszoo demo: fit y = sin(3x) + 0.5x with a 2-layer MLP (LibTorch kernels, trained in a worker thread)');
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const worker = new Worker(fileURLToPath(new URL('./train-worker.js', import.meta.url)), {
    workerData: { demo: config },
  });
  const perEpoch = Math.ceil(config.samples / config.batchSize);
  let bar: ProgressBar | undefined;
  let initial = Number.NaN;
  return new Promise((resolve, reject) => {
    worker.on('message', (m: DemoMessage) => {
      switch (m.type) {
        case 'start':
          console.log(`worker: ${m.threads} intra-op threads, ${m.parameters} parameters, ${config.epochs} epochs`);
          break;
        case 'iteration':
          bar ??= new ProgressBar({ total: perEpoch, label: `epoch ${m.epoch}/${config.epochs}`, unit: 'it' });
          bar.tick(m.iterations, { loss: m.loss });
          break;
        case 'epoch':
          bar?.done();
          bar = undefined;
          console.log(`epoch ${m.epoch}: mse ${m.loss.toFixed(5)} (${m.seconds.toFixed(2)} s)`);
          break;
        case 'done':
          initial = m.initialLoss;
          delay.disable();
          console.log(
            `loss fell from ${initial.toFixed(4)} to ${m.finalLoss.toFixed(5)}; main event loop max delay ${(
              delay.max / 1e6
            ).toFixed(1)} ms while training; tensors left in the worker: ${m.liveTensors}`,
          );
          if (!(m.finalLoss < initial / 5)) reject(new Error('demo: the loss did not fall as expected'));
          else resolve();
          break;
      }
    });
    worker.on('error', reject);
    worker.on('exit', (code) => {
      if (code !== 0) reject(new Error(`demo worker exited with code ${code}`));
    });
  });
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
