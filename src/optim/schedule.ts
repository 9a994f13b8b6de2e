/**
 * The contract between an optimizer and a learning-rate schedule, after BigDL's `LearningRateSchedule`:
 * before every step the optimizer asks its schedule for the rates of that step, handing it the
 * iteration and epoch counters, the base rates and the metrics of the last finished epoch.
 */
import { isJsonObject, type Json } from './json.js';

/** What a training loop reports at the end of an epoch (see `Optimizer.endEpoch`). */
export interface EpochMetrics {
  /**
   * Training loss. BigDL's Plateau("Loss") watches the loss of the epoch's last mini-batch; pass that
   * to reproduce BigDL, or an epoch mean for a steadier signal.
   */
  loss?: number;
  /** Validation score (BigDL's "score": the first validation method's result, e.g. AUC). */
  score?: number;
}

/** What a schedule is told when asked for the rates of one step. */
export interface ScheduleContext {
  /**
   * Steps taken before this one, counted from the start of this schedule (BigDL's `evalCounter` minus
   * the iterations of the schedules before it in a SequentialSchedule).
   */
  readonly iteration: number;
  /** Steps taken before this one, counted from the start of training (BigDL's `evalCounter`). */
  readonly globalIteration: number;
  /** The 1-based epoch, counted from the start of this schedule (BigDL's `epoch - excludeEpochs`). */
  readonly epoch: number;
  /** The rates the schedule starts from, one per parameter group (BigDL's `learningRate`). */
  readonly baseLrs: readonly number[];
  /** The metrics given to the last `endEpoch()` call (empty before the first). */
  readonly metrics: Readonly<EpochMetrics>;
}

/** A schedule's saved state: its kind, for validation, and whatever it needs to resume exactly. */
export interface ScheduleState {
  kind: string;
  [key: string]: Json;
}

/**
 * A learning-rate schedule: BigDL's `LearningRateSchedule`, one rate per parameter group.
 *
 * `rates()` is called once per optimizer step, in order, and may advance internal state (Plateau's
 * counters, SequentialSchedule's position); `stateDict()` / `loadStateDict()` save and restore that
 * state exactly.
 */
export interface LearningRateSchedule {
  /** The schedule's name, e.g. 'Warmup'; saved with its state and checked on load. */
  readonly kind: string;
  /** The learning rate of each parameter group for the step described by `context`. */
  rates(context: ScheduleContext): number[];
  /** The schedule's state as JSON. */
  stateDict(): ScheduleState;
  /** Restores what stateDict() returned; throws without changing anything if it does not fit. */
  loadStateDict(state: unknown): void;
}

/** Checks that `state` is a ScheduleState of `kind`, for loadStateDict implementations. */
export function expectScheduleState(state: unknown, kind: string): ScheduleState {
  if (!isJsonObject(state) || typeof state.kind !== 'string') {
    throw new TypeError(`${kind}.loadStateDict: expected an object with a 'kind', got ${JSON.stringify(state)}`);
  }
  if (state.kind !== kind) {
    throw new Error(`${kind}.loadStateDict: the state was saved by a ${state.kind} schedule, not a ${kind}`);
  }
  return state as ScheduleState;
}
