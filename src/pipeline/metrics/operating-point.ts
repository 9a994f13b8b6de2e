/**
 * Per-class operating points: a threshold chosen on validation data (Youden's J, or the highest
 * threshold that reaches a target sensitivity), then applied unchanged to test data, where
 * sensitivity, specificity, PPV and NPV are measured. This is how clinical classifiers are reported:
 * raw probabilities are rarely usable with a fixed 0.5 cut.
 */
import { binaryCounts } from './binary-counts.js';
import { checkInputs, type LabelArray, labelColumn, type ScoreArray, scoreColumn } from './inputs.js';

/** How to pick a class's threshold on validation data. */
export type OperatingPointRule =
  /** maximise sensitivity + specificity - 1 (the first, i.e. highest, threshold on ties) */
  | { rule: 'youden' }
  /** the highest threshold whose sensitivity is >= target (so the best specificity that reaches it) */
  | { rule: 'sensitivity'; target: number };

/** A chosen threshold per class; NaN where the validation rows have only one label value. */
export interface OperatingPoints {
  rule: OperatingPointRule;
  thresholds: number[];
  undefinedClasses: number[];
}

/** Counts and rates of one class at one threshold (rows with score >= threshold are called positive). */
export interface OperatingPointStats {
  threshold: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  /** tp / (tp + fn), NaN without positives */
  sensitivity: number;
  /** tn / (tn + fp), NaN without negatives */
  specificity: number;
  /** tp / (tp + fp), NaN when nothing is called positive */
  ppv: number;
  /** tn / (tn + fn), NaN when nothing is called negative */
  npv: number;
}

function checkRule(rule: OperatingPointRule): void {
  if (rule.rule === 'youden') return;
  if (rule.rule !== 'sensitivity') throw new Error(`chooseOperatingPoints: unknown rule ${JSON.stringify(rule)}`);
  if (!(rule.target > 0 && rule.target <= 1)) {
    throw new Error(`chooseOperatingPoints: target sensitivity must be in (0, 1], got ${rule.target}`);
  }
}

/**
 * Chooses one threshold per class on validation scores.
 *
 * @example
 * ```ts
 * const points = chooseOperatingPoints(valScores, valLabels, 14, { rule: 'youden' });
 * const stats = evaluateOperatingPoints(testScores, testLabels, 14, points.thresholds);
 * stats[3].sensitivity; stats[3].ppv;
 * ```
 */
export function chooseOperatingPoints(
  scores: ScoreArray,
  labels: LabelArray,
  numClasses: number,
  rule: OperatingPointRule,
): OperatingPoints {
  const shape = checkInputs(scores, labels, numClasses, 'chooseOperatingPoints');
  checkRule(rule);
  const thresholds: number[] = [];
  const undefinedClasses: number[] = [];
  for (let c = 0; c < numClasses; c++) {
    const counts = binaryCounts(scoreColumn(scores, shape, c), labelColumn(labels, shape, c));
    const { positives: p, negatives: n } = counts;
    if (p === 0 || n === 0) {
      thresholds.push(Number.NaN);
      undefinedClasses.push(c);
      continue;
    }
    // walk the ROC points from the highest threshold; the origin (+Infinity) has J = 0, sensitivity 0
    let best = Number.POSITIVE_INFINITY;
    let bestJ = 0;
    for (let i = 0; i < counts.tps.length; i++) {
      const tpr = (counts.tps[i] as number) / p;
      if (rule.rule === 'sensitivity') {
        if (tpr >= rule.target) {
          best = counts.thresholds[i] as number;
          break;
        }
      } else {
        const j = tpr - (counts.fps[i] as number) / n;
        if (j > bestJ) {
          bestJ = j;
          best = counts.thresholds[i] as number;
        }
      }
    }
    thresholds.push(best);
  }
  return { rule, thresholds, undefinedClasses };
}

/**
 * Sensitivity, specificity, PPV and NPV of each class at the given thresholds (e.g. chosen on
 * validation by {@link chooseOperatingPoints}). A NaN threshold gives NaN rates.
 */
export function evaluateOperatingPoints(
  scores: ScoreArray,
  labels: LabelArray,
  numClasses: number,
  thresholds: readonly number[],
): OperatingPointStats[] {
  const shape = checkInputs(scores, labels, numClasses, 'evaluateOperatingPoints');
  if (thresholds.length !== numClasses) {
    throw new Error(`evaluateOperatingPoints: ${thresholds.length} thresholds for ${numClasses} classes`);
  }
  return thresholds.map((threshold, c) => {
    const s = scoreColumn(scores, shape, c);
    const y = labelColumn(labels, shape, c);
    let tp = 0;
    let fp = 0;
    let tn = 0;
    let fn = 0;
    for (let i = 0; i < shape.n; i++) {
      const predicted = (s[i] as number) >= threshold;
      if (y[i] === 1) predicted ? tp++ : fn++;
      else predicted ? fp++ : tn++;
    }
    const ratio = (a: number, b: number) => (b === 0 || Number.isNaN(threshold) ? Number.NaN : a / b);
    return {
      threshold,
      tp,
      fp,
      tn,
      fn,
      sensitivity: ratio(tp, tp + fn),
      specificity: ratio(tn, tn + fp),
      ppv: ratio(tp, tp + fp),
      npv: ratio(tn, tn + fn),
    };
  });
}
