/** SequentialSchedule: schedules run one after another, with the semantics of BigDL's `SequentialSchedule`. */
import { checkPositiveInteger } from './check.js';
import type { Json } from './json.js';
import {
  expectScheduleState,
  type LearningRateSchedule,
  type ScheduleContext,
  type ScheduleState,
} from './schedule.js';

interface Stage {
  readonly schedule: LearningRateSchedule;
  /** steps taken by the stages before this one (BigDL's excludeIterations) */
  readonly excludeIterations: number;
  /** the step count after which the next stage takes over (BigDL's maxIterations) */
  readonly maxIterations: number;
  /** excludeIterations / iterationsPerEpoch, rounded down (BigDL's excludeEpochs) */
  readonly excludeEpochs: number;
}

/**
 * Runs schedules back to back (BigDL's `SequentialSchedule(iterationPerEpoch).add(schedule, maxIteration)`).
 *
 * BigDL's rules are kept exactly: a stage hands over when the count of steps taken exceeds the stage's
 * cumulative `maxIteration`, so the first stage covers steps `0..maxIteration` (one more than its
 * count) and each later stage sees its own step counter start at 1; on a switch the next stage's base
 * rate is the last rate of the previous stage; each stage's epoch counter starts after
 * `floor(iterations before it / iterationsPerEpoch)` epochs. The last stage carries on past its
 * `maxIteration` (BigDL would fail there).
 *
 * @example
 * ```ts
 * // The seed's X-ray recipe: warm up from 1e-7 to 1e-4 over 5 epochs, then cut by 10x on plateaus.
 * const ipe = Math.ceil(trainCount / batchSize);              // iterations per epoch
 * const schedule = new SequentialSchedule(ipe)
 *   .add(new Warmup((1e-4 - 1e-7) / (5 * ipe)), 5 * ipe)
 *   .add(new Plateau({ monitor: 'loss', factor: 0.1, patience: 1, epsilon: 0.01, minLr: 1e-15 }), 10 * ipe);
 * const optimizer = new Adam(model.parameters(), { lr: 1e-7, schedule });
 * ```
 */
export class SequentialSchedule implements LearningRateSchedule {
  readonly kind = 'Sequential';
  readonly #stages: Stage[] = [];
  #current = 0;
  /** base rates set on the last switch (BigDL overwrites the optimizer's learningRate), null before */
  #switchedBaseLrs: number[] | null = null;
  /** the rates returned by the last call (BigDL's currentRate) */
  #lastRates: number[] | null = null;

  constructor(readonly iterationsPerEpoch: number) {
    checkPositiveInteger('SequentialSchedule: iterationsPerEpoch', iterationsPerEpoch);
  }

  /** Appends `schedule`, to run for `maxIteration` steps after the stages before it. Returns this. */
  add(schedule: LearningRateSchedule, maxIteration: number): this {
    checkPositiveInteger('SequentialSchedule.add: maxIteration', maxIteration);
    if (typeof schedule?.rates !== 'function') throw new TypeError('SequentialSchedule.add: expected a schedule');
    const excludeIterations = this.#stages.at(-1)?.maxIterations ?? 0;
    this.#stages.push({
      schedule,
      excludeIterations,
      maxIterations: excludeIterations + maxIteration,
      excludeEpochs: Math.floor(excludeIterations / this.iterationsPerEpoch),
    });
    return this;
  }

  /** The schedules added, in order. */
  get schedules(): LearningRateSchedule[] {
    return this.#stages.map((s) => s.schedule);
  }

  rates(context: ScheduleContext): number[] {
    if (this.#stages.length === 0) throw new Error('SequentialSchedule: add() a schedule before training');
    let stage = this.#stages[this.#current] as Stage;
    if (context.iteration > stage.maxIterations && this.#current < this.#stages.length - 1) {
      this.#switchedBaseLrs = this.#lastRates ?? [...context.baseLrs];
      this.#current += 1;
      stage = this.#stages[this.#current] as Stage;
    }
    const rates = stage.schedule.rates({
      ...context,
      iteration: context.iteration - stage.excludeIterations,
      epoch: context.epoch - stage.excludeEpochs,
      baseLrs: this.#switchedBaseLrs ?? context.baseLrs,
    });
    this.#lastRates = [...rates];
    return rates;
  }

  stateDict(): ScheduleState {
    return {
      kind: this.kind,
      current: this.#current,
      switchedBaseLrs: this.#switchedBaseLrs,
      lastRates: this.#lastRates,
      stages: this.#stages.map((s) => s.schedule.stateDict() as Json),
    };
  }

  loadStateDict(state: unknown): void {
    const s = expectScheduleState(state, this.kind);
    const stages = s.stages;
    if (!Array.isArray(stages) || stages.length !== this.#stages.length) {
      const saved = Array.isArray(stages) ? stages.length : 'no';
      throw new Error(
        `SequentialSchedule.loadStateDict: the state has ${saved} stages, this schedule has ${this.#stages.length}`,
      );
    }
    const current = s.current;
    if (typeof current !== 'number' || !Number.isInteger(current) || current < 0 || current >= this.#stages.length) {
      throw new RangeError(
        `SequentialSchedule.loadStateDict: current stage ${JSON.stringify(current)} is out of range`,
      );
    }
    const numbersOrNull = (v: Json | undefined, what: string): number[] | null => {
      if (v === null) return null;
      if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return [...(v as number[])];
      throw new TypeError(`SequentialSchedule.loadStateDict: ${what} must be null or an array of numbers`);
    };
    const switchedBaseLrs = numbersOrNull(s.switchedBaseLrs, 'switchedBaseLrs');
    const lastRates = numbersOrNull(s.lastRates, 'lastRates');
    // Stages check their own state before changing anything; check every kind first so that a
    // mismatch in a later stage leaves the earlier ones untouched.
    stages.forEach((st, i) => {
      const kind = (st as { kind?: unknown } | null)?.kind;
      const expected = (this.#stages[i] as Stage).schedule.kind;
      if (kind !== expected) {
        throw new Error(
          `SequentialSchedule.loadStateDict: stage ${i} was saved by a ${String(kind)} schedule, not a ${expected}`,
        );
      }
    });
    stages.forEach((st, i) => {
      (this.#stages[i] as Stage).schedule.loadStateDict(st);
    });
    this.#current = current;
    this.#switchedBaseLrs = switchedBaseLrs;
    this.#lastRates = lastRates;
  }
}
