/**
 * Iteration-driven learning-rate schedules with BigDL's semantics (`SGD.scala`, object `SGD`), plus
 * PyTorch's cosine annealing. Each is a pure function of the step counters and the base rate, so its
 * saved state is just its kind. Plateau (epoch-driven) and SequentialSchedule live in their own files.
 *
 * In every formula `lr` is the base rate (the group's lr, or in a SequentialSchedule the previous
 * schedule's last rate) and `n` counts the steps taken before this one.
 */
import { checkFinite, checkNonNegative, checkPositiveInteger } from './check.js';
import {
  expectScheduleState,
  type LearningRateSchedule,
  type ScheduleContext,
  type ScheduleState,
} from './schedule.js';

/** A schedule whose rate depends on the counters and base rate alone. */
abstract class StatelessSchedule implements LearningRateSchedule {
  abstract readonly kind: string;

  /** The rate for one group with base rate `lr`. */
  protected abstract rate(lr: number, context: ScheduleContext): number;

  rates(context: ScheduleContext): number[] {
    return context.baseLrs.map((lr) => this.rate(lr, context));
  }

  stateDict(): ScheduleState {
    return { kind: this.kind };
  }

  loadStateDict(state: unknown): void {
    expectScheduleState(state, this.kind);
  }
}

/**
 * Linear warm-up: `lr + delta * n` (BigDL's `Warmup(delta)`), the rate growing by `delta` each step.
 *
 * @example
 * ```ts
 * // from 1e-7 to 1e-4 over 5 epochs of `ipe` iterations, inside a SequentialSchedule
 * new SequentialSchedule(ipe).add(new Warmup((1e-4 - 1e-7) / (5 * ipe)), 5 * ipe)
 * ```
 */
export class Warmup extends StatelessSchedule {
  readonly kind = 'Warmup';

  constructor(readonly delta: number) {
    super();
    checkFinite('Warmup: delta', delta);
  }

  protected rate(lr: number, { iteration }: ScheduleContext): number {
    return lr + this.delta * iteration;
  }
}

/**
 * Step decay: `lr * gamma^floor(n / stepSize)` (BigDL's `Step(stepSize, gamma)`, multiplied out one
 * factor at a time as BigDL does).
 */
export class Step extends StatelessSchedule {
  readonly kind = 'Step';

  constructor(
    readonly stepSize: number,
    readonly gamma: number,
  ) {
    super();
    checkPositiveInteger('Step: stepSize', stepSize);
    checkFinite('Step: gamma', gamma);
  }

  protected rate(lr: number, { iteration }: ScheduleContext): number {
    let rate = lr;
    const decays = Math.trunc(iteration / this.stepSize);
    for (let i = 0; i < decays; i++) rate *= this.gamma;
    return rate;
  }
}

/** Decay by `gamma` at each milestone passed: `lr * gamma^(milestones <= n)` (BigDL's `MultiStep`). */
export class MultiStep extends StatelessSchedule {
  readonly kind = 'MultiStep';
  readonly milestones: readonly number[];

  constructor(
    milestones: readonly number[],
    readonly gamma: number,
  ) {
    super();
    if (!Array.isArray(milestones)) throw new TypeError('MultiStep: milestones must be an array of iteration counts');
    milestones.forEach((m, i) => {
      if (!Number.isInteger(m) || m < 0) throw new RangeError(`MultiStep: milestone ${m} is not an integer >= 0`);
      if (i > 0 && m <= (milestones[i - 1] as number)) throw new RangeError('MultiStep: milestones must increase');
    });
    checkFinite('MultiStep: gamma', gamma);
    this.milestones = [...milestones];
  }

  protected rate(lr: number, { iteration }: ScheduleContext): number {
    let rate = lr;
    for (let i = 0; i < this.milestones.length && iteration >= (this.milestones[i] as number); i++) rate *= this.gamma;
    return rate;
  }
}

/**
 * Exponential decay: `lr * decayRate^(n / decayStep)`, with `floor(n / decayStep)` when `staircase`
 * (BigDL's `Exponential(decayStep, decayRate, stairCase)`).
 */
export class Exponential extends StatelessSchedule {
  readonly kind = 'Exponential';

  constructor(
    readonly decayStep: number,
    readonly decayRate: number,
    readonly staircase = false,
  ) {
    super();
    checkPositiveInteger('Exponential: decayStep', decayStep);
    checkFinite('Exponential: decayRate', decayRate);
  }

  protected rate(lr: number, { iteration }: ScheduleContext): number {
    let p = iteration / this.decayStep;
    if (this.staircase) p = Math.floor(p);
    return lr * this.decayRate ** p;
  }
}

/**
 * Polynomial decay to zero: `lr * (1 - n / maxIteration)^power`, and 0 after `maxIteration`
 * (BigDL's `Poly(power, maxIteration)`). As in BigDL, `n` counts from the start of training even inside
 * a SequentialSchedule, so `maxIteration` is the training step at which the rate reaches zero.
 */
export class Poly extends StatelessSchedule {
  readonly kind = 'Poly';

  constructor(
    readonly power: number,
    readonly maxIteration: number,
  ) {
    super();
    checkFinite('Poly: power', power);
    checkPositiveInteger('Poly: maxIteration', maxIteration);
  }

  protected rate(lr: number, { globalIteration }: ScheduleContext): number {
    if (globalIteration > this.maxIteration) return 0;
    return lr * (1 - globalIteration / this.maxIteration) ** this.power;
  }
}

/** Options of Cosine. */
export interface CosineOptions {
  /** Steps from the base rate down to `minLr` (PyTorch's `T_max`, or `T_0` with warm restarts). */
  period: number;
  /** The lowest rate (PyTorch's `eta_min`). Default 0. */
  minLr?: number;
  /** Jump back to the base rate at the end of each period (PyTorch's CosineAnnealingWarmRestarts). */
  warmRestarts?: boolean;
  /** With warm restarts, each period is this many times longer than the one before (`T_mult`). Default 1. */
  periodMultiplier?: number;
}

/**
 * Cosine annealing, PyTorch's formula: `minLr + (lr - minLr) * (1 + cos(pi * t / T)) / 2`.
 * Without restarts `t = n` and `T = period` (CosineAnnealingLR's closed form, which keeps oscillating
 * past the period); with `warmRestarts`, `t` counts from the last restart and `T` grows by
 * `periodMultiplier` at each restart (CosineAnnealingWarmRestarts).
 *
 * @example
 * ```ts
 * new SGD(params, { lr: 0.1, momentum: 0.9, schedule: new Cosine({ period: 10 * ipe, warmRestarts: true }) });
 * ```
 */
export class Cosine extends StatelessSchedule {
  readonly kind = 'Cosine';
  readonly period: number;
  readonly minLr: number;
  readonly warmRestarts: boolean;
  readonly periodMultiplier: number;

  constructor(options: CosineOptions) {
    super();
    if (options === null || typeof options !== 'object')
      throw new TypeError('Cosine: options are required: { period, minLr, warmRestarts, periodMultiplier }');
    this.period = checkPositiveInteger('Cosine: period', options.period);
    this.minLr = checkNonNegative('Cosine: minLr', options.minLr ?? 0);
    this.warmRestarts = options.warmRestarts ?? false;
    this.periodMultiplier = checkPositiveInteger('Cosine: periodMultiplier', options.periodMultiplier ?? 1);
    if (!this.warmRestarts && this.periodMultiplier !== 1) {
      throw new RangeError('Cosine: periodMultiplier needs warmRestarts: true');
    }
  }

  protected rate(lr: number, { iteration }: ScheduleContext): number {
    let t = iteration;
    let period = this.period;
    if (this.warmRestarts && this.periodMultiplier === 1) {
      t %= period;
    } else if (this.warmRestarts) {
      while (t >= period) {
        t -= period;
        period *= this.periodMultiplier;
      }
    }
    return this.minLr + ((lr - this.minLr) * (1 + Math.cos((Math.PI * t) / period))) / 2;
  }
}
