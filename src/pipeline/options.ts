/** Everything an Estimator can be told, and the defaults a run fills in. */
import type { DataFrame } from '../data/dataframe/index.js';
import type { DecodeImageOptions } from '../data/image/decode.js';
import type { Transform } from '../data/image/transform.js';
import type { Image } from '../data/image/types.js';
import type { Loss } from '../nn/index.js';
import { adam, type OptimizerFactory } from '../optim/index.js';
import type { Tensor } from '../tensor/index.js';
import { checkChoice, checkOptions } from '../util/options.js';
import type { Metric } from './metrics/index.js';
import { checkPrecision, type MemoryFormat, type Precision } from './precision.js';
import type { TrainSummary, ValidationSummary } from './summary/index.js';
import { defaultLoss, type Task } from './task.js';
import { maxEpoch, type Trigger } from './triggers.js';

/** Validation during training (BigDL's setValidation). */
export interface ValidationOptions {
  trigger: Trigger;
  frame: DataFrame;
  /** e.g. [auc()]; the validation loss is always reported as 'loss' */
  metrics?: Metric[];
  batchSize?: number;
  /** the validation rows' transform, e.g. without random augmentation (default: the training transform) */
  transform?: Transform<Image, Tensor>;
}

/** Stop when a validation metric stops improving. */
export interface EarlyStoppingOptions {
  /** a validation metric name, e.g. 'auc' or 'loss' */
  monitor: string;
  /** default: from the monitored metric's higherIsBetter; 'min' for the validation 'loss' */
  mode?: 'max' | 'min';
  /** validations without improvement before stopping */
  patience: number;
  /** smallest change that counts as an improvement (default 0) */
  minDelta?: number;
  /** put back the best weights when training ends (default true) */
  restoreBest?: boolean;
}

/** Checkpoints during training (BigDL's setCheckpoint); `fit` resumes from the newest one when `resume` is set. */
export interface CheckpointOptions {
  dir: string;
  /** when to write one (default: every epoch) */
  trigger?: Trigger;
  /** checkpoints kept (default 3) */
  keep?: number;
}

/** Gradient clipping: by global L2 norm, or each value into [-value, value]. */
export type ClippingOptions = { maxNorm: number } | { value: number };

/** Everything an Estimator can be told. */
export interface EstimatorOptions {
  task?: Task;
  /** default: BCEWithLogits for multi-label, CrossEntropy for multi-class; required for regression */
  loss?: Loss;
  /** decoded image to model input, e.g. chain(Resize(256), CenterCrop(224), ToTensor()) */
  transform?: Transform<Image, Tensor>;
  /** shape of one sample when features are numeric arrays, e.g. [1, 28, 28] */
  featureShape?: number[];
  /**
   * feature column: image paths (readImages' 'origin'), Spark image-schema 'data', or numeric arrays (default
   * 'origin'); or several numeric (or vector) columns, assembled in order into one vector as VectorAssembler does
   */
  featuresCol?: string | string[];
  /** label column(s) (default 'label') */
  labelCol?: string | string[];
  /** output column of Model.transform (default 'prediction') */
  predictionCol?: string;
  /** class names, in output order (for reports and predicted labels) */
  classNames?: string[];
  decode?: DecodeImageOptions;
  batchSize?: number;
  /** shorthand for endWhen: maxEpoch(n) (default 10) */
  maxEpoch?: number;
  /** end trigger, e.g. or(maxEpoch(30), minLoss(0.01)); not together with maxEpoch */
  endWhen?: Trigger;
  /** default adam({ lr: 1e-3 }) */
  optimizer?: OptimizerFactory;
  validation?: ValidationOptions;
  earlyStopping?: EarlyStoppingOptions;
  clipping?: ClippingOptions;
  /** keep decoded images in memory after the first epoch (default false) */
  cacheSamples?: boolean;
  checkpoint?: CheckpointOptions;
  /** continue from the newest checkpoint in checkpoint.dir if there is one (default false) */
  resume?: boolean;
  /** seeds shuffling, augmentation and torch's RNG (default 0) */
  seed?: number;
  /** 'auto' (default): a bar when stdout is a terminal; true: also log lines when it is not; false: silent */
  progress?: boolean | 'auto';
  /** shuffle training rows every epoch (default true) */
  shuffle?: boolean;
  /** TensorBoard run `<logDir>/<appName>/train`: loss, learningRate, throughput per iteration */
  trainSummary?: TrainSummary;
  /** TensorBoard run `<logDir>/<appName>/validation`: one tag per validation value */
  validationSummary?: ValidationSummary;
  /** a JSON-lines file that receives every training event */
  logFile?: string;
  /** batches prepared ahead while the model trains (default 2) */
  prefetch?: number;
  /** images decoded at once (default 8) */
  concurrency?: number;
  /** worker threads that decode images, like torchvision's num_workers (default 0: on this thread) */
  workers?: number;
  /**
   * Share of the rows tried that may be unreadable before fit stops with a SkippedSamplesError naming
   * the first reasons (default 0.1); a run in which no row can be read stops whatever this says.
   */
  maxSkippedFraction?: number;
  /**
   * Arithmetic of the forward passes (training, validation, and the fitted Model's predictions):
   * 'fp32' (default), 'bf16' (bfloat16 autocast; float32 weights, optimizer state, loss and
   * checkpoints), or 'auto': bf16 where the CPU runs it natively (AMX or AVX512-BF16), fp32 elsewhere.
   */
  precision?: Precision;
  /**
   * 'channelsLast' lays out the module's convolution weights and every 4-d input batch NHWC, which
   * oneDNN convolves faster (more so in bf16); 'contiguous' (default) keeps NCHW. Results agree within
   * float rounding; checkpoints and state dicts read the same either way.
   */
  memoryFormat?: MemoryFormat;
}

/** Every key of EstimatorOptions, checked by the compiler both ways (a new option must be listed here). */
const ESTIMATOR_OPTION_KEYS = {
  task: true,
  loss: true,
  transform: true,
  featureShape: true,
  featuresCol: true,
  labelCol: true,
  predictionCol: true,
  classNames: true,
  decode: true,
  batchSize: true,
  maxEpoch: true,
  endWhen: true,
  optimizer: true,
  validation: true,
  earlyStopping: true,
  clipping: true,
  cacheSamples: true,
  checkpoint: true,
  resume: true,
  seed: true,
  progress: true,
  shuffle: true,
  trainSummary: true,
  validationSummary: true,
  logFile: true,
  prefetch: true,
  concurrency: true,
  workers: true,
  maxSkippedFraction: true,
  precision: true,
  memoryFormat: true,
} satisfies Record<keyof EstimatorOptions, true>;

/** The keys of EstimatorOptions (an unknown key is an error naming the nearest one). */
export const ESTIMATOR_OPTIONS: readonly string[] = Object.keys(ESTIMATOR_OPTION_KEYS);

/** The resolved configuration a run uses. */
export type ResolvedOptions = Required<
  Pick<
    EstimatorOptions,
    | 'task'
    | 'loss'
    | 'featuresCol'
    | 'labelCol'
    | 'predictionCol'
    | 'batchSize'
    | 'endWhen'
    | 'optimizer'
    | 'cacheSamples'
    | 'resume'
    | 'seed'
    | 'progress'
    | 'shuffle'
    | 'prefetch'
    | 'concurrency'
    | 'workers'
    | 'maxSkippedFraction'
    | 'precision'
  >
> &
  EstimatorOptions;

/** The options with defaults filled in and checked; throws naming the option that is wrong. */
/** Checks the keys and the task of an options object (what can be checked before the setters run). */
export function checkEstimatorOptions(o: EstimatorOptions): void {
  checkOptions('Estimator', o, ESTIMATOR_OPTIONS);
  if (o.task !== undefined)
    checkChoice<Task>('Estimator', 'task', o.task, ['multi-label', 'multi-class', 'regression']);
}

export function resolveOptions(o: EstimatorOptions): ResolvedOptions {
  checkEstimatorOptions(o);
  const task = o.task ?? 'multi-class';
  const loss = o.loss ?? defaultLoss(task);
  if (!loss) throw new Error(`Estimator: task '${task}' needs a loss`);
  const batchSize = o.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`Estimator: batchSize must be a positive integer, got ${batchSize}`);
  if (o.maxEpoch !== undefined && o.endWhen !== undefined)
    throw new Error('Estimator: give maxEpoch or endWhen, not both');
  if (o.resume && !o.checkpoint) throw new Error('Estimator: resume needs a checkpoint directory (setCheckpoint)');
  const es = o.earlyStopping;
  if (es && !o.validation) throw new Error('Estimator: early stopping needs validation (setValidation)');
  if (es && !(Number.isInteger(es.patience) && es.patience >= 1)) {
    throw new RangeError(`Estimator: earlyStopping.patience must be a positive integer, got ${es.patience}`);
  }
  const maxSkippedFraction = o.maxSkippedFraction ?? 0.1;
  if (!(maxSkippedFraction >= 0 && maxSkippedFraction <= 1))
    throw new RangeError(`Estimator: maxSkippedFraction must be in [0, 1], got ${maxSkippedFraction}`);
  const workers = o.workers ?? 0;
  if (!Number.isInteger(workers) || workers < 0)
    throw new RangeError(`Estimator: workers must be a non-negative integer, got ${workers}`);
  const precision = checkPrecision(o.precision ?? 'fp32', 'Estimator');
  if (o.memoryFormat !== undefined && o.memoryFormat !== 'contiguous' && o.memoryFormat !== 'channelsLast') {
    throw new TypeError(
      `Estimator: memoryFormat must be 'contiguous' or 'channelsLast', got '${String(o.memoryFormat)}'`,
    );
  }
  return {
    ...o,
    task,
    loss,
    featuresCol: o.featuresCol ?? 'origin',
    labelCol: o.labelCol ?? 'label',
    predictionCol: o.predictionCol ?? 'prediction',
    batchSize,
    endWhen: o.endWhen ?? maxEpoch(o.maxEpoch ?? 10),
    optimizer: o.optimizer ?? adam({ lr: 1e-3 }),
    cacheSamples: o.cacheSamples ?? false,
    resume: o.resume ?? false,
    seed: o.seed ?? 0,
    progress: o.progress ?? 'auto',
    shuffle: o.shuffle ?? true,
    prefetch: o.prefetch ?? 2,
    concurrency: o.concurrency ?? 8,
    workers,
    maxSkippedFraction,
    precision,
  };
}
