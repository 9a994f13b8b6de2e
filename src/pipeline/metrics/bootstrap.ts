/**
 * Bootstrap confidence intervals (percentile method), seeded and reproducible. With `groups` (e.g.
 * patient ids) whole groups are resampled, so that images of one patient stay together, as a
 * patient-level analysis requires; otherwise rows are.
 *
 * A resample is passed to the statistic as per-row multiplicities (a row drawn k times has weight k),
 * which the ranking metrics evaluate on rows sorted once, without copying the data.
 */
import { seededRandom } from '../../data/sampler.js';
import { type SortedClass, sortClass, weightedAucAndAveragePrecision } from './binary-counts.js';
import { checkInputs, type LabelArray, labelColumn, type ScoreArray, scoreColumn } from './inputs.js';

export interface BootstrapOptions {
  /** resamples (default 1000) */
  iterations?: number;
  /** two-sided coverage of the interval (default 0.95) */
  confidence?: number;
  /** seed of the resampling stream (default 0); the same seed gives the same intervals */
  seed?: number;
  /** one group id per row: resample groups instead of rows */
  groups?: ArrayLike<string | number>;
}

/** A statistic with its bootstrap interval. */
export interface ConfidenceInterval {
  /** the statistic on all rows */
  estimate: number;
  lower: number;
  upper: number;
  /** resamples where the statistic was defined (the others, e.g. a class left without positives, are dropped) */
  resamples: number;
}

/** Linear-interpolated percentile of sorted values (numpy's default method); q in [0, 1]. */
export function percentileOfSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const a = sorted[lo] as number;
  return a + ((sorted[hi] as number) - a) * (pos - lo);
}

/** Rows of each group, groups in order of first appearance. */
function groupRows(groups: ArrayLike<string | number>): Uint32Array[] {
  const index = new Map<string | number, number[]>();
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i] as string | number;
    let rows = index.get(g);
    if (!rows) index.set(g, (rows = []));
    rows.push(i);
  }
  return [...index.values()].map((rows) => Uint32Array.from(rows));
}

/**
 * Bootstrap intervals of a vector-valued statistic of `n` rows.
 *
 * Resample b draws, from `seededRandom(seed)`, `floor(u * G)` G times (G groups, or n rows), and
 * the statistic is called with the resulting multiplicities.
 *
 * @param statistic maps per-row multiplicities (all 1 for the estimate) to values; NaN = undefined
 *
 * @example
 * ```ts
 * // the mean of x with a 95% interval, resampling patients
 * const [mean] = bootstrapConfidenceIntervals(x.length, (w) => {
 *   let s = 0, k = 0;
 *   w.forEach((wi, i) => { s += wi * x[i]; k += wi; });
 *   return [s / k];
 * }, { groups: patientIds, seed: 7 });
 * ```
 */
export function bootstrapConfidenceIntervals(
  n: number,
  statistic: (weights: Int32Array) => number[],
  options: BootstrapOptions = {},
): ConfidenceInterval[] {
  const iterations = options.iterations ?? 1000;
  const confidence = options.confidence ?? 0.95;
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new Error(`bootstrap: iterations must be a positive integer, got ${iterations}`);
  }
  if (!(confidence > 0 && confidence < 1))
    throw new Error(`bootstrap: confidence must be in (0, 1), got ${confidence}`);
  if (options.groups && options.groups.length !== n) {
    throw new Error(`bootstrap: ${options.groups.length} group ids for ${n} rows`);
  }
  if (n === 0) throw new Error('bootstrap: no rows');
  const units = options.groups ? groupRows(options.groups) : null;
  const estimate = statistic(new Int32Array(n).fill(1));
  const samples: number[][] = estimate.map(() => []);
  const random = seededRandom(options.seed ?? 0);
  const weights = new Int32Array(n);
  for (let b = 0; b < iterations; b++) {
    weights.fill(0);
    if (units) {
      for (let k = 0; k < units.length; k++) {
        for (const i of units[Math.floor(random() * units.length)] as Uint32Array) weights[i]++;
      }
    } else {
      for (let k = 0; k < n; k++) weights[Math.floor(random() * n)]++;
    }
    statistic(weights).forEach((v, j) => {
      if (!Number.isNaN(v)) samples[j]?.push(v);
    });
  }
  const alpha = (1 - confidence) / 2;
  return estimate.map((value, j) => {
    const sorted = Float64Array.from(samples[j] as number[]).sort();
    return {
      estimate: value,
      lower: percentileOfSorted(sorted, alpha),
      upper: percentileOfSorted(sorted, 1 - alpha),
      resamples: sorted.length,
    };
  });
}

/** Per-class intervals and the interval of their mean (over the classes defined in each resample). */
export interface PerClassIntervals {
  perClass: ConfidenceInterval[];
  mean: ConfidenceInterval;
}

function perClassBootstrap(
  where: string,
  measure: (sorted: SortedClass, weights: Int32Array) => number,
  scores: ScoreArray,
  labels: LabelArray,
  numClasses: number,
  options: BootstrapOptions,
): PerClassIntervals {
  const shape = checkInputs(scores, labels, numClasses, where);
  const columns = Array.from({ length: numClasses }, (_, c) =>
    sortClass(scoreColumn(scores, shape, c), labelColumn(labels, shape, c)),
  );
  const intervals = bootstrapConfidenceIntervals(
    shape.n,
    (weights) => {
      const values = columns.map((sorted) => measure(sorted, weights));
      const defined = values.filter((v) => !Number.isNaN(v));
      const mean = defined.length > 0 ? defined.reduce((a, v) => a + v, 0) / defined.length : Number.NaN;
      return [...values, mean];
    },
    options,
  );
  return { perClass: intervals.slice(0, numClasses), mean: intervals[numClasses] as ConfidenceInterval };
}

/**
 * ROC-AUC per class and mean, each with a bootstrap interval.
 *
 * @example
 * ```ts
 * const ci = rocAucConfidenceIntervals(scores, labels, 14, { groups: patientIds, iterations: 1000, seed: 0 });
 * ci.perClass[0]; // { estimate: 0.81, lower: 0.78, upper: 0.84, resamples: 1000 }
 * ```
 */
export function rocAucConfidenceIntervals(
  scores: ScoreArray,
  labels: LabelArray,
  numClasses: number,
  options: BootstrapOptions = {},
): PerClassIntervals {
  return perClassBootstrap(
    'rocAucConfidenceIntervals',
    (s, w) => weightedAucAndAveragePrecision(s, w)[0],
    scores,
    labels,
    numClasses,
    options,
  );
}

/** Average precision per class and mean, each with a bootstrap interval. */
export function averagePrecisionConfidenceIntervals(
  scores: ScoreArray,
  labels: LabelArray,
  numClasses: number,
  options: BootstrapOptions = {},
): PerClassIntervals {
  return perClassBootstrap(
    'averagePrecisionConfidenceIntervals',
    (s, w) => weightedAucAndAveragePrecision(s, w)[1],
    scores,
    labels,
    numClasses,
    options,
  );
}
