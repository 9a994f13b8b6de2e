/**
 * Training pipelines on DataFrames: Estimator (fit) and Model (transform, predict, save/load), triggers,
 * training events and progress, checkpoints, metrics, and running a recipe in a worker thread.
 *
 * @example
 * ```ts
 * import { pipeline } from 'tszoo';
 * const est = new pipeline.Estimator(model, { task: 'multi-label', transform, labelCol: 'labels' })
 *   .setBatchSize(32)
 *   .setMaxEpoch(15)
 *   .setValidation(pipeline.everyEpoch(), val, [pipeline.metrics.auc()]);
 * const fitted = await est.fit(train);
 * ```
 */
export {
  type Checkpointable,
  type CheckpointContent,
  type CheckpointInfo,
  latestCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
} from './checkpoint.js';
export { Estimator } from './estimator.js';
export type * from './events.js';
export type { IterationRecord, TrainingHistory } from './history.js';
export * as metrics from './metrics/index.js';
export { Model, type ModelSettings } from './model.js';
export {
  type CheckpointOptions,
  type ClippingOptions,
  type EarlyStoppingOptions,
  type EstimatorOptions,
  type ResolvedOptions,
  resolveOptions,
  type ValidationOptions,
} from './options.js';
export { Pipeline, PipelineModel, type PipelineStage } from './pipeline.js';
export {
  bf16PaysFor,
  checkPrecision,
  choosePrecision,
  float32Output,
  hasAmxBf16,
  inMemoryFormat,
  type MemoryFormat,
  type Precision,
  type PrecisionChoice,
  type PrecisionWorkload,
  withPrecision,
} from './precision.js';
export { progressListener } from './progress-listener.js';
export * as report from './report/index.js';
export * as summary from './summary/index.js';
export { type SummaryTargets, summaryListener } from './summary-listener.js';
export { checkOutput, defaultLoss, labelKindOf, scoresOf, type Task } from './task.js';
export { CheckpointPolicy, type Stateful } from './training/checkpointing.js';
export { EarlyStopping, type EarlyStoppingState } from './training/early-stopping.js';
export { runTraining, type TrainingRunParts } from './training/run.js';
export { type GradientHook, type StepResult, Trainer, type TrainerOptions } from './training/trainer.js';
export { type ValidationPass, validate } from './training/validation.js';
export * from './triggers.js';
export { type Recipe, type RecipeContext, type RunInWorkerOptions, runInWorker } from './worker-run.js';
