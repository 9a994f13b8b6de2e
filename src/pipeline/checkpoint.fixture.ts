/**
 * Test fixture: a small training run that checkpoints often, for the resume and kill -9 tests.
 * `node checkpoint.fixture.js <root> <steps> [resume]` trains `steps` iterations (from the newest
 * checkpoint when `resume`), checkpointing every 5, and prints the final weights as JSON.
 */
import { nn, torch } from '../index.js';
import { type Checkpointable, loadCheckpoint, saveCheckpoint } from './checkpoint.js';

/** SGD with momentum, small enough to live here; its buffers are what a checkpoint must restore. */
export class MomentumSGD implements Checkpointable {
  readonly velocity: torch.Tensor[];

  constructor(
    readonly params: torch.Tensor[],
    readonly lr: number,
    readonly momentum: number,
  ) {
    this.velocity = params.map((p) => torch.keep(torch.zerosLike(p)));
  }

  step(): void {
    torch.noGrad(() => {
      this.params.forEach((p, i) => {
        const v = this.velocity[i] as torch.Tensor;
        if (p.grad) torch.scope(() => v.mul_(this.momentum).add_(p.grad as torch.Tensor));
        p.sub_(v, { alpha: this.lr });
        p.grad = null;
      });
    });
  }

  stateDict() {
    return {
      tensors: Object.fromEntries(this.velocity.map((v, i) => [`velocity.${i}`, v])),
      meta: { lr: this.lr, momentum: this.momentum },
    };
  }

  loadStateDict(state: { tensors: Record<string, torch.Tensor>; meta: unknown }): void {
    torch.noGrad(() => {
      for (const [i, v] of this.velocity.entries()) v.copy_(state.tensors[`velocity.${i}`] as torch.Tensor);
    });
  }
}

export function buildRun(): {
  model: nn.Sequential;
  optimizer: MomentumSGD;
  data: { x: torch.Tensor; y: torch.Tensor };
} {
  torch.manualSeed(11);
  const model = new nn.Sequential(new nn.Linear(6, 16), new nn.ReLU(), new nn.Dropout(0.3), new nn.Linear(16, 1));
  const optimizer = new MomentumSGD(model.parameters(), 0.05, 0.9);
  const x = torch.keep(torch.randn([64, 6]));
  const y = torch.keep(torch.scope(() => x.sum(1, true).sin()));
  return { model, optimizer, data: { x, y } };
}

/** Runs iterations [from, to); dropout draws from the RNG, so resuming must restore it too. */
export function trainSteps(run: ReturnType<typeof buildRun>, from: number, to: number, checkpointRoot?: string): void {
  for (let it = from; it < to; it++) {
    torch.scope(() => {
      const idx = torch.randint(0, 64, [16]);
      const loss = torch.mseLoss(run.model.forward(run.data.x.indexSelect(0, idx)), run.data.y.indexSelect(0, idx));
      loss.backward();
      run.optimizer.step();
    });
    if (checkpointRoot && (it + 1) % 5 === 0) {
      saveCheckpoint(checkpointRoot, { model: run.model, optimizer: run.optimizer, epoch: 0, iteration: it + 1 });
    }
  }
}

if (process.argv[1]?.endsWith('checkpoint.fixture.js')) {
  const [root, steps, resume] = process.argv.slice(2);
  const run = buildRun();
  let start = 0;
  if (resume) start = loadCheckpoint(root as string, run).iteration;
  trainSteps(run, start, Number(steps), root);
  console.log(JSON.stringify(run.model.parameters().flatMap((p) => p.toArray())));
}
