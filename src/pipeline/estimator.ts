/**
 * Estimator: a model, a loss and a feature transform that `fit(DataFrame)` trains into a {@link Model}
 * (Analytics Zoo's NNEstimator). Configure with an options object or the seed's fluent setters. `fit`
 * composes the training core: a FrameDataset per frame, a DataLoader, a Trainer, the policies (validation,
 * early stopping, checkpoints) and the run that drives them.
 */
import type { DataFrame } from '../data/dataframe/index.js';
import { FrameDataset } from '../data/frame-dataset.js';
import type { Transform } from '../data/image/transform.js';
import type { Image } from '../data/image/types.js';
import { DataLoader } from '../data/loader.js';
import { DistributedDataParallel, getProcessGroup } from '../distributed/index.js';
import type { Loss, Module } from '../nn/index.js';
import type { OptimizerFactory } from '../optim/index.js';
import type { Tensor } from '../tensor/index.js';
import * as torch from '../tensor/index.js';
import type { TrainingEvent, TrainingEventMap, TrainingListener } from './events.js';
import { withFeatureColumn } from './features-col.js';
import type { TrainingHistory } from './history.js';
import type { Metric } from './metrics/index.js';
import { Model } from './model.js';
import {
  checkEstimatorOptions,
  type EarlyStoppingOptions,
  type EstimatorOptions,
  type ResolvedOptions,
  resolveOptions,
} from './options.js';
import { choosePrecision, type Precision } from './precision.js';
import { progressListener } from './progress-listener.js';
import { JsonLinesWriter, type TrainSummary, type ValidationSummary } from './summary/index.js';
import { summaryListener } from './summary-listener.js';
import { checkOutput, labelKindOf } from './task.js';
import { EarlyStopping } from './training/early-stopping.js';
import { runTraining } from './training/run.js';
import { Trainer } from './training/trainer.js';
import { validate } from './training/validation.js';
import type { Trigger } from './triggers.js';

/** A FrameDataset over a frame with the estimator's columns and decoding; `train` picks the transform. */
async function datasetOf(input: DataFrame, o: ResolvedOptions, train: boolean): Promise<FrameDataset> {
  const transform = train ? o.transform : (o.validation?.transform ?? o.transform);
  const { frame, column } = await withFeatureColumn(input, o.featuresCol);
  return FrameDataset.fromFrame(frame, {
    features: column,
    label: o.labelCol,
    labelKind: labelKindOf(o.task),
    ...(o.task === 'multi-class' && o.classNames ? { classes: o.classNames.length } : {}),
    ...(transform ? { transform } : {}),
    ...(o.featureShape ? { featureShape: o.featureShape } : {}),
    ...(o.decode ? { decode: o.decode } : {}),
    cache: train && o.cacheSamples,
    seed: o.seed,
    concurrency: o.concurrency,
    workers: o.workers,
    maxSkippedFraction: o.maxSkippedFraction,
    name: train ? 'fit' : 'validation',
  });
}

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
  /** its name as a Pipeline stage */
  readonly stageName = 'Estimator';
  readonly #options: EstimatorOptions;
  readonly #listeners: TrainingListener[] = [];

  constructor(
    readonly module: Module,
    options: EstimatorOptions = {},
  ) {
    if (!module || typeof (module as Partial<Module>).forward !== 'function')
      throw new TypeError('Estimator: the first argument must be an nn.Module (the model to train)');
    checkEstimatorOptions(options); // an unknown option fails here, not at fit
    this.#options = { ...options };
    if (options.maxEpoch !== undefined && options.endWhen !== undefined) {
      throw new Error('Estimator: give maxEpoch or endWhen, not both');
    }
  }

  /** Share of unreadable rows that stops a run (Spark's bad-records threshold); see EstimatorOptions. */
  setMaxSkippedFraction(fraction: number): this {
    return this.#set({ maxSkippedFraction: fraction });
  }

  /** Worker threads that decode images (torchvision's num_workers). */
  setWorkers(workers: number): this {
    return this.#set({ workers });
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
  setFeaturesCol(column: string | string[]): this {
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
  /** 'fp32', 'bf16' or 'auto' (bf16 where the CPU runs it natively): see {@link EstimatorOptions.precision}. */
  setPrecision(precision: Precision): this {
    return this.#set({ precision });
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
    return resolveOptions(this.#options);
  }

  /**
   * Trains on `frame` and returns the fitted {@link Model}, which carries the transform and columns. The
   * module is trained in place. Rejects with a message naming the column/row for bad input, with a
   * SkippedSamplesError when too many rows cannot be read (`maxSkippedFraction`), and on a non-finite
   * loss (the last good checkpoint stays).
   */
  async fit(frame: DataFrame): Promise<Model> {
    const o = this.resolve();
    // Inside a process group of several workers (initProcessGroup) the same fit trains data-parallel.
    const pg = getProcessGroup();
    const group = pg && pg.worldSize > 1 ? pg : null;
    const lead = group === null || group.rank === 0; // only rank 0 shows progress and writes files
    const listeners = [...this.#listeners];
    if (lead && (o.progress === true || (o.progress === 'auto' && process.stdout.isTTY)))
      listeners.push(progressListener());
    const log = lead && o.logFile ? new JsonLinesWriter(o.logFile) : undefined;
    if (lead && (o.trainSummary || o.validationSummary || log)) {
      listeners.push(summaryListener({ train: o.trainSummary, validation: o.validationSummary, log }));
    }
    const emit = (e: TrainingEvent) => {
      for (const l of listeners) l(e);
    };
    const train = await datasetOf(frame, o, true);
    if (train.length === 0) throw new Error('fit: the frame has no rows');
    const val = o.validation ? await datasetOf(o.validation.frame, o, false) : null;
    if (val?.length === 0) throw new Error('fit: the validation frame has no rows');
    torch.manualSeed(o.seed + (group?.rank ?? 0)); // dropout and augmentation differ between ranks
    this.module.train();
    if (o.memoryFormat) this.module.to({ memoryFormat: o.memoryFormat });
    const ddp = group ? await DistributedDataParallel.create(this.module, { processGroup: group }) : null;
    if (group && lead) {
      process.stderr.write(
        `fit: data-parallel over ${group.worldSize} workers: batch ${o.batchSize} per worker, global batch ${o.batchSize * group.worldSize}\n`,
      );
    }
    const optimizer = o.optimizer(this.module.parameters().filter((p) => p.requiresGrad));
    const metrics = o.validation?.metrics ?? [];
    const earlyStopping = o.earlyStopping
      ? new EarlyStopping(o.earlyStopping, metrics, o.checkpoint?.dir ?? null, lead)
      : undefined;
    const precision = choosePrecision(o.precision);
    let history: TrainingHistory;
    try {
      const v = o.validation;
      const trainer = new Trainer(ddp ?? this.module, {
        loss: o.loss,
        optimizer,
        ...(o.clipping ? { clipping: o.clipping } : {}),
        precision,
        ...(o.memoryFormat ? { memoryFormat: o.memoryFormat } : {}),
        checkFirstBatch: (out, y) => checkOutput(out, y, o.task),
      });
      if (ddp) trainer.addGradientHook(ddp.gradientHook());
      history = await runTraining({
        trainer,
        loader: new DataLoader(train, {
          batchSize: o.batchSize,
          shuffle: o.shuffle,
          seed: o.seed,
          prefetch: o.prefetch,
          ...(group ? { rank: group.rank, worldSize: group.worldSize } : {}),
        }),
        dataset: train,
        endWhen: o.endWhen,
        ...(v && val
          ? {
              validation: {
                trigger: v.trigger,
                run: () =>
                  validate(this.module, {
                    dataset: val,
                    task: o.task,
                    loss: o.loss,
                    metrics,
                    batchSize: v.batchSize ?? o.batchSize,
                    prefetch: o.prefetch,
                    precision: precision.used,
                    ...(o.memoryFormat ? { memoryFormat: o.memoryFormat } : {}),
                    ...(group ? { processGroup: group } : {}),
                  }),
              },
            }
          : {}),
        ...(earlyStopping ? { earlyStopping } : {}),
        ...(o.checkpoint ? { checkpoint: { options: o.checkpoint, resume: o.resume, writer: lead } } : {}),
        ...(group && ddp
          ? {
              distributed: {
                globalBatch: o.batchSize * group.worldSize,
                epochEnd: async (loss: number) => {
                  await ddp.syncBuffers();
                  const t = torch.keep(torch.tensor([loss], { dtype: 'float64' }));
                  try {
                    await group.allReduce(t, { op: 'avg' });
                    return t.item() as number;
                  } finally {
                    t.dispose();
                  }
                },
                barrier: () => group.barrier(),
              },
            }
          : {}),
        emit,
      });
    } finally {
      earlyStopping?.dispose();
      optimizer.dispose();
      await Promise.all([train.close(), val?.close()]);
      log?.close();
      o.trainSummary?.flush();
      o.validationSummary?.flush();
    }
    this.module.eval(); // the fitted model predicts: dropout off, batch norm on its running statistics
    return new Model(this.module, {
      task: o.task,
      transform: o.transform,
      featureShape: o.featureShape,
      featuresCol: o.featuresCol,
      predictionCol: o.predictionCol,
      classNames: o.classNames,
      decode: o.decode,
      batchSize: o.batchSize,
      precision: o.precision,
      ...(o.memoryFormat ? { memoryFormat: o.memoryFormat } : {}),
      history,
    });
  }
}
