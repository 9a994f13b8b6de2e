/**
 * A classifier's final evaluation in one call: per-class AUC with bootstrap intervals, average
 * precision, ROC curves, operating points chosen on validation and measured on test, accuracy and
 * (multi-class) the confusion matrix. The result is plain JSON, the `evaluation` of a report's RunRecord.
 */
import { aucFromCounts, averagePrecisionFromCounts, binaryCounts } from './binary-counts.js';
import { type BootstrapOptions, type ConfidenceInterval, rocAucConfidenceIntervals } from './bootstrap.js';
import { accuracyScore, confusionMatrix } from './classification.js';
import { checkInputs, type LabelArray, labelColumn, type ScoreArray, scoreColumn } from './inputs.js';
import {
  chooseOperatingPoints,
  evaluateOperatingPoints,
  type OperatingPointRule,
  type OperatingPointStats,
} from './operating-point.js';
import { precisionRecallCurve, rocCurve } from './roc.js';

/** One class's results. NaN (null in JSON) marks an undefined value. */
export interface ClassEvaluation {
  name: string;
  /** rows of this class among the evaluated rows */
  positives: number;
  auc: number;
  aucInterval?: ConfidenceInterval;
  averagePrecision: number;
  /** at the threshold chosen on validation data (present when validation data was given) */
  operatingPoint?: OperatingPointStats;
  /** ROC points for drawing (thinned to about `maxRocPoints`; empty when the AUC is undefined) */
  roc: { fpr: number[]; tpr: number[] };
  /**
   * Precision-recall points for drawing, as steps (the area under them is `averagePrecision`), from recall
   * 1 down to 0, thinned like `roc`; empty when the AUC is undefined
   */
  pr: { recall: number[]; precision: number[] };
}

export interface ClassifierEvaluation {
  task: 'binary' | 'multilabel' | 'multiclass';
  rows: number;
  classes: ClassEvaluation[];
  /** mean AUC over the classes where it is defined */
  meanAuc: number;
  meanAucInterval?: ConfidenceInterval;
  meanAveragePrecision: number;
  /** names of the classes whose AUC is undefined (one label value only) */
  undefinedClasses: string[];
  /** argmax accuracy (multi-class) or subset accuracy at `threshold` */
  accuracy: number;
  threshold: number;
  /** rows = true class, columns = predicted (multi-class and binary) */
  confusionMatrix?: number[][];
  operatingPointRule?: OperatingPointRule;
  bootstrap?: { iterations: number; confidence: number; seed: number; resampled: 'groups' | 'rows'; units: number };
}

export interface EvaluateClassifierOptions {
  /** class names (default '0', '1', ...) */
  classNames?: readonly string[];
  /** one group id (e.g. patient) per evaluated row: the bootstrap resamples groups */
  groups?: ArrayLike<string | number>;
  /** validation scores and labels, on which the operating points are chosen */
  validation?: { scores: ScoreArray; labels: LabelArray };
  /** how operating points are chosen (default Youden's J) */
  operatingPoint?: OperatingPointRule;
  /** bootstrap settings (default 1000 resamples, 95%, seed 0), or false for no intervals */
  bootstrap?: Omit<BootstrapOptions, 'groups'> | false;
  /** decision threshold of the accuracy for indicator labels (default 0.5) */
  threshold?: number;
  /** ROC (and precision-recall) points kept per class for drawing (default 200) */
  maxRocPoints?: number;
}

/** Keeps the ends and every point at least 1/maxPoints away (in fpr + tpr) from the last one kept. */
function thinCurve(fpr: Float64Array, tpr: Float64Array, maxPoints: number): { fpr: number[]; tpr: number[] } {
  const out = { fpr: [] as number[], tpr: [] as number[] };
  const step = 2 / maxPoints;
  for (let i = 0; i < fpr.length; i++) {
    const x = fpr[i] as number;
    const y = tpr[i] as number;
    const last = out.fpr.length - 1;
    const far = last < 0 || Math.abs(x - (out.fpr[last] as number)) + Math.abs(y - (out.tpr[last] as number)) >= step;
    if (far || i === fpr.length - 1) {
      out.fpr.push(x);
      out.tpr.push(y);
    }
  }
  return out;
}

/**
 * The precision-recall curve as a step path (scikit-learn's steps-post drawing): precision holds until
 * recall reaches the next point, so the area under the path is the average precision.
 */
function precisionRecallSteps(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  maxPoints: number,
): { recall: number[]; precision: number[] } {
  const { precision, recall } = precisionRecallCurve(scores, labels);
  const n = recall.length;
  const x = new Float64Array(2 * n - 1);
  const y = new Float64Array(2 * n - 1);
  for (let i = 0; i < n; i++) {
    x[2 * i] = recall[i] as number;
    y[2 * i] = precision[i] as number;
    if (i + 1 < n) {
      x[2 * i + 1] = recall[i + 1] as number;
      y[2 * i + 1] = precision[i] as number;
    }
  }
  const thin = thinCurve(x, y, maxPoints);
  return { recall: thin.fpr, precision: thin.tpr };
}

/**
 * Evaluates test scores; operating points are chosen on `options.validation` when given.
 *
 * @example
 * ```ts
 * const evaluation = evaluateClassifier(testProbs, testLabels, 14, {
 *   classNames: CXR14_LABELS, groups: testPatientIds, validation: { scores: valProbs, labels: valLabels },
 * });
 * evaluation.classes[0]; // { name: 'Atelectasis', auc: 0.81, aucInterval: { lower: 0.79, ... }, operatingPoint: { sensitivity, ... } }
 * ```
 */
export function evaluateClassifier(
  scores: ScoreArray,
  labels: LabelArray,
  numClasses: number,
  options: EvaluateClassifierOptions = {},
): ClassifierEvaluation {
  const shape = checkInputs(scores, labels, numClasses, 'evaluateClassifier');
  const names = Array.from({ length: numClasses }, (_, c) => options.classNames?.[c] ?? String(c));
  if (options.classNames && options.classNames.length !== numClasses) {
    throw new Error(`evaluateClassifier: ${options.classNames.length} class names for ${numClasses} classes`);
  }
  const threshold = options.threshold ?? 0.5;
  const maxRocPoints = options.maxRocPoints ?? 200;
  const rule = options.operatingPoint ?? { rule: 'youden' };
  let operating: OperatingPointStats[] | undefined;
  if (options.validation) {
    const { scores: vs, labels: vl } = options.validation;
    const chosen = chooseOperatingPoints(vs, vl, numClasses, rule);
    operating = evaluateOperatingPoints(scores, labels, numClasses, chosen.thresholds);
  }
  const bootstrapOptions = options.bootstrap === false ? null : { iterations: 1000, seed: 0, ...options.bootstrap };
  const intervals = bootstrapOptions
    ? rocAucConfidenceIntervals(scores, labels, numClasses, { ...bootstrapOptions, groups: options.groups })
    : null;

  const classes: ClassEvaluation[] = names.map((name, c) => {
    const s = scoreColumn(scores, shape, c);
    const y = labelColumn(labels, shape, c);
    const counts = binaryCounts(s, y);
    const auc = aucFromCounts(counts);
    const curve = Number.isNaN(auc) ? null : rocCurve(s, y);
    const result: ClassEvaluation = {
      name,
      positives: counts.positives,
      auc,
      averagePrecision: averagePrecisionFromCounts(counts),
      roc: curve ? thinCurve(curve.fpr, curve.tpr, maxRocPoints) : { fpr: [], tpr: [] },
      pr: curve ? precisionRecallSteps(s, y, maxRocPoints) : { recall: [], precision: [] },
    };
    if (intervals) result.aucInterval = intervals.perClass[c] as ConfidenceInterval;
    if (operating) result.operatingPoint = operating[c] as OperatingPointStats;
    return result;
  });
  const mean = (values: number[]) => {
    const defined = values.filter((v) => !Number.isNaN(v));
    return defined.length > 0 ? defined.reduce((a, v) => a + v, 0) / defined.length : Number.NaN;
  };
  const evaluation: ClassifierEvaluation = {
    task: shape.layout === 'index' ? 'multiclass' : numClasses === 1 ? 'binary' : 'multilabel',
    rows: shape.n,
    classes,
    meanAuc: mean(classes.map((c) => c.auc)),
    meanAveragePrecision: mean(classes.map((c) => c.averagePrecision)),
    undefinedClasses: classes.filter((c) => Number.isNaN(c.auc)).map((c) => c.name),
    accuracy: accuracyScore(scores, labels, numClasses, { threshold }),
    threshold,
  };
  if (intervals) evaluation.meanAucInterval = intervals.mean;
  if (evaluation.task !== 'multilabel')
    evaluation.confusionMatrix = confusionMatrix(scores, labels, numClasses, { threshold });
  if (operating) evaluation.operatingPointRule = rule;
  if (bootstrapOptions) {
    const units = options.groups ? new Set(Array.from(options.groups)).size : shape.n;
    evaluation.bootstrap = {
      iterations: bootstrapOptions.iterations,
      confidence: bootstrapOptions.confidence ?? 0.95,
      seed: bootstrapOptions.seed,
      resampled: options.groups ? 'groups' : 'rows',
      units,
    };
  }
  return evaluation;
}
