/**
 * Triggers, with BigDL's semantics: when to validate or checkpoint (`everyEpoch`, `severalIteration`) and
 * when to stop (`maxEpoch`, `maxIteration`, `minLoss`, `maxScore`, combined with `and` / `or`).
 */

/** Where training stands when a trigger is asked. */
export interface TrainState {
  /** epochs finished */
  epoch: number;
  /** iterations (optimizer steps) done since the start of training */
  iteration: number;
  /** mean loss of the last iteration */
  loss: number;
  /** last validation score (the first metric's value), NaN before any validation */
  score: number;
  /** true right after the last iteration of an epoch */
  epochEnd: boolean;
}

/** A condition on the training state; `name` shows in logs and errors. */
export interface Trigger {
  readonly name: string;
  fires(state: TrainState): boolean;
}

function checkCount(who: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${who}: expected a positive integer, got ${n}`);
}

/**
 * Fires at the end of every epoch.
 *
 * @example
 * ```ts
 * estimator.setValidation(everyEpoch(), valDf, [auc()]);
 * ```
 */
export function everyEpoch(): Trigger {
  return { name: 'everyEpoch()', fires: (s) => s.epochEnd };
}

/** Fires every `n` iterations (BigDL's `SeveralIteration`). */
export function severalIteration(n: number): Trigger {
  checkCount('severalIteration', n);
  return { name: `severalIteration(${n})`, fires: (s) => s.iteration > 0 && s.iteration % n === 0 };
}

/** End trigger: stop once `n` epochs are done. */
export function maxEpoch(n: number): Trigger {
  checkCount('maxEpoch', n);
  return { name: `maxEpoch(${n})`, fires: (s) => s.epoch >= n };
}

/** End trigger: stop once `n` iterations are done. */
export function maxIteration(n: number): Trigger {
  checkCount('maxIteration', n);
  return { name: `maxIteration(${n})`, fires: (s) => s.iteration >= n };
}

/** End trigger: stop when the last iteration's loss falls below `x`. */
export function minLoss(x: number): Trigger {
  return { name: `minLoss(${x})`, fires: (s) => s.loss < x };
}

/** End trigger: stop when the validation score (first metric) exceeds `x`. */
export function maxScore(x: number): Trigger {
  return { name: `maxScore(${x})`, fires: (s) => s.score > x };
}

/** Fires when every one of `triggers` fires. */
export function and(...triggers: Trigger[]): Trigger {
  return { name: `and(${triggers.map((t) => t.name).join(', ')})`, fires: (s) => triggers.every((t) => t.fires(s)) };
}

/** Fires when any of `triggers` fires. */
export function or(...triggers: Trigger[]): Trigger {
  return { name: `or(${triggers.map((t) => t.name).join(', ')})`, fires: (s) => triggers.some((t) => t.fires(s)) };
}
