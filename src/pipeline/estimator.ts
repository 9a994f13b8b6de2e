/**
 * Estimator: a model, a loss and a feature transform that `fit(DataFrame)` trains into a {@link Model}
 * (Analytics Zoo's NNEstimator). Configure with an options object or the seed's fluent setters.
 */
import type { DataFrame } from '../data/dataframe/index.js';
import type { DecodeImageOptions } from '../data/image/decode.js';
import type { Transform } from '../data/image/transform.js';
import type { Image } from '../data/image/types.js';
import type { Loss, Module } from '../nn/index.js';
import { BCEWithLogitsLoss, CrossEntropyLoss } from '../nn/index.js';
import { adam, type OptimizerFactory } from '../optim/index.js';
import type { Tensor } from '../tensor/index.js';
import type { TrainingEvent, TrainingEventMap, TrainingListener } from './events.js';
import type { Metric } from './metrics/index.js';
import { Model } from './model.js';
import { progressListener } from './progress-listener.js';
import { JsonLinesWriter, type TrainSummary, type ValidationSummary } from './summary/index.js';
import { summaryListener } from './summary-listener.js';
import { runTraining } from './training-loop.js';
import { maxEpoch, type Trigger } from './triggers.js';

/**
 * 'multi-label' (sigmoid outputs, multi-hot labels, e.g. 14 chest X-ray findings), 'multi-class' (softmax,
 * one class index per row) or 'regression' (raw outputs, numeric targets).
 */
export type Task = 'multi-label' | 'multi-class' | 'regression';

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
  /** feature column: image paths (readImages' 'origin'), Spark image-schema 'data', or numeric arrays (default 'origin') */
  featuresCol?: string;
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
  /** TensorBoard run `<logDir>/<appName>/train`: Loss, LearningRate, Throughput per iteration */
  trainSummary?: TrainSummary;
  /** TensorBoard run `<logDir>/<appName>/validation`: one tag per validation value */
  validationSummary?: ValidationSummary;
  /** a JSON-lines file that receives every training event */
  logFile?: string;
  /** batches prepared ahead while the model trains (default 2) */
  prefetch?: number;
  /** images decoded at once (default 8) */
  concurrency?: number;
}

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
  >
> &
  EstimatorOptions;

/**
 * Trains a module on DataFrames.
 *
 * @example
 * ```ts
 * const est = new Estimator(model, { task: 'multi-label', transform: chain(Resize(224), ToTensor()), labelCol: 'labels' })
 *   .setBatchSize(32)
 *   .setMaxEpoch(15)
 *   .setValidation(everyEpoch(), valDf, [auc()]);
 * est.on('epoch', (e) => console.log(e.epoch, e.loss));
 * const fitted = await est.fit(trainDf);
 * const scored = await fitted.transform(testDf); // + 'prediction' column
 * ```
 */
export class Estimator {
  readonly #options: EstimatorOptions;
  readonly #listeners: TrainingListener[] = [];

  constructor(
    readonly module: Module,
    options: EstimatorOptions = {},
  ) {
    this.#options = { ...options };
    if (options.maxEpoch !== undefined && options.endWhen !== undefined) {
      throw new Error('Estimator: give maxEpoch or endWhen, not both');
    }
  }

  /** A copy of the options as set so far. */
  get options(): Readonly<EstimatorOptions> {
    return { ...this.#options };
  }

  #set(patch: EstimatorOptions): this {
    Object.assign(this.#options, patch);
    return this;
  }

  setBatchSize(n: number): this {
    return this.#set({ batchSize: n });
  }
  setMaxEpoch(n: number): this {
    if (this.#options.endWhen) throw new Error('Estimator: setMaxEpoch after setEndWhen; give one of them');
    return this.#set({ maxEpoch: n });
  }
  setEndWhen(trigger: Trigger): this {
    if (this.#options.maxEpoch !== undefined)
      throw new Error('Estimator: setEndWhen after setMaxEpoch; give one of them');
    return this.#set({ endWhen: trigger });
  }
  setOptimMethod(optimizer: OptimizerFactory): this {
    return this.#set({ optimizer });
  }
  setLoss(loss: Loss): this {
    return this.#set({ loss });
  }
  setTransform(transform: Transform<Image, Tensor>): this {
    return this.#set({ transform });
  }
  setFeaturesCol(column: string): this {
    return this.#set({ featuresCol: column });
  }
  setLabelCol(column: string | string[]): this {
    return this.#set({ labelCol: column });
  }
  setPredictionCol(column: string): this {
    return this.#set({ predictionCol: column });
  }
  setValidation(
    trigger: Trigger,
    frame: DataFrame,
    metrics: Metric[] = [],
    batchSize?: number,
    transform?: Transform<Image, Tensor>,
  ): this {
    return this.#set({
      validation: { trigger, frame, metrics, ...(batchSize ? { batchSize } : {}), ...(transform ? { transform } : {}) },
    });
  }
  setEarlyStopping(options: EarlyStoppingOptions): this {
    return this.#set({ earlyStopping: options });
  }
  setGradientClippingByL2Norm(maxNorm: number): this {
    return this.#set({ clipping: { maxNorm } });
  }
  setConstantGradientClipping(value: number): this {
    return this.#set({ clipping: { value } });
  }
  clearGradientClipping(): this {
    delete this.#options.clipping;
    return this;
  }
  setCheckpoint(dir: string, trigger?: Trigger, keep?: number): this {
    return this.#set({ checkpoint: { dir, ...(trigger ? { trigger } : {}), ...(keep ? { keep } : {}) } });
  }
  setResume(resume = true): this {
    return this.#set({ resume });
  }
  setCachingSample(cache: boolean): this {
    return this.#set({ cacheSamples: cache });
  }
  setSeed(seed: number): this {
    return this.#set({ seed });
  }
  setTrainSummary(summary: TrainSummary): this {
    return this.#set({ trainSummary: summary });
  }
  setValidationSummary(summary: ValidationSummary): this {
    if (!this.#options.validation) throw new Error('Estimator: setValidationSummary needs setValidation first');
    return this.#set({ validationSummary: summary });
  }
  setLogFile(path: string): this {
    return this.#set({ logFile: path });
  }

  /** Listens to one kind of training event. */
  on<K extends keyof TrainingEventMap>(type: K, listener: (event: TrainingEventMap[K]) => void): this {
    this.#listeners.push((e) => {
      if (e.type === type) listener(e as TrainingEventMap[K]);
    });
    return this;
  }

  /** Listens to every training event. */
  onEvent(listener: TrainingListener): this {
    this.#listeners.push(listener);
    return this;
  }

  /** The options with defaults filled in and checked. */
  resolve(): ResolvedOptions {
    const o = this.#options;
    const task = o.task ?? 'multi-class';
    if (task === 'regression' && !o.loss) throw new Error("Estimator: task 'regression' needs a loss");
    const batchSize = o.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new RangeError(`Estimator: batchSize must be a positive integer, got ${batchSize}`);
    if (o.resume && !o.checkpoint) throw new Error('Estimator: resume needs a checkpoint directory (setCheckpoint)');
    const es = o.earlyStopping;
    if (es && !o.validation) throw new Error('Estimator: early stopping needs validation (setValidation)');
    if (es && !(Number.isInteger(es.patience) && es.patience >= 1)) {
      throw new RangeError(`Estimator: earlyStopping.patience must be a positive integer, got ${es.patience}`);
    }
    return {
      ...o,
      task,
      loss: o.loss ?? (task === 'multi-label' ? new BCEWithLogitsLoss() : new CrossEntropyLoss()),
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
    };
  }

  /**
   * Trains on `frame` and returns the fitted {@link Model}, which carries the transform and columns. The
   * module is trained in place. Rejects with a message naming the column/row for bad input, and on a
   * non-finite loss (the last good checkpoint stays).
   */
  async fit(frame: DataFrame): Promise<Model> {
    const options = this.resolve();
    const listeners = [...this.#listeners];
    if (options.progress === true || (options.progress === 'auto' && process.stdout.isTTY)) {
      listeners.push(progressListener());
    }
    const log = options.logFile ? new JsonLinesWriter(options.logFile) : undefined;
    if (options.trainSummary || options.validationSummary || log) {
      listeners.push(summaryListener({ train: options.trainSummary, validation: options.validationSummary, log }));
    }
    const emit = (e: TrainingEvent) => {
      for (const l of listeners) l(e);
    };
    let result: Awaited<ReturnType<typeof runTraining>>;
    try {
      result = await runTraining(this.module, frame, options, emit);
    } finally {
      log?.close();
      options.trainSummary?.flush();
      options.validationSummary?.flush();
    }
    return new Model(this.module, {
      task: options.task,
      transform: options.transform,
      featureShape: options.featureShape,
      featuresCol: options.featuresCol,
      predictionCol: options.predictionCol,
      classNames: options.classNames,
      decode: options.decode,
      batchSize: options.batchSize,
      history: result.history,
    });
  }
}
