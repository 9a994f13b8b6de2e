/**
 * Classification metrics on plain arrays: exact ROC-AUC and curves, average precision, accuracy,
 * top-k, precision/recall/F1, confusion matrix, operating points, bootstrap confidence intervals, and
 * accumulating metric objects for validation during training.
 */
export {
  aucFromCounts,
  averagePrecisionFromCounts,
  type BinaryCounts,
  binaryCounts,
  descendingOrder,
  type SortedClass,
  sortClass,
  weightedAucAndAveragePrecision,
} from './binary-counts.js';
export {
  averagePrecisionConfidenceIntervals,
  type BootstrapOptions,
  bootstrapConfidenceIntervals,
  type ConfidenceInterval,
  type PerClassIntervals,
  percentileOfSorted,
  rocAucConfidenceIntervals,
} from './bootstrap.js';
export {
  applyTemperature,
  type Calibration,
  calibration,
  fitTemperature,
  type ReliabilityBin,
} from './calibration.js';
export {
  accuracyScore,
  confusionMatrix,
  type PrecisionRecallF1,
  type PrecisionRecallF1Options,
  type PrecisionRecallF1Report,
  precisionRecallF1FromCounts,
  precisionRecallF1Score,
  type ThresholdOptions,
  topKAccuracyScore,
} from './classification.js';
export {
  type ClassEvaluation,
  type ClassifierEvaluation,
  type EvaluateClassifierOptions,
  evaluateClassifier,
} from './evaluate.js';
export {
  type BatchLabelArray,
  checkInputs,
  type InputShape,
  type LabelArray,
  numberLabels,
  type ScoreArray,
} from './inputs.js';
export {
  accuracy,
  auc,
  auprc,
  f1,
  loss,
  type Metric,
  type MetricBatch,
  type MetricValues,
  type PerClassMetricOptions,
  top1,
  top5,
  topK,
} from './metric.js';
export {
  chooseOperatingPoints,
  evaluateOperatingPoints,
  type OperatingPointRule,
  type OperatingPointStats,
  type OperatingPoints,
} from './operating-point.js';
export type { PerClass } from './per-class.js';
export {
  evaluateRegression,
  mae,
  meanAbsoluteError,
  meanSquaredError,
  mse,
  type RegressionMetrics,
  r2,
  r2Score,
  regressionMetrics,
  rmse,
} from './regression.js';
export {
  averagePrecisionScore,
  binaryAveragePrecision,
  binaryRocAuc,
  type PrecisionRecallCurve,
  precisionRecallCurve,
  type RocCurve,
  type RocCurveOptions,
  rocAucScore,
  rocCurve,
  rocCurves,
} from './roc.js';
