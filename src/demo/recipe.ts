/**
 * The `npm start` demo's recipe, run in a worker thread by main.ts through runInWorker: fit
 * y = sin(3x) + 0.5x on [-1, 1] (plus noise) with a 2-layer MLP, through the DataFrame/Estimator pipeline
 * (a regression on a frame of numeric arrays, minibatch SGD with momentum, validation every epoch).
 */
import { DataFrame } from '../data/dataframe/index.js';
import { nn, torch } from '../index.js';
import { sgd } from '../optim/index.js';
import { Estimator } from '../pipeline/estimator.js';
import { everyEpoch } from '../pipeline/triggers.js';
import type { RecipeContext } from '../pipeline/worker-run.js';

export interface DemoConfig {
  /** training rows, and held-out rows for validation */
  samples: number;
  heldOut: number;
  hidden: number;
  epochs: number;
  batchSize: number;
  lr: number;
  momentum: number;
  seed: number;
}

/** What the recipe sends before training starts (ctx.send). */
export interface DemoStart {
  threads: number;
  parameters: number;
  samples: number;
  heldOut: number;
  epochs: number;
}

export interface DemoResult {
  /** held-out mean squared error of the untrained and of the trained network */
  initialLoss: number;
  finalLoss: number;
  /** tensors alive in the worker once the recipe has disposed its own */
  liveTensors: number;
  iterations: number;
}

/** n points x ~ U(-1, 1), y = sin(3x) + 0.5x + N(0, 0.05^2), drawn from torch's seeded generator. */
function points(n: number): { x: Float32Array; y: Float32Array } {
  return torch.scope(() => {
    const x = torch.rand([n]).mul(2).sub(1);
    const y = torch
      .sin(x.mul(3))
      .add(x.mul(0.5))
      .add(torch.randn([n]).mul(0.05));
    return { x: x.data() as Float32Array, y: y.data() as Float32Array };
  });
}

/** A frame with `features` and `label` list columns of one number each (regression targets are lists). */
function frameOf({ x, y }: { x: Float32Array; y: Float32Array }): DataFrame {
  return DataFrame.fromColumns({ features: Array.from(x, (v) => [v]), label: Array.from(y, (v) => [v]) });
}

/** Mean squared error of `module` on the points, computed directly (not through the pipeline). */
function mse(module: nn.Module, { x, y }: { x: Float32Array; y: Float32Array }): number {
  return torch.noGrad(() =>
    torch.scope(() => {
      const input = torch.tensor(x, { shape: [x.length, 1] });
      const target = torch.tensor(y, { shape: [y.length, 1] });
      return torch.mseLoss(module.forward(input), target).item() as number;
    }),
  );
}

export default async function demo({ data: cfg, emit, send }: RecipeContext<DemoConfig>): Promise<DemoResult> {
  torch.manualSeed(cfg.seed);
  const train = points(cfg.samples);
  const heldOut = points(cfg.heldOut);
  const module = new nn.Sequential(new nn.Linear(1, cfg.hidden), new nn.Tanh(), new nn.Linear(cfg.hidden, 1));
  send({
    threads: torch.getNumThreads(),
    parameters: module.numParameters(),
    samples: cfg.samples,
    heldOut: cfg.heldOut,
    epochs: cfg.epochs,
  } satisfies DemoStart);
  const initialLoss = mse(module, heldOut);
  const fitted = await new Estimator(module, {
    task: 'regression',
    loss: new nn.MSELoss(),
    featuresCol: 'features',
    labelCol: 'label',
    featureShape: [1],
    batchSize: cfg.batchSize,
    maxEpoch: cfg.epochs,
    optimizer: sgd({ lr: cfg.lr, momentum: cfg.momentum }),
    validation: { trigger: everyEpoch(), frame: frameOf(heldOut) },
    seed: cfg.seed,
    progress: false,
  })
    .onEvent(emit)
    .fit(frameOf(train));
  const finalLoss = mse(module, heldOut);
  const iterations = fitted.history?.iterations.length ?? 0;
  module.dispose();
  return { initialLoss, finalLoss, liveTensors: torch.memory().tensors, iterations };
}
