/**
 * Data-parallel training of a small CNN on Fashion-MNIST: the same Estimator.fit as on one process, run
 * by a launcher that starts one copy of this script per worker.
 *
 *   npx tszoo launch --nproc-per-node 2 --max-restarts 1 dist/examples/distributed/train.js --epochs 2
 *   torchrun --nproc_per_node 2 --max_restarts 1 --no_python --redirects 2 --tee 2 \
 *     node dist/examples/distributed/train.js --epochs 2
 *
 * Without a launcher it trains on one process. Checkpoints go to --out (shared by the workers; rank 0
 * writes), and a restarted group resumes from the latest. Last line (rank 0): `test_accuracy <x>`.
 */
import { parseArgs } from 'node:util';
import { ChannelNormalize, chain, ToFloat, ToTensor } from '../../src/data/image/transforms.js';
import { getProcessGroup, initProcessGroup, SyncBatchNorm } from '../../src/distributed/index.js';
import { nn, optim, pipeline, torch } from '../../src/index.js';
import { fashionMnistFrame } from '../fashion-mnist/recipe.js';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '2' },
    'batch-size': { type: 'string', default: '64' },
    limit: { type: 'string', default: '6000' },
    out: { type: 'string', default: 'runs/distributed' },
  },
});
// Inside torchrun, tszoo launch, a Kubeflow PyTorchJob or Slurm: join the group (RANK etc. are set).
if (process.env.RANK !== undefined || process.env.SLURM_PROCID !== undefined)
  await initProcessGroup({ timeoutMs: 120_000 });
const pg = getProcessGroup();

const [train, test] = await Promise.all([fashionMnistFrame('train', Number(values.limit)), fashionMnistFrame('test')]);
torch.manualSeed(1);
const bn = (c: number) => (pg ? new SyncBatchNorm(c) : new nn.BatchNorm2d(c)); // global-batch statistics
const model = new nn.Sequential(
  new nn.Conv2d(1, 16, 3, { padding: 1 }),
  bn(16),
  new nn.ReLU(),
  new nn.MaxPool2d(2),
  new nn.Conv2d(16, 32, 3, { padding: 1 }),
  bn(32),
  new nn.ReLU(),
  new nn.GlobalAvgPool2d(),
  new nn.Linear(32, 10),
);
const fitted = await new pipeline.Estimator(model, {
  task: 'multi-class',
  featuresCol: 'data',
  transform: chain(ToFloat(), ChannelNormalize(0.286, 0.353), ToTensor()),
  batchSize: Number(values['batch-size']), // per worker: the global batch is this x workers
  maxEpoch: Number(values.epochs),
  optimizer: optim.adam({ lr: 2e-3 }),
  validation: { trigger: pipeline.everyEpoch(), frame: test, metrics: [pipeline.metrics.accuracy()], batchSize: 500 },
  progress: 'auto',
})
  .setCheckpoint(values.out as string, pipeline.everyEpoch())
  .setResume(true)
  .fit(train);
const last = fitted.history?.validations.at(-1)?.metrics.accuracy ?? Number.NaN;
if ((pg?.rank ?? 0) === 0) console.log(`test_accuracy ${last.toFixed(4)}`);
pg?.destroy();
