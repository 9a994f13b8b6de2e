/**
 * Plateau: reduce the learning rate when a monitored metric stops improving, evaluated once per epoch,
 * with the semantics of BigDL's `SGD.Plateau` (transcribed from `SGD.scala`).
 */
import { checkFinite, checkNonNegative } from './check.js';
import { decodeNumber, encodeNumber } from './json.js';
import {
  expectScheduleState,
  type LearningRateSchedule,
  type ScheduleContext,
  type ScheduleState,
} from './schedule.js';

/** Options of Plateau (BigDL's names and defaults). */
export interface PlateauOptions {
  /**
   * 'loss': the training loss given to `endEpoch({ loss })`; 'score': the validation score (the keys of
   * `endEpoch`'s metrics; BigDL spells the first 'Loss').
   */
  monitor: 'loss' | 'score';
  /** Multiplies the rate on each reduction; must be < 1. Default 0.1. */
  factor?: number;
  /** Epochs without improvement before a reduction. Default 10. */
  patience?: number;
  /** 'min': lower is better (a loss); 'max': higher is better (an AUC). Default 'min'. */
  mode?: 'min' | 'max';
  /** An improvement must beat the best value by more than this. Default 1e-4. */
  epsilon?: number;
  /** Epochs to wait after a reduction before counting epochs without improvement again. Default 0. */
  cooldown?: number;
  /** The rate never goes below this. Default 0. */
  minLr?: number;
}

/**
 * Reduces the rate by `factor` when the monitored metric has not improved for `patience` epochs
 * (BigDL's `Plateau(monitor, factor, patience, mode, epsilon, cooldown, minLr)`).
 *
 * It looks at the metric once per epoch, at the first step of each epoch after its first, using what
 * the training loop passed to `optimizer.endEpoch()` at the end of the previous epoch. During its
 * first epoch the rate is the base rate. BigDL's exact order of operations is kept: at each epoch the
 * cooldown counter is spent first (clearing the wait), then an improvement (`cur < best - epsilon` in
 * 'min' mode, `cur > best + epsilon` in 'max') records a new best, otherwise outside cooldown the rate
 * is cut to `max(rate * factor, minLr)` once the wait has reached `patience` (and only if the rate is
 * above `minLr * (1 + 1e-4)`), and the wait grows by one. BigDL stores factor, epsilon and minLr as
 * 32-bit floats; tszoo uses doubles, so a reduced rate is `0.1 * lr` exactly rather than
 * `0.10000000149 * lr`.
 *
 * @example
 * ```ts
 * const optimizer = new Adam(params, { lr: 1e-3, schedule: new Plateau({ monitor: 'score', mode: 'max', patience: 2 }) });
 * // at the end of each epoch:
 * optimizer.endEpoch({ loss: lastBatchLoss, score: validationAuc });
 * ```
 */
export class Plateau implements LearningRateSchedule {
  readonly kind = 'Plateau';
  readonly monitor: 'loss' | 'score';
  readonly factor: number;
  readonly patience: number;
  readonly mode: 'min' | 'max';
  readonly epsilon: number;
  readonly cooldown: number;
  readonly minLr: number;

  #rates: number[] | null = null;
  #best: number;
  #wait = 0;
  #cooldownLeft = 0;
  #epoch = 1;

  constructor(options: PlateauOptions) {
    const { monitor, factor = 0.1, patience = 10, mode = 'min', epsilon = 1e-4, cooldown = 0, minLr = 0 } = options;
    if (monitor !== 'loss' && monitor !== 'score') {
      const hint = String(monitor) === 'Loss' ? " (BigDL's 'Loss' is spelled 'loss' here, as the metric keys are)" : '';
      throw new TypeError(`Plateau: monitor must be 'loss' or 'score', got '${String(monitor)}'${hint}`);
    }
    if (mode !== 'min' && mode !== 'max') {
      throw new TypeError(`Plateau: mode must be 'min' or 'max', got '${String(mode)}'`);
    }
    checkFinite('Plateau: factor', factor);
    if (factor >= 1) throw new RangeError(`Plateau does not support a factor >= 1.0 (got ${factor})`);
    if (!Number.isInteger(patience) || patience < 0) throw new RangeError(`Plateau: patience must be an integer >= 0`);
    if (!Number.isInteger(cooldown) || cooldown < 0) throw new RangeError(`Plateau: cooldown must be an integer >= 0`);
    checkFinite('Plateau: epsilon', epsilon);
    checkNonNegative('Plateau: minLr', minLr);
    this.monitor = monitor;
    this.factor = factor;
    this.patience = patience;
    this.mode = mode;
    this.epsilon = epsilon;
    this.cooldown = cooldown;
    this.minLr = minLr;
    this.#best = mode === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  }

  #improves(current: number): boolean {
    return this.mode === 'min' ? current < this.#best - this.epsilon : current > this.#best + this.epsilon;
  }

  rates(context: ScheduleContext): number[] {
    // BigDL sets the rate from the base rate throughout the schedule's first epoch. (It would leave it
    // at 0 if it never saw that epoch; starting from the base rate then is the evident intent.)
    if (context.epoch === 1 || this.#rates === null || this.#rates.length !== context.baseLrs.length) {
      this.#rates = [...context.baseLrs];
    }
    if (context.epoch === this.#epoch) return [...this.#rates];
    this.#epoch = context.epoch;
    const field = this.monitor;
    const current = context.metrics[field];
    if (current === undefined) {
      throw new Error(
        `Plateau(monitor '${field}') needs a ${field}: call optimizer.endEpoch({ ${field} }) at the end of each epoch`,
      );
    }
    if (this.#cooldownLeft > 0) {
      this.#cooldownLeft -= 1;
      this.#wait = 0;
    }
    if (this.#improves(current)) {
      this.#best = current;
      this.#wait = 0;
    } else if (this.#cooldownLeft <= 0) {
      if (this.#wait >= this.patience) {
        const floor = this.minLr + this.minLr * 1e-4;
        if (this.#rates.some((r) => Math.abs(r) > floor)) {
          this.#rates = this.#rates.map((r) =>
            Math.abs(r) > floor ? Math.max(Math.abs(r) * this.factor, this.minLr) : r,
          );
          this.#cooldownLeft = this.cooldown;
          this.#wait = 0;
        }
      }
      this.#wait += 1;
    }
    return [...this.#rates];
  }

  stateDict(): ScheduleState {
    return {
      kind: this.kind,
      rates: this.#rates,
      best: encodeNumber(this.#best),
      wait: this.#wait,
      cooldownLeft: this.#cooldownLeft,
      epoch: this.#epoch,
    };
  }

  loadStateDict(state: unknown): void {
    const s = expectScheduleState(state, this.kind);
    const rates = s.rates;
    if (rates !== null && !(Array.isArray(rates) && rates.every((r) => typeof r === 'number'))) {
      throw new TypeError('Plateau.loadStateDict: rates must be null or an array of numbers');
    }
    const best = decodeNumber(s.best, 'Plateau.loadStateDict: best');
    const counters = { wait: s.wait, cooldownLeft: s.cooldownLeft, epoch: s.epoch };
    for (const [name, v] of Object.entries(counters)) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
        throw new TypeError(`Plateau.loadStateDict: ${name} must be an integer >= 0, got ${JSON.stringify(v)}`);
      }
    }
    this.#rates = rates === null ? null : [...(rates as number[])];
    this.#best = best;
    this.#wait = counters.wait as number;
    this.#cooldownLeft = counters.cooldownLeft as number;
    this.#epoch = counters.epoch as number;
  }
}
