/**
 * The demo's training loop, run in a worker thread so the main thread's event loop stays free.
 * Task: fit y = sin(3x) + 0.5x on [-1, 1] (plus noise) with a 2-layer MLP, full-batch SGD with momentum.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { keep, noGrad, scope, torch } from '../index.js';

export interface DemoConfig {
  samples: number;
  hidden: number;
  epochs: number;
  batchSize: number;
  lr: number;
  momentum: number;
  seed: number;
}

export type DemoMessage =
  | { type: 'start'; threads: number; parameters: number }
  | { type: 'iteration'; epoch: number; iteration: number; loss: number; iterations: number }
  | { type: 'epoch'; epoch: number; loss: number; seconds: number }
  | { type: 'done'; finalLoss: number; initialLoss: number; liveTensors: number };

function post(m: DemoMessage) {
  parentPort?.postMessage(m);
}

export function train(cfg: DemoConfig, onMessage: (m: DemoMessage) => void = post): void {
  torch.manualSeed(cfg.seed);
  const x = keep(torch.rand([cfg.samples, 1]).mul(2).sub(1));
  const y = keep(
    scope(() =>
      torch
        .sin(x.mul(3))
        .add(x.mul(0.5))
        .add(torch.randn([cfg.samples, 1]).mul(0.05)),
    ),
  );
  // Uniform(-1/sqrt(fanIn), 1/sqrt(fanIn)) init, as torch.nn.Linear does.
  const init = (shape: number[], fanIn: number) =>
    scope(() =>
      torch
        .rand(shape)
        .mul(2)
        .sub(1)
        .mul(1 / Math.sqrt(fanIn)),
    );
  const leaves = keep(
    [init([cfg.hidden, 1], 1), init([cfg.hidden], 1), init([1, cfg.hidden], cfg.hidden), init([1], cfg.hidden)].map(
      (p) => p.requiresGrad_(),
    ),
  );
  const velocity = keep(leaves.map((p) => torch.zerosLike(p)));
  const [w1, b1, w2, b2] = leaves as [torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor];
  onMessage({ type: 'start', threads: torch.getNumThreads(), parameters: leaves.reduce((n, p) => n + p.numel(), 0) });

  const forward = (xb: torch.Tensor) => torch.linear(torch.tanh(torch.linear(xb, w1, b1)), w2, b2);
  const initialLoss = noGrad(() => scope(() => torch.mseLoss(forward(x), y).item()));
  let iteration = 0;
  let loss = initialLoss;
  const perEpoch = Math.ceil(cfg.samples / cfg.batchSize);
  for (let epoch = 1; epoch <= cfg.epochs; epoch++) {
    const started = performance.now();
    const order = keep(torch.randperm(cfg.samples));
    for (let b = 0; b < perEpoch; b++) {
      scope(() => {
        const idx = order.narrow(0, b * cfg.batchSize, Math.min(cfg.batchSize, cfg.samples - b * cfg.batchSize));
        const xb = x.indexSelect(0, idx);
        const yb = y.indexSelect(0, idx);
        const l = torch.mseLoss(forward(xb), yb);
        l.backward();
        noGrad(() => {
          leaves.forEach((p, i) => {
            const g = p.grad as torch.Tensor;
            const v = velocity[i] as torch.Tensor;
            v.mul_(cfg.momentum).add_(g);
            p.sub_(v, { alpha: cfg.lr });
            g.zero_();
          });
        });
        iteration++;
        if (b % 10 === 9 || b === perEpoch - 1) {
          onMessage({ type: 'iteration', epoch, iteration, loss: l.item(), iterations: (b % 10) + 1 });
        }
      });
    }
    order.dispose();
    loss = noGrad(() => scope(() => torch.mseLoss(forward(x), y).item()));
    onMessage({ type: 'epoch', epoch, loss, seconds: (performance.now() - started) / 1000 });
  }
  for (const t of [x, y, ...leaves, ...velocity]) t.dispose();
  onMessage({ type: 'done', finalLoss: loss, initialLoss, liveTensors: torch.memory().tensors });
}

if (parentPort && workerData?.demo) train(workerData.demo as DemoConfig);
