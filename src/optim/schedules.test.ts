// Learning-rate sequences against BigDL's formulas (a Python transcription of SGD.scala and its driver
// loop) and torch.optim.lr_scheduler (cosine), from test/golden/optim.json; state round trips; errors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as torch from '../tensor/index.js';
import {
  Adam,
  Cosine,
  type EpochMetrics,
  Exponential,
  type LearningRateSchedule,
  MultiStep,
  type Optimizer,
  Plateau,
  Poly,
  SequentialSchedule,
  SGD,
  Step,
  Warmup,
} from './index.js';
import { assertClose, buildSchedule, golden, type ScheduleCase } from './optim-golden.fixture.js';

// Rates are a few double operations; Math.pow and Math.cos may differ from glibc's in the last bit,
// and PyTorch's CosineAnnealingLR steps by a recurrence that drifts from the closed form by a few ulps.
const TOLERANCE = { bigdl: 1e-14, torch: 1e-12 };

/** One scalar parameter per group, with a zero gradient, so that steps run but nothing moves. */
function groupsFor(lrs: number[]): { params: torch.Tensor[]; lr: number }[] {
  return lrs.map((lr) => {
    const p = torch.keep(torch.zeros([1], { dtype: 'float64' }).requiresGrad_());
    p.grad = torch.keep(torch.zeros([1], { dtype: 'float64' }));
    return { params: [p], lr };
  });
}

/** The metrics a training loop reports after epoch `epoch` (1-based) of a golden case. */
function epochMetrics(c: Pick<ScheduleCase, 'losses' | 'scores' | 'iterationsPerEpoch'>, epoch: number): EpochMetrics {
  const metrics: EpochMetrics = {};
  const loss = c.losses?.[epoch * c.iterationsPerEpoch - 1];
  if (loss !== undefined) metrics.loss = loss;
  const score = c.scores?.[epoch - 1];
  if (score !== undefined) metrics.score = score;
  return metrics;
}

/** Runs `iterations` steps as a training loop does, returning each step's rates (one row per group). */
function drive(
  optimizer: Optimizer,
  c: Pick<ScheduleCase, 'losses' | 'scores' | 'iterationsPerEpoch'>,
  from: number,
  to: number,
) {
  const rates: number[][] = optimizer.paramGroups.map(() => []);
  for (let k = from; k <= to; k++) {
    optimizer.step();
    optimizer.lrs.forEach((lr, g) => {
      rates[g]?.push(lr);
    });
    if (k % c.iterationsPerEpoch === 0) optimizer.endEpoch(epochMetrics(c, k / c.iterationsPerEpoch));
  }
  return rates;
}

function disposeParams(optimizer: Optimizer): void {
  for (const g of optimizer.paramGroups) {
    for (const p of g.params) {
      p.grad = null;
      p.dispose();
    }
  }
  optimizer.dispose();
}

describe('learning-rate schedules against their references', () => {
  for (const c of golden.schedules) {
    it(`${c.name} (${c.reference === 'bigdl' ? "BigDL's formulas" : 'torch.optim.lr_scheduler'})`, () => {
      const optimizer = new SGD(groupsFor(c.lrs), { lr: 1, schedule: buildSchedule(c.schedule) });
      const rates = drive(optimizer, c, 1, c.iterations);
      rates.forEach((row, g) => {
        assertClose(row, c.rates[g] as number[], TOLERANCE[c.reference], `${c.name}: group ${g}`);
      });
      disposeParams(optimizer);
    });
  }

  it("expresses the seed's recipe in a few lines: Adam, warm-up from 1e-7 to 1e-4 over 5 epochs, then Plateau", () => {
    const reference = golden.schedules.find((c) => c.name.startsWith('seed recipe')) as ScheduleCase;
    const ipe = reference.iterationsPerEpoch; // Math.ceil(trainCount / batchSize) in a real run
    const params = groupsFor([1e-7]).flatMap((g) => g.params);

    const schedule = new SequentialSchedule(ipe)
      .add(new Warmup((1e-4 - 1e-7) / (5 * ipe)), 5 * ipe)
      .add(new Plateau({ monitor: 'loss', factor: 0.1, patience: 1, epsilon: 0.01, minLr: 1e-15 }), 10 * ipe);
    const optimizer = new Adam(params, { lr: 1e-7, schedule });

    const rates = drive(optimizer, reference, 1, reference.iterations);
    assertClose(rates[0] as number[], reference.rates[0] as number[], TOLERANCE.bigdl, 'seed recipe');
    assert.ok(Math.abs((rates[0]?.[5 * ipe] as number) - 1e-4) < 1e-18, 'the warm-up ends at 1e-4');
    assert.ok((rates[0]?.at(-1) as number) < 1e-5, 'Plateau cut the rate');
    disposeParams(optimizer);
  });
});

describe('schedule state', () => {
  const cases: [string, () => LearningRateSchedule][] = [
    ['Plateau', () => new Plateau({ monitor: 'score', mode: 'max', patience: 1, cooldown: 1, factor: 0.5 })],
    [
      'SequentialSchedule',
      () =>
        new SequentialSchedule(3)
          .add(new Warmup(0.01), 5)
          .add(new Step(2, 0.5), 6)
          .add(new Plateau({ monitor: 'loss', patience: 0, factor: 0.5 }), 30),
    ],
    ['Cosine', () => new Cosine({ period: 4, warmRestarts: true, periodMultiplier: 2 })],
  ];
  const metrics = { iterationsPerEpoch: 3, losses: Array.from({ length: 60 }, (_, i) => 1 / (1 + (i % 7))) };
  const scored = {
    ...metrics,
    scores: Array.from({ length: 20 }, (_, e) => [0.5, 0.6, 0.6, 0.61, 0.7][e % 5] as number),
  };

  /** Asks `schedule` for the rates of steps `from..to` (1-based) as an optimizer would. */
  function ratesOf(schedule: LearningRateSchedule, from: number, to: number): number[][] {
    const out: number[][] = [];
    for (let k = from; k <= to; k++) {
      const epoch = Math.floor((k - 1) / scored.iterationsPerEpoch) + 1;
      const metrics = epoch > 1 ? epochMetrics(scored, epoch - 1) : {};
      out.push(schedule.rates({ iteration: k - 1, globalIteration: k - 1, epoch, baseLrs: [0.1, 0.3], metrics }));
    }
    return out;
  }

  for (const [name, make] of cases) {
    it(`${name}: 20 steps, state through JSON into a new one, 20 more == 40 steps straight`, () => {
      const expected = ratesOf(make(), 1, 40);
      const first = make();
      const head = ratesOf(first, 1, 20);
      const resumed = make();
      resumed.loadStateDict(JSON.parse(JSON.stringify(first.stateDict())));
      assert.deepEqual([...head, ...ratesOf(resumed, 21, 40)], expected);
      assert.notDeepEqual(expected[0], expected[39], 'the rates changed along the way');
    });
  }

  it('refuses the state of another kind of schedule, naming both', () => {
    assert.throws(
      () => new Warmup(0.1).loadStateDict(new Step(1, 0.5).stateDict()),
      /saved by a Step schedule, not a Warmup/,
    );
    const seq = new SequentialSchedule(2).add(new Warmup(0.1), 4).add(new Plateau({ monitor: 'loss' }), 4);
    const other = new SequentialSchedule(2).add(new Warmup(0.1), 4).add(new Step(2, 0.5), 4);
    assert.throws(() => seq.loadStateDict(other.stateDict()), /stage 1 was saved by a Step schedule, not a Plateau/);
    const shorter = new SequentialSchedule(2).add(new Warmup(0.1), 4);
    assert.throws(() => seq.loadStateDict(shorter.stateDict()), /the state has 1 stages, this schedule has 2/);
    assert.throws(
      () => new Plateau({ monitor: 'loss' }).loadStateDict({ kind: 'Plateau', rates: null, best: 'x' }),
      /best: expected a number/,
    );
    assert.throws(() => new Plateau({ monitor: 'loss' }).loadStateDict(null), /expected an object with a 'kind'/);
  });
});

describe('schedule semantics and errors', () => {
  it('Plateau says which metric it needs when endEpoch() did not give it', () => {
    const optimizer = new SGD(groupsFor([0.1]), { lr: 1, schedule: new Plateau({ monitor: 'score' }) });
    optimizer.step();
    optimizer.endEpoch({ loss: 1 });
    assert.throws(
      () => optimizer.step(),
      /Plateau\(monitor 'score'\) needs a score: call optimizer\.endEpoch\(\{ score \}\)/,
    );
    disposeParams(optimizer);
  });

  it('SequentialSchedule: the last stage carries on past its maxIteration', () => {
    const alone = new SGD(groupsFor([0.1]), { lr: 1, schedule: new Warmup(0.01) });
    const seq = new SGD(groupsFor([0.1]), { lr: 1, schedule: new SequentialSchedule(5).add(new Warmup(0.01), 3) });
    const none = { iterationsPerEpoch: 5 };
    assert.deepEqual(drive(seq, none, 1, 12), drive(alone, none, 1, 12));
    disposeParams(alone);
    disposeParams(seq);
  });

  it('rejects invalid settings with errors that name them', () => {
    assert.throws(() => new Plateau({ monitor: 'loss', factor: 1 }), /factor >= 1\.0/);
    assert.throws(
      () => new Plateau({ monitor: 'Loss' as 'loss' }),
      /monitor must be 'loss' or 'score', got 'Loss' \(BigDL's/,
    );
    assert.throws(() => new Plateau({ monitor: 'auc' as 'loss' }), /monitor must be 'loss' or 'score', got 'auc'$/);
    assert.throws(() => new Plateau({ monitor: 'loss', mode: 'up' as 'min' }), /mode must be 'min' or 'max'/);
    assert.throws(() => new Plateau({ monitor: 'loss', patience: -1 }), /patience/);
    assert.throws(() => new Step(0, 0.5), /Step: stepSize must be a positive integer/);
    assert.throws(() => new MultiStep([5, 3], 0.1), /milestones must increase/);
    assert.throws(() => new Exponential(2.5, 0.9), /decayStep/);
    assert.throws(() => new Poly(1, 0), /maxIteration/);
    assert.throws(() => new Warmup(Number.NaN), /delta must be a finite number/);
    assert.throws(() => new Cosine({ period: 10, periodMultiplier: 2 }), /periodMultiplier needs warmRestarts/);
    assert.throws(() => new SequentialSchedule(0), /iterationsPerEpoch must be a positive integer/);
    assert.throws(() => new SequentialSchedule(4).add(new Warmup(0.1), 0), /maxIteration must be a positive integer/);
    const empty = new SGD(groupsFor([0.1]), { lr: 1, schedule: new SequentialSchedule(4) });
    assert.throws(() => empty.step(), /add\(\) a schedule before training/);
    disposeParams(empty);
  });
});
