/**
 * Trains a small CNN on Debian's Fashion-MNIST files through the DataFrame/Estimator API, in a worker
 * thread, and prints the test accuracy. Last line: `test_accuracy <x> seconds <s>`.
 *
 *   npm run example:fashion-mnist -- [--epochs 10] [--batch-size 64] [--lr 0.002] [--seed 1] [--limit 0] [--precision fp32]
 */

import { resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { FASHION_MNIST_CLASSES } from '../../src/data/datasets/fashion-mnist.js';
import { runInWorker } from '../../src/pipeline/worker-run.js';
import type { FashionMnistConfig, FashionMnistResult } from './recipe.js';

const HELP = `Usage: npm run example:fashion-mnist -- [options]

Trains a small CNN on Fashion-MNIST (60,000 training images from /usr/share/datasets/fashion-mnist),
validates on the 10,000 test images after each epoch, and prints the final test accuracy.

Options:
  --model <name>     small-cnn (default) or resnet18
  --epochs <n>       epochs (default 10)
  --batch-size <n>   batch size (default 64)
  --lr <x>           Adam's learning rate, annealed by a cosine schedule (default 0.002)
  --seed <n>         seed of weights, shuffling and augmentation (default 1)
  --limit <n>        train on the first n images only, 0 = all (default 0)
  --precision <p>    fp32 (default), bf16, or auto (bf16 where the CPU runs it natively)
  --out <dir>        TensorBoard runs, events.jsonl, report.html and the model (default runs/fashion-mnist)
  -h, --help         this text`;

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'small-cnn' },
    epochs: { type: 'string', default: '10' },
    'batch-size': { type: 'string', default: '64' },
    lr: { type: 'string', default: '0.002' },
    seed: { type: 'string', default: '1' },
    limit: { type: 'string', default: '0' },
    precision: { type: 'string', default: 'fp32' },
    out: { type: 'string', default: 'runs/fashion-mnist' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const number = (name: string, v: string, integer: boolean) => {
  const x = Number(v);
  if (!Number.isFinite(x) || (integer && !Number.isInteger(x)) || x < 0) {
    console.error(`--${name}: expected a ${integer ? 'non-negative integer' : 'number'}, got '${v}'\n\n${HELP}`);
    process.exit(2);
  }
  return x;
};
if (values.model !== 'small-cnn' && values.model !== 'resnet18') {
  console.error(`--model: expected small-cnn or resnet18, got '${values.model}'\n\n${HELP}`);
  process.exit(2);
}
if (values.precision !== 'fp32' && values.precision !== 'bf16' && values.precision !== 'auto') {
  console.error(`--precision: expected fp32, bf16 or auto, got '${values.precision}'\n\n${HELP}`);
  process.exit(2);
}
const config: FashionMnistConfig = {
  model: values.model,
  epochs: number('epochs', values.epochs, true),
  batchSize: number('batch-size', values['batch-size'], true),
  lr: number('lr', values.lr, false),
  seed: number('seed', values.seed, true),
  limit: number('limit', values.limit, true),
  out: resolve(values.out),
  precision: values.precision,
};

const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
const started = performance.now();
const result = await runInWorker<FashionMnistConfig, FashionMnistResult>(new URL('./recipe.js', import.meta.url), {
  data: config,
  progress: true,
});
const seconds = (performance.now() - started) / 1000;
delay.disable();

console.log(`\n${result.parameters} parameters, ${result.threads} intra-op threads in the worker`);
for (const e of result.epochs) {
  const val = result.validations.find((v) => v.epoch === e.epoch)?.metrics;
  console.log(
    `epoch ${e.epoch}: loss ${e.loss.toFixed(4)}, ${e.seconds.toFixed(1)} s (${e.samplesPerSecond.toFixed(0)} img/s)` +
      (val ? `, test loss ${val.loss?.toFixed(4)}, test accuracy ${val.accuracy?.toFixed(4)}` : ''),
  );
}
console.log('\nper-class test accuracy:');
result.confusion.forEach((row, c) => {
  const total = row.reduce((a, b) => a + b, 0);
  console.log(`  ${FASHION_MNIST_CLASSES[c]?.padEnd(12)} ${((row[c] ?? 0) / Math.max(1, total)).toFixed(3)}`);
});
console.log(
  `main thread event-loop delay while training: p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, max ${(delay.max / 1e6).toFixed(1)} ms`,
);
console.log(`report: ${result.report}  (TensorBoard: tensorboard --logdir ${config.out})`);
console.log(`training ${result.trainSeconds.toFixed(1)} s, total ${seconds.toFixed(1)} s`);
console.log(`test_accuracy ${result.testAccuracy.toFixed(4)} seconds ${seconds.toFixed(1)}`);
