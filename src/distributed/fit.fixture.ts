/**
 * Estimator.fit on the blob task, single-process with batch 2B or as a rank of a process group with
 * batch B: `node fit.fixture.js <single|ddp> <epochs> <B> [checkpointDir]`. Prints the final weights,
 * the validation figures and the epoch losses as one `result` JSON line; with a checkpoint dir, a
 * `checkpoint <iteration>` line after each one lands (every 2 iterations) and resumes from the latest.
 */
import { nn } from '../index.js';
import { sgd } from '../optim/index.js';
import { blobFrame, weightsOf } from '../pipeline/estimator.fixture.js';
import { Estimator } from '../pipeline/estimator.js';
import { accuracy, auc } from '../pipeline/metrics/index.js';
import { everyEpoch, severalIteration } from '../pipeline/triggers.js';
import * as torch from '../tensor/index.js';
import { initProcessGroup } from './process-group.js';

const [mode = 'single', epochsArg = '2', bArg = '8', dir] = process.argv.slice(2);
const B = Number(bArg);
const pg = mode === 'ddp' ? await initProcessGroup({ timeoutMs: 20000 }) : null;
torch.manualSeed(3 + (pg?.rank ?? 0)); // rank 1 starts elsewhere: fit's broadcast must fix it
const model = new nn.Sequential(new nn.Linear(4, 16), new nn.ReLU(), new nn.Linear(16, 3));
const est = new Estimator(model, {
  task: 'multi-class',
  featuresCol: 'features',
  batchSize: pg ? B : 2 * B,
  maxEpoch: Number(epochsArg),
  optimizer: sgd({ lr: 0.05, momentum: 0.9 }),
  seed: 5,
  progress: false,
}).setValidation(everyEpoch(), blobFrame(37, 11), [auc(), accuracy()]);
if (dir) {
  est.setCheckpoint(dir, severalIteration(2), 2).setResume(true);
  est.on('checkpoint', (e) => console.log(`checkpoint ${e.iteration}`));
  est.on('iteration', () => {
    if (process.env.SLOW_STEPS)
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(process.env.SLOW_STEPS));
  });
}
const epochs: number[] = [];
est.on('epoch', (e) => epochs.push(e.loss));
const fitted = await est.fit(blobFrame(96, 7));
const history = fitted.history;
// Under a launcher the workers share one stdout, where long lines of two processes can interleave.
if (!process.env.RESULT_FROM_RANK0 || (pg?.rank ?? 0) === 0)
  console.log(
    `result ${JSON.stringify({ weights: weightsOf(model), validations: history?.validations.map((v) => v.metrics), epochs, iterations: history?.iterations.length })}`,
  );
pg?.destroy();
