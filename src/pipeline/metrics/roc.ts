/**
 * ROC and precision-recall curves, ROC-AUC and average precision (AUPRC): exact, from sorted scores with ties counted as
 * scikit-learn does (a tie between a positive and a negative counts one half), not an approximation
 * on a fixed grid of thresholds.
 */
import { aucFromCounts, averagePrecisionFromCounts, binaryCounts } from './binary-counts.js';
import { checkInputs, type LabelArray, labelColumn, type ScoreArray, scoreColumn } from './inputs.js';
import { type PerClass, perClassResult } from './per-class.js';

/** Points of a ROC curve, from the highest threshold (the origin) to the lowest (1, 1). */
export interface RocCurve {
  fpr: Float64Array;
  tpr: Float64Array;
  /** rows with score >= thresholds[i] are called positive at point i; the first is +Infinity */
  thresholds: Float64Array;
}

export interface RocCurveOptions {
  /** drop points collinear with their neighbours, as scikit-learn's default does (default true) */
  dropIntermediate?: boolean;
}

function checkBinary(scores: ArrayLike<number>, labels: ArrayLike<number>, where: string): void {
  if (scores.length !== labels.length) {
    throw new Error(`${where}: ${scores.length} scores but ${labels.length} labels`);
  }
  checkInputs(scores as ScoreArray, labels as LabelArray, 1, where);
}

/**
 * The ROC curve of one class (scikit-learn's `roc_curve`). The first threshold is +Infinity, where
 * scikit-learn 1.2 writes `max score + 1` (later versions write inf too). With only one label value
 * among the rows, fpr or tpr is all NaN, as in scikit-learn.
 *
 * @example
 * ```ts
 * const { fpr, tpr } = rocCurve([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]);
 * // fpr [0, 0, 0.5, 0.5, 1], tpr [0, 0.5, 0.5, 1, 1]
 * ```
 */
export function rocCurve(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  options: RocCurveOptions = {},
): RocCurve {
  checkBinary(scores, labels, 'rocCurve');
  const counts = binaryCounts(scores, labels);
  let { tps, fps, thresholds } = counts;
  if (options.dropIntermediate !== false && tps.length > 2) {
    // keep the ends and every corner: a nonzero second difference in fps or tps
    const keep: number[] = [0];
    for (let i = 1; i < tps.length - 1; i++) {
      const d2f = (fps[i + 1] as number) - 2 * (fps[i] as number) + (fps[i - 1] as number);
      const d2t = (tps[i + 1] as number) - 2 * (tps[i] as number) + (tps[i - 1] as number);
      if (d2f !== 0 || d2t !== 0) keep.push(i);
    }
    keep.push(tps.length - 1);
    tps = Float64Array.from(keep, (i) => tps[i] as number);
    fps = Float64Array.from(keep, (i) => fps[i] as number);
    thresholds = Float64Array.from(keep, (i) => thresholds[i] as number);
  }
  const m = tps.length + 1;
  const fpr = new Float64Array(m);
  const tpr = new Float64Array(m);
  const th = new Float64Array(m);
  th[0] = Number.POSITIVE_INFINITY;
  for (let i = 1; i < m; i++) {
    fpr[i] = (fps[i - 1] as number) / counts.negatives;
    tpr[i] = (tps[i - 1] as number) / counts.positives;
    th[i] = thresholds[i - 1] as number;
  }
  if (counts.negatives === 0) fpr.fill(Number.NaN);
  if (counts.positives === 0) tpr.fill(Number.NaN);
  return { fpr, tpr, thresholds: th };
}

/** Points of a precision-recall curve, by increasing threshold (scikit-learn's order): recall falls to 0. */
export interface PrecisionRecallCurve {
  /** precision at thresholds[i]; the last point is (recall 0, precision 1), with no threshold */
  precision: Float64Array;
  recall: Float64Array;
  /** the distinct scores, ascending; rows with score >= thresholds[i] are called positive at point i */
  thresholds: Float64Array;
}

/**
 * The precision-recall curve of one class (scikit-learn 1.2's `precision_recall_curve`): one point per
 * distinct score, ascending, then the point (recall 0, precision 1). Without positives recall is 1
 * everywhere, as in scikit-learn.
 *
 * @example
 * ```ts
 * const { precision, recall, thresholds } = precisionRecallCurve([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]);
 * // precision [0.5, 2/3, 0.5, 1, 1], recall [1, 1, 0.5, 0.5, 0], thresholds [0.1, 0.35, 0.4, 0.8]
 * ```
 */
export function precisionRecallCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): PrecisionRecallCurve {
  checkBinary(scores, labels, 'precisionRecallCurve');
  const { tps, fps, thresholds, positives } = binaryCounts(scores, labels);
  const n = tps.length;
  const precision = new Float64Array(n + 1);
  const recall = new Float64Array(n + 1);
  const th = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const j = n - 1 - i;
    const tp = tps[j] as number;
    const called = tp + (fps[j] as number);
    precision[i] = called === 0 ? 0 : tp / called;
    recall[i] = positives === 0 ? 1 : tp / positives;
    th[i] = thresholds[j] as number;
  }
  precision[n] = 1;
  recall[n] = 0;
  return { precision, recall, thresholds: th };
}

/**
 * ROC-AUC of one class (scikit-learn's `roc_auc_score` for binary labels); NaN when only one label
 * value occurs (scikit-learn raises then).
 *
 * @example
 * ```ts
 * binaryRocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]); // 0.75
 * ```
 */
export function binaryRocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkBinary(scores, labels, 'binaryRocAuc');
  return aucFromCounts(binaryCounts(scores, labels));
}

/** Average precision of one class (scikit-learn's `average_precision_score`); NaN without positives. */
export function binaryAveragePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkBinary(scores, labels, 'binaryAveragePrecision');
  return averagePrecisionFromCounts(binaryCounts(scores, labels));
}

/**
 * ROC-AUC per class and their mean. Multi-label indicators are scored column by column; class indices
 * one-vs-rest. A class with only one label value among the rows gets NaN and is listed in
 * `undefinedClasses`; the mean is over the others.
 *
 * @example
 * ```ts
 * const scores = new Float32Array([0.9, 0.2, 0.3, 0.7, 0.6, 0.4]); // 3 rows x 2 classes
 * const { perClass, mean } = rocAucScore(scores, [1, 0, 0, 0, 0, 0], 2);
 * // perClass [1, NaN] (class 1 has no positive), mean 1, undefinedClasses [1]
 * ```
 */
export function rocAucScore(scores: ScoreArray, labels: LabelArray, numClasses: number): PerClass {
  const shape = checkInputs(scores, labels, numClasses, 'rocAucScore');
  const values: number[] = [];
  for (let c = 0; c < numClasses; c++) {
    values.push(aucFromCounts(binaryCounts(scoreColumn(scores, shape, c), labelColumn(labels, shape, c))));
  }
  return perClassResult(values);
}

/** Average precision (area under the precision-recall curve) per class and their mean; NaN for classes without positives. */
export function averagePrecisionScore(scores: ScoreArray, labels: LabelArray, numClasses: number): PerClass {
  const shape = checkInputs(scores, labels, numClasses, 'averagePrecisionScore');
  const values: number[] = [];
  for (let c = 0; c < numClasses; c++) {
    values.push(averagePrecisionFromCounts(binaryCounts(scoreColumn(scores, shape, c), labelColumn(labels, shape, c))));
  }
  return perClassResult(values);
}

/** The ROC curve of every class (one-vs-rest for class indices). */
export function rocCurves(
  scores: ScoreArray,
  labels: LabelArray,
  numClasses: number,
  options: RocCurveOptions = {},
): RocCurve[] {
  const shape = checkInputs(scores, labels, numClasses, 'rocCurves');
  const curves: RocCurve[] = [];
  for (let c = 0; c < numClasses; c++) {
    curves.push(rocCurve(scoreColumn(scores, shape, c), labelColumn(labels, shape, c), options));
  }
  return curves;
}
