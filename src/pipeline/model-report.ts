/** Evaluating a fitted Model on a labelled frame and writing its run report. */
import type { DataFrame, Row } from '../data/dataframe/index.js';
import type { TrainingHistory } from './history.js';
import { type ClassifierEvaluation, type EvaluateClassifierOptions, evaluateClassifier } from './metrics/index.js';
import type { RunRecord } from './report/index.js';
import { writeReport } from './report/index.js';

/** Options of {@link evaluateModel}. */
export interface EvaluateOptions {
  /** label column(s), as given to the Estimator (default 'label') */
  labelCol?: string | string[];
  /** a patient (or other group) column: bootstrap intervals resample groups */
  groupCol?: string;
  /** a labelled validation frame on which per-class operating points are chosen (default: the frame itself) */
  validation?: DataFrame;
  operatingPoint?: EvaluateClassifierOptions['operatingPoint'];
  bootstrap?: EvaluateClassifierOptions['bootstrap'];
  /** name of the evaluated split in the report, e.g. 'test' */
  split?: string;
}

/** What evaluating and reporting read of a fitted model (Model has it; no import of model.ts, no circle). */
export interface EvaluatedModel {
  readonly settings: {
    task: string;
    classNames?: string[] | undefined;
    transform?: { name: string } | undefined;
    history?: TrainingHistory | undefined;
    precision?: string | undefined;
  };
  readonly history: TrainingHistory | undefined;
  predictRows(frame: DataFrame): Promise<{ rows: Row[]; predictions: (Float32Array | null)[] }>;
}

async function scoresAndLabels(model: EvaluatedModel, frame: DataFrame, labelCol: string | string[]) {
  const { rows, predictions } = await model.predictRows(frame);
  const keptRows = rows.filter((_, i) => predictions[i] !== null);
  const kept = predictions.filter((p): p is Float32Array => p !== null);
  const k = kept[0]?.length ?? 0;
  const scores = new Float64Array(kept.length * k);
  const multiClass = model.settings.task === 'multi-class';
  const labels = new Float64Array(multiClass ? kept.length : kept.length * k);
  keptRows.forEach((r, i) => {
    scores.set(kept[i] as Float32Array, i * k);
    if (multiClass) labels[i] = Number(r[labelCol as string]);
    else if (typeof labelCol === 'string') labels.set(r[labelCol] as number[], i * k);
    else
      labelCol.forEach((c, j) => {
        labels[i * k + j] = Number(r[c]);
      });
  });
  return { rows: keptRows, scores, labels, classes: k };
}

/**
 * Per-class AUC with bootstrap intervals, average precision, operating points and ROC curves, accuracy
 * and (multi-class) the confusion matrix, from the model's predictions on `frame`.
 */
export async function evaluateModel(
  model: EvaluatedModel,
  frame: DataFrame,
  options: EvaluateOptions = {},
): Promise<ClassifierEvaluation & { split?: string }> {
  if (model.settings.task === 'regression')
    throw new Error(
      'Model.evaluate: a regression model has no classifier evaluation; use fitted.evaluateRegression(frame, { labelCol }) (MSE, RMSE, MAE, R²)',
    );
  const labelCol = options.labelCol ?? 'label';
  const test = await scoresAndLabels(model, frame, labelCol);
  if (test.rows.length === 0) throw new Error('Model.evaluate: no row of the frame could be predicted');
  const val = options.validation ? await scoresAndLabels(model, options.validation, labelCol) : null;
  const evaluation = evaluateClassifier(test.scores, test.labels, test.classes, {
    ...(model.settings.classNames ? { classNames: model.settings.classNames } : {}),
    ...(options.groupCol ? { groups: test.rows.map((r) => r[options.groupCol as string] as string | number) } : {}),
    ...(val ? { validation: { scores: val.scores, labels: val.labels } } : {}),
    ...(options.operatingPoint ? { operatingPoint: options.operatingPoint } : {}),
    ...(options.bootstrap !== undefined ? { bootstrap: options.bootstrap } : {}),
  });
  return { ...evaluation, ...(options.split ? { split: options.split } : {}) };
}

/** The report input for a fitted model: its history, settings and an optional evaluation. */
export function runRecordOf(
  model: EvaluatedModel,
  extra: {
    title: string;
    evaluation?: ClassifierEvaluation & { split?: string };
    config?: Record<string, unknown>;
    notes?: string[];
  },
): RunRecord {
  const h = model.history;
  const { transform, history: _h, ...settings } = model.settings;
  return {
    title: extra.title,
    config: {
      ...settings,
      transform: transform?.name ?? null,
      ...(h?.precision ? { precision: h.precision.reason } : {}),
      ...extra.config,
    },
    train: (h?.iterations ?? []).map((p) => ({ ...p })),
    validation: (h?.validations ?? []).map((v) => ({ epoch: v.epoch, iteration: v.iteration, values: v.metrics })),
    ...(h ? { durationSeconds: h.epochs.reduce((s, e) => s + e.seconds, 0) } : {}),
    ...(extra.evaluation ? { evaluation: extra.evaluation } : {}),
    notes: [...(h?.stopReason ? [`stopped: ${h.stopReason}`] : []), ...(extra.notes ?? [])],
  };
}

/** Writes the model's self-contained HTML report; returns its path. */
export function writeModelReport(
  model: EvaluatedModel,
  path: string,
  extra: Parameters<typeof runRecordOf>[1],
): string {
  return writeReport(path, runRecordOf(model, extra));
}
