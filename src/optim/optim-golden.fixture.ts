// Test support: reads test/golden/optim.json (written by PyTorch, scripts/golden/make_optim_goldens.py)
// and rebuilds its optimization problem, its optimizers and its schedules in tszoo.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '../tensor/index.js';
import * as torch from '../tensor/index.js';
import {
  Adagrad,
  Adam,
  AdamW,
  Cosine,
  Exponential,
  type LearningRateSchedule,
  MultiStep,
  type Optimizer,
  Plateau,
  type PlateauOptions,
  Poly,
  RMSprop,
  SequentialSchedule,
  SGD,
  Step,
  Warmup,
} from './index.js';

export interface EncodedTensor {
  shape: number[];
  data: number[];
}

export interface OptimizerCase {
  name: string;
  optimizer: 'SGD' | 'Adam' | 'AdamW' | 'RMSprop' | 'Adagrad';
  options: Record<string, unknown>;
  groups?: ({ params: string[] } & Record<string, unknown>)[];
  clipGradNorm?: number;
  trajectory: Record<string, Record<string, EncodedTensor>>;
}

export interface ClipCase {
  name: string;
  fn: 'clipGradNorm' | 'clipGradValue';
  params: string[];
  maxNorm?: number;
  normType?: number | 'inf';
  clipValue?: number;
  totalNorm?: number;
  clipped: Record<string, EncodedTensor>;
}

export type ScheduleSpec =
  | { kind: 'Warmup'; delta: number }
  | { kind: 'Step'; stepSize: number; gamma: number }
  | { kind: 'MultiStep'; milestones: number[]; gamma: number }
  | { kind: 'Exponential'; decayStep: number; decayRate: number; staircase?: boolean }
  | { kind: 'Poly'; power: number; maxIteration: number }
  | { kind: 'Plateau'; options: PlateauOptions }
  | { kind: 'Cosine'; period: number; minLr: number; warmRestarts?: boolean; periodMultiplier?: number }
  | { kind: 'Sequential'; iterationsPerEpoch: number; stages: [ScheduleSpec, number][] };

export interface ScheduleCase {
  name: string;
  reference: 'bigdl' | 'torch';
  schedule: ScheduleSpec;
  lrs: number[];
  iterationsPerEpoch: number;
  iterations: number;
  losses?: number[];
  scores?: number[];
  rates: number[][];
}

export interface OptimGolden {
  problem: { X: EncodedTensor; Y: EncodedTensor; init: Record<string, EncodedTensor>; order: string[] };
  optimizers: OptimizerCase[];
  clip: { grads: Record<string, EncodedTensor>; shapes: Record<string, number[]>; cases: ClipCase[] };
  schedules: ScheduleCase[];
}

// dist/src/optim/ -> project root
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const golden = JSON.parse(readFileSync(join(root, 'test', 'golden', 'optim.json'), 'utf8')) as OptimGolden;

export function float64(e: EncodedTensor): Tensor {
  return torch.tensor(new Float64Array(e.data), { shape: e.shape });
}

/** The golden problem's data and fresh parameters (leaves requiring grad); dispose() frees them all. */
export class Problem {
  readonly x = torch.keep(float64(golden.problem.X));
  readonly y = torch.keep(float64(golden.problem.Y));
  readonly params: Record<string, Tensor> = {};

  constructor() {
    for (const name of golden.problem.order) {
      this.params[name] = torch.keep(float64(golden.problem.init[name] as EncodedTensor).requiresGrad_());
    }
  }

  get ordered(): Tensor[] {
    return golden.problem.order.map((n) => this.params[n] as Tensor);
  }

  /** 0.1 * sum((X @ w + v - Y)^2) + sum(sin(q)), the same operations as the Python script. */
  loss(): Tensor {
    const { w, v, q } = this.params as Record<'w' | 'v' | 'q', Tensor>;
    const r = torch.matmul(this.x, w).add(v).sub(this.y);
    return r.pow(2).sum().mul(0.1).add(q.sin().sum());
  }

  dispose(): void {
    for (const t of [this.x, this.y, ...this.ordered]) t.dispose();
  }
}

const CONSTRUCTORS: Record<OptimizerCase['optimizer'], (params: never, options: never) => Optimizer> = {
  SGD: (p, o) => new SGD(p, o),
  Adam: (p, o) => new Adam(p, o),
  AdamW: (p, o) => new AdamW(p, o),
  RMSprop: (p, o) => new RMSprop(p, o),
  Adagrad: (p, o) => new Adagrad(p, o),
};

/** The optimizer a golden case describes, over the problem's parameters. */
export function buildOptimizer(
  c: Pick<OptimizerCase, 'optimizer' | 'options' | 'groups'>,
  problem: Problem,
  extra = {},
) {
  const params = c.groups
    ? c.groups.map((g) => ({ ...g, params: g.params.map((n) => problem.params[n] as Tensor) }))
    : problem.ordered;
  const make = CONSTRUCTORS[c.optimizer] as (params: unknown, options: unknown) => Optimizer;
  return make(params, { ...c.options, ...extra });
}

export function buildSchedule(spec: ScheduleSpec): LearningRateSchedule {
  switch (spec.kind) {
    case 'Warmup':
      return new Warmup(spec.delta);
    case 'Step':
      return new Step(spec.stepSize, spec.gamma);
    case 'MultiStep':
      return new MultiStep(spec.milestones, spec.gamma);
    case 'Exponential':
      return new Exponential(spec.decayStep, spec.decayRate, spec.staircase ?? false);
    case 'Poly':
      return new Poly(spec.power, spec.maxIteration);
    case 'Plateau':
      return new Plateau(spec.options);
    case 'Cosine':
      return new Cosine(spec);
    case 'Sequential': {
      const s = new SequentialSchedule(spec.iterationsPerEpoch);
      for (const [stage, maxIteration] of spec.stages) s.add(buildSchedule(stage), maxIteration);
      return s;
    }
  }
}

/** Asserts |actual - expected| <= tol * max(1, |expected|) elementwise, naming the first mismatch. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    if (!(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)))) {
      assert.fail(`${what}[${i}]: got ${a}, expected ${e} (difference ${Math.abs(a - e)})`);
    }
  }
}
