/**
 * True- and false-positive counts at every distinct score, the basis of ROC and precision-recall
 * curves (scikit-learn's `_binary_clf_curve`). Rows predicted positive at threshold t are those with
 * score >= t. Rows can carry integer multiplicities, which is how a bootstrap resample is evaluated
 * without copying: a row drawn k times counts k times.
 */

/** Cumulative counts at each distinct score, highest score first. */
export interface BinaryCounts {
  /** the distinct scores, descending */
  thresholds: Float64Array;
  /** positives with score >= thresholds[i] */
  tps: Float64Array;
  /** negatives with score >= thresholds[i] */
  fps: Float64Array;
  /** total positives (tps at the last threshold) */
  positives: number;
  /** total negatives */
  negatives: number;
}

/** Row indices ordered by descending score (the order ties come in does not matter). */
export function descendingOrder(scores: ArrayLike<number>): Uint32Array {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  const keys = Float64Array.from(scores);
  return order.sort((a, b) => (keys[b] as number) - (keys[a] as number));
}

/**
 * Counts for one class.
 *
 * @param scores one score per row
 * @param labels one 0/1 label per row
 * @param order `descendingOrder(scores)`, when the caller reuses it across resamples
 * @param weights per-row multiplicities (rows with 0 are left out); all 1 when omitted
 *
 * @example
 * ```ts
 * binaryCounts([0.9, 0.4, 0.4, 0.1], [1, 0, 1, 0]);
 * // thresholds [0.9, 0.4, 0.1], tps [1, 2, 2], fps [0, 1, 2]
 * ```
 */
export function binaryCounts(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  order: Uint32Array = descendingOrder(scores),
  weights?: ArrayLike<number>,
): BinaryCounts {
  const thresholds = new Float64Array(order.length);
  const tps = new Float64Array(order.length);
  const fps = new Float64Array(order.length);
  let m = 0;
  let tp = 0;
  let fp = 0;
  let runWeight = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k] as number;
    const w = weights ? (weights[i] as number) : 1;
    runWeight += w;
    if (labels[i] === 1) tp += w;
    else fp += w;
    const next = order[k + 1];
    // a run of equal scores ends here; record it unless all its rows were left out
    if ((next === undefined || scores[next] !== scores[i]) && runWeight > 0) {
      thresholds[m] = scores[i] as number;
      tps[m] = tp;
      fps[m] = fp;
      m++;
      runWeight = 0;
    }
  }
  return {
    thresholds: thresholds.subarray(0, m),
    tps: tps.subarray(0, m),
    fps: fps.subarray(0, m),
    positives: tp,
    negatives: fp,
  };
}

/**
 * Area under the ROC curve from counts: the trapezoids between consecutive (fps, tps) points, summed
 * in integers and divided once, so ties count one half exactly. NaN when a class is absent.
 */
export function aucFromCounts(counts: BinaryCounts): number {
  const { tps, fps, positives, negatives } = counts;
  if (positives === 0 || negatives === 0) return Number.NaN;
  let area = 0;
  let prevTp = 0;
  let prevFp = 0;
  for (let i = 0; i < tps.length; i++) {
    const tp = tps[i] as number;
    const fp = fps[i] as number;
    area += (fp - prevFp) * (tp + prevTp);
    prevTp = tp;
    prevFp = fp;
  }
  return area / (2 * positives * negatives);
}

/**
 * Average precision (scikit-learn's `average_precision_score`): the sum over thresholds of the recall
 * gained times the precision there, with no interpolation. NaN when there is no positive row
 * (scikit-learn returns 0 with a warning then).
 */
export function averagePrecisionFromCounts(counts: BinaryCounts): number {
  const { tps, fps, positives } = counts;
  if (positives === 0) return Number.NaN;
  let sum = 0;
  let prevTp = 0;
  for (let i = 0; i < tps.length; i++) {
    const tp = tps[i] as number;
    if (tp !== prevTp) sum += (tp - prevTp) * (tp / (tp + (fps[i] as number)));
    prevTp = tp;
  }
  return sum / positives;
}

/** One class's rows sorted once by descending score, for evaluating many resamples without sorting again. */
export interface SortedClass {
  scores: Float64Array;
  labels: Uint8Array;
  /** original row of each sorted position */
  rows: Uint32Array;
}

/** Sorts one class's rows by descending score. */
export function sortClass(scores: ArrayLike<number>, labels: ArrayLike<number>): SortedClass {
  const rows = descendingOrder(scores);
  return {
    scores: Float64Array.from(rows, (i) => scores[i] as number),
    labels: Uint8Array.from(rows, (i) => labels[i] as number),
    rows,
  };
}

/**
 * ROC-AUC and average precision of a resample given as per-row multiplicities, in one pass over the
 * presorted rows and without allocating; equal to building {@link binaryCounts} with those weights.
 */
export function weightedAucAndAveragePrecision(sorted: SortedClass, weights: ArrayLike<number>): [number, number] {
  const { scores, labels, rows } = sorted;
  let tp = 0;
  let fp = 0;
  let prevTp = 0;
  let prevFp = 0;
  let area = 0;
  let precisionSum = 0;
  for (let k = 0; k < scores.length; k++) {
    const w = weights[rows[k] as number] as number;
    if (labels[k] === 1) tp += w;
    else fp += w;
    if (k + 1 === scores.length || scores[k + 1] !== scores[k]) {
      // end of a run of equal scores: one ROC point (a run with no weight adds nothing)
      area += (fp - prevFp) * (tp + prevTp);
      if (tp !== prevTp) precisionSum += (tp - prevTp) * (tp / (tp + fp));
      prevTp = tp;
      prevFp = fp;
    }
  }
  const auc = tp === 0 || fp === 0 ? Number.NaN : area / (2 * tp * fp);
  return [auc, tp === 0 ? Number.NaN : precisionSum / tp];
}
