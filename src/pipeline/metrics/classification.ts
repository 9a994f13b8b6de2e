/**
 * Metrics of hard decisions: accuracy, top-k accuracy, precision/recall/F1 and the confusion matrix.
 * A row's decision is its argmax for class indices, and `score >= threshold` per class for 0/1
 * indicators (multi-label, or binary with one class).
 */
import { argmaxRow, checkInputs, type InputShape, type LabelArray, type ScoreArray } from './inputs.js';

export interface ThresholdOptions {
  /** indicator labels: a class is predicted when its score is >= threshold (default 0.5) */
  threshold?: number;
}

function thresholdOf(options: ThresholdOptions, where: string): number {
  const t = options.threshold ?? 0.5;
  if (typeof t !== 'number' || Number.isNaN(t)) throw new Error(`${where}: threshold must be a number, got ${t}`);
  return t;
}

/** Calls `visit(c, predicted, actual)` for every row and class, as one-vs-rest decisions. */
function forEachDecision(
  scores: ScoreArray,
  labels: LabelArray,
  shape: InputShape,
  threshold: number,
  visit: (c: number, predicted: boolean, actual: boolean) => void,
): void {
  const { n, numClasses } = shape;
  for (let i = 0; i < n; i++) {
    if (shape.layout === 'index') {
      const p = argmaxRow(scores, numClasses, i);
      const y = labels[i] as number;
      for (let c = 0; c < numClasses; c++) visit(c, p === c, y === c);
    } else {
      for (let c = 0; c < numClasses; c++) {
        const k = i * numClasses + c;
        visit(c, (scores[k] as number) >= threshold, labels[k] === 1);
      }
    }
  }
}

/**
 * Fraction of rows decided correctly: argmax == label for class indices; for indicators, every class
 * of the row right (scikit-learn's subset accuracy; plain binary accuracy with one class).
 *
 * @example
 * ```ts
 * accuracyScore(new Float32Array([0.9, 0.1, 0.3, 0.7]), [0, 0], 2); // 0.5
 * ```
 */
export function accuracyScore(
  scores: ScoreArray,
  labels: LabelArray,
  numClasses: number,
  options: ThresholdOptions = {},
): number {
  const shape = checkInputs(scores, labels, numClasses, 'accuracyScore');
  const threshold = thresholdOf(options, 'accuracyScore');
  let correct = 0;
  for (let i = 0; i < shape.n; i++) {
    if (shape.layout === 'index') {
      if (argmaxRow(scores, numClasses, i) === labels[i]) correct++;
      continue;
    }
    let ok = true;
    for (let c = 0; c < numClasses && ok; c++) {
      const k = i * numClasses + c;
      ok = (scores[k] as number) >= threshold === (labels[k] === 1);
    }
    if (ok) correct++;
  }
  return shape.n === 0 ? Number.NaN : correct / shape.n;
}

/**
 * Fraction of rows whose label is among the `k` highest scores (class indices only). Ties rank as in
 * scikit-learn's `top_k_accuracy_score`: among equal scores the higher class index ranks first.
 *
 * @example
 * ```ts
 * topKAccuracyScore(new Float32Array([0.5, 0.3, 0.2]), [1], 3, 2); // 1
 * ```
 */
export function topKAccuracyScore(scores: ScoreArray, labels: LabelArray, numClasses: number, k: number): number {
  const shape = checkInputs(scores, labels, numClasses, 'topKAccuracyScore');
  if (shape.layout !== 'index') throw new Error('topKAccuracyScore: needs one class index per row');
  if (!Number.isInteger(k) || k < 1) throw new Error(`topKAccuracyScore: k must be a positive integer, got ${k}`);
  let hits = 0;
  for (let i = 0; i < shape.n; i++) {
    const y = labels[i] as number;
    const sy = scores[i * numClasses + y] as number;
    let above = 0;
    for (let c = 0; c < numClasses; c++) {
      const s = scores[i * numClasses + c] as number;
      if (s > sy || (s === sy && c > y)) above++;
    }
    if (above < k) hits++;
  }
  return shape.n === 0 ? Number.NaN : hits / shape.n;
}

/** Precision, recall and F1 of one class or one average. */
export interface PrecisionRecallF1 {
  precision: number;
  recall: number;
  f1: number;
}

/** {@link precisionRecallF1Score}'s result. */
export interface PrecisionRecallF1Report {
  perClass: (PrecisionRecallF1 & { support: number; tp: number; fp: number; fn: number })[];
  /** from the counts summed over classes */
  micro: PrecisionRecallF1;
  /** unweighted mean of the per-class values (classes without support included, as scikit-learn does) */
  macro: PrecisionRecallF1;
}

export interface PrecisionRecallF1Options extends ThresholdOptions {
  /** value of a ratio whose denominator is 0 (scikit-learn's zero_division; default 0) */
  zeroDivision?: number;
}

/** Precision, recall and F1 from counts; `zeroDivision` stands for a ratio with a zero denominator. */
export function precisionRecallF1FromCounts(tp: number, fp: number, fn: number, zeroDivision = 0): PrecisionRecallF1 {
  const precision = tp + fp === 0 ? zeroDivision : tp / (tp + fp);
  const recall = tp + fn === 0 ? zeroDivision : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1 };
}

/**
 * Precision, recall and F1 per class, micro- and macro-averaged, as scikit-learn's
 * `precision_recall_fscore_support` with `zero_division=0`. Decisions: argmax for class indices,
 * `score >= threshold` for indicators.
 *
 * @example
 * ```ts
 * const r = precisionRecallF1Score(new Float32Array([0.9, 0.6, 0.2, 0.7]), [1, 0, 0, 1], 2, { threshold: 0.5 });
 * r.perClass[1]; // { precision: 0.5, recall: 1, f1: 0.666..., support: 1, tp: 1, fp: 1, fn: 0 }
 * ```
 */
export function precisionRecallF1Score(
  scores: ScoreArray,
  labels: LabelArray,
  numClasses: number,
  options: PrecisionRecallF1Options = {},
): PrecisionRecallF1Report {
  const shape = checkInputs(scores, labels, numClasses, 'precisionRecallF1Score');
  const threshold = thresholdOf(options, 'precisionRecallF1Score');
  const zeroDivision = options.zeroDivision ?? 0;
  const tp = new Float64Array(numClasses);
  const fp = new Float64Array(numClasses);
  const fn = new Float64Array(numClasses);
  forEachDecision(scores, labels, shape, threshold, (c, predicted, actual) => {
    if (predicted && actual) tp[c]++;
    else if (predicted) fp[c]++;
    else if (actual) fn[c]++;
  });
  const perClass = Array.from({ length: numClasses }, (_, c) => {
    const t = tp[c] as number;
    const p = fp[c] as number;
    const f = fn[c] as number;
    return { ...precisionRecallF1FromCounts(t, p, f, zeroDivision), support: t + f, tp: t, fp: p, fn: f };
  });
  const sum = (a: Float64Array) => a.reduce((s, v) => s + v, 0);
  const mean = (key: keyof PrecisionRecallF1) => perClass.reduce((s, r) => s + r[key], 0) / numClasses;
  return {
    perClass,
    micro: precisionRecallF1FromCounts(sum(tp), sum(fp), sum(fn), zeroDivision),
    macro: { precision: mean('precision'), recall: mean('recall'), f1: mean('f1') },
  };
}

/**
 * Confusion matrix, rows = true class, columns = predicted class (scikit-learn's layout). Class
 * indices: `numClasses x numClasses` with argmax predictions. One binary class (indicators, numClasses
 * 1): `[[tn, fp], [fn, tp]]` at the threshold. Multi-label indicators have no single matrix: use
 * {@link precisionRecallF1Score} or operating points instead.
 *
 * @example
 * ```ts
 * confusionMatrix(new Float32Array([0.9, 0.1, 0.3, 0.7, 0.6, 0.4]), [0, 0, 1], 2); // [[1, 1], [1, 0]]
 * ```
 */
export function confusionMatrix(
  scores: ScoreArray,
  labels: LabelArray,
  numClasses: number,
  options: ThresholdOptions = {},
): number[][] {
  const shape = checkInputs(scores, labels, numClasses, 'confusionMatrix');
  const threshold = thresholdOf(options, 'confusionMatrix');
  if (shape.layout === 'indicator' && numClasses > 1) {
    throw new Error('confusionMatrix: multi-label indicators have no single confusion matrix; pass class indices');
  }
  const size = Math.max(numClasses, 2);
  const m = Array.from({ length: size }, () => new Array<number>(size).fill(0));
  for (let i = 0; i < shape.n; i++) {
    const actual = labels[i] as number;
    const predicted =
      shape.layout === 'index' ? argmaxRow(scores, numClasses, i) : (scores[i] as number) >= threshold ? 1 : 0;
    (m[actual] as number[])[predicted]++;
  }
  return m;
}
