/**
 * Trains a tiny CNN for `steps` steps and prints its final state: `single` on batches of 2B, or `ddp` as
 * one of 2 ranks on its half of each batch. Model `bn` has BatchNorm (SyncBatchNorm under ddp); `frozen`
 * has a frozen convolution and a layer forward never calls (parameters without gradients).
 */
import { nn, optim } from '../index.js';
import { Trainer } from '../pipeline/training/trainer.js';
import * as torch from '../tensor/index.js';
import { DistributedDataParallel } from './ddp.js';
import { initProcessGroup } from './process-group.js';
import { SyncBatchNorm } from './sync-batchnorm.js';

const [mode = 'single', kind = 'bn', stepsArg = '20', bArg = '4', capArg = '0.0002'] = process.argv.slice(2);
const steps = Number(stepsArg);
const B = Number(bArg);

class FrozenBackbone extends nn.Module {
  readonly body = this.registerModule(
    'body',
    new nn.Sequential(
      new nn.Conv2d(1, 4, 3, { padding: 1 }),
      new nn.ReLU(),
      new nn.GlobalAvgPool2d(),
      new nn.Linear(4, 3),
    ),
  );
  readonly unused = this.registerModule('unused', new nn.Linear(3, 3));
  forward(x: torch.Tensor): torch.Tensor {
    return this.body.forward(x);
  }
}

function build(distributed: boolean): nn.Module {
  if (kind === 'frozen') {
    const m = new FrozenBackbone();
    m.freeze(['body.0.weight', 'body.0.bias']);
    return m;
  }
  const bn = (c: number) => (distributed ? new SyncBatchNorm(c) : new nn.BatchNorm2d(c));
  return new nn.Sequential(
    new nn.Conv2d(1, 4, 3, { padding: 1 }),
    bn(4),
    new nn.ReLU(),
    new nn.Conv2d(4, 6, 3, { padding: 1 }),
    bn(6),
    new nn.ReLU(),
    new nn.GlobalAvgPool2d(),
    new nn.Linear(6, 3),
  );
}

torch.manualSeed(1234);
const X = torch.keep(torch.randn([steps * 2 * B, 1, 6, 6]));
const Y = torch.keep(torch.randint(0, 3, [steps * 2 * B]));

const pg = mode === 'ddp' ? await initProcessGroup({ timeoutMs: 30000 }) : null;
const rank = pg?.rank ?? 0;
torch.manualSeed(7 + 100 * rank); // rank 1 starts from other weights: the broadcast must replace them
const model = build(pg !== null);
const ddp = pg ? await DistributedDataParallel.create(model, { bucketCapMB: Number(capArg) }) : null;
const trainable = model.parameters().filter((p) => p.requiresGrad);
const trainer = new Trainer(ddp ?? model, {
  loss: new nn.CrossEntropyLoss(),
  optimizer: optim.sgd({ lr: 0.05, momentum: 0.9 })(trainable),
});
if (ddp) trainer.addGradientHook(ddp.gradientHook());

for (let s = 0; s < steps; s++) {
  const [start, len] = pg ? [s * 2 * B + rank * B, B] : [s * 2 * B, 2 * B];
  await torch.scope(async () => {
    await trainer.step(X.narrow(0, start, len), Y.narrow(0, start, len));
  });
}
const state = Object.fromEntries(Object.entries(model.stateDict()).map(([k, v]) => [k, v.float().toArray()]));
const grads = Object.fromEntries(model.namedParameters().map(([k, p]) => [k, p.grad === null ? null : 'set']));
console.log(`result ${JSON.stringify({ state, grads, buckets: ddp?.buckets.length ?? 0 })}`);
pg?.destroy();
