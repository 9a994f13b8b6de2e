/**
 * What a report is made from: one training run's history, its validations, its final evaluation and
 * its configuration. Plain JSON, so a run can be saved and reported later.
 */
import type { ClassifierEvaluation } from '../metrics/index.js';

/** One training iteration. */
export interface TrainPoint {
  iteration: number;
  epoch?: number;
  loss: number;
  learningRate?: number;
  /** records (images) per second */
  throughput?: number;
}

/** One validation: the merged compute() of its metrics, e.g. { auc: 0.8, 'auc/Atelectasis': 0.77, loss: 0.2 }. */
export interface ValidationPoint {
  epoch: number;
  iteration?: number;
  values: Record<string, number>;
}

/**
 * A training run, as {@link writeReport} draws it.
 *
 * @example
 * ```ts
 * const run: RunRecord = {
 *   title: 'Fashion-MNIST small CNN',
 *   config: { batchSize: 64, maxEpoch: 5, optimizer: { name: 'Adam', lr: 1e-3 } },
 *   train: [{ iteration: 1, epoch: 1, loss: 2.3, learningRate: 1e-3, throughput: 900 }],
 *   validation: [{ epoch: 1, values: { top1Accuracy: 0.86, loss: 0.39 } }],
 *   evaluation: evaluateClassifier(testProbs, testLabels, 10, { classNames }),
 * };
 * ```
 */
export interface RunRecord {
  title: string;
  /** ISO 8601 times */
  startedAt?: string;
  finishedAt?: string;
  durationSeconds?: number;
  /** the run's settings (nested objects allowed), shown as a table */
  config: Record<string, unknown>;
  train: TrainPoint[];
  validation: ValidationPoint[];
  /** the final evaluation (e.g. on the test split) */
  evaluation?: ClassifierEvaluation & { split?: string };
  /** free text lines shown under the title */
  notes?: string[];
}
