/**
 * The training run: epochs of trainer steps over a loader, with the policies around them (validation,
 * early stopping, end trigger, checkpoints) and the events they report. Everything it needs comes in as
 * parts, so a distributed run passes a sharded loader and a trainer whose gradient hook all-reduces.
 */

import type { FrameDataset } from '../../data/frame-dataset.js';
import type { DataLoader } from '../../data/loader.js';
import { SkippedSamplesError } from '../../data/sample-error.js';
import type { Tensor } from '../../tensor/index.js';
import type { TrainingEvent } from '../events.js';
import { emptyHistory, type TrainingHistory } from '../history.js';
import type { CheckpointOptions } from '../options.js';
import type { TrainState, Trigger } from '../triggers.js';
import { CheckpointPolicy, type Stateful } from './checkpointing.js';
import type { EarlyStopping } from './early-stopping.js';
import type { Trainer } from './trainer.js';

/** What a run is made of. */
export interface TrainingRunParts {
  trainer: Trainer;
  /** batches of the training set (sharded, in distributed training) */
  loader: DataLoader;
  /** the loader's dataset: what it could not read ends in the history */
  dataset: FrameDataset;
  endWhen: Trigger;
  /** a validation pass and when to run it; the first value returned is the score */
  validation?: { trigger: Trigger; run: () => Promise<Record<string, number>> };
  earlyStopping?: EarlyStopping;
  checkpoint?: { options: CheckpointOptions; resume: boolean; writer?: boolean };
  emit: (event: TrainingEvent) => void;
  /**
   * In distributed training: samples per step over all ranks (to resume mid-epoch at another world size),
   * what runs at each epoch's end before validation (the mean loss over ranks, BatchNorm buffers broadcast), and the barrier after
   * every checkpoint, so that no rank reads one half-written.
   */
  distributed?: { globalBatch: number; epochEnd: (loss: number) => Promise<number>; barrier: () => Promise<void> };
}

/** Where the loop stands within an epoch: saved in checkpoints. */
interface EpochProgress {
  /** batches of the current epoch already done */
  batch: number;
  /** samples per step over all ranks when `batch` was counted (absent in single-process checkpoints) */
  globalBatch?: number;
  lossSum: number;
  lossCount: number;
  /** the last validation score, NaN before the first (null in JSON) */
  score: number;
}

/** Lets timers, I/O and signal handlers run between steps even when batches come from memory. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Runs training until the end trigger, early stopping or an error; resolves with the history. */
export async function runTraining(p: TrainingRunParts): Promise<TrainingHistory> {
  const { trainer, loader, dataset, emit } = p;
  const module = trainer.module;
  const history = emptyHistory();
  const globalBatch = p.distributed?.globalBatch ?? loader.options.batchSize;
  const progress: EpochProgress = { batch: 0, globalBatch, lossSum: 0, lossCount: 0, score: Number.NaN };
  // each unreadable row once, across epochs and a resume
  const skippedSoFar = () => {
    const seen = new Set(history.skippedSamples.map((e) => `${e.row}\0${e.origin}`));
    return [...history.skippedSamples, ...dataset.errors.filter((e) => !seen.has(`${e.row}\0${e.origin}`))];
  };
  const parts: Record<string, Stateful> = {
    progress: {
      stateDict: () => ({ ...progress, score: Number.isNaN(progress.score) ? null : progress.score }),
      loadStateDict: (s) => {
        const saved = s as Omit<EpochProgress, 'score'> & { score: number | null };
        Object.assign(progress, saved, { score: saved.score ?? Number.NaN });
      },
    },
    history: {
      stateDict: () => ({ ...history, skippedSamples: skippedSoFar() }),
      loadStateDict: (s) => Object.assign(history, s),
    },
  };
  if (p.earlyStopping) parts.earlyStopping = p.earlyStopping;
  const checkpoints = p.checkpoint
    ? new CheckpointPolicy(
        p.checkpoint.options,
        { model: module, optimizer: trainer.optimizer },
        parts,
        p.checkpoint.writer ?? true,
      )
    : null;
  if (checkpoints && p.checkpoint?.resume) checkpoints.resume();
  // resumed mid-epoch with another number of workers: skip the samples done, counted in the new steps
  if (progress.globalBatch !== undefined && progress.globalBatch !== globalBatch) {
    progress.batch = Math.floor((progress.batch * progress.globalBatch) / globalBatch);
  }
  progress.globalBatch = globalBatch;

  const batches = loader.length;
  // a data-parallel worker reads its shard: ceil(n / workers) samples (the sampler pads the last ones)
  const epochSamples = Math.ceil(dataset.length / (globalBatch / loader.options.batchSize));
  history.precision = trainer.precision;
  emit({
    type: 'start',
    precision: trainer.precision.used,
    precisionReason: trainer.precision.reason,
    epochSamples,
    batches,
  });
  const started = performance.now();
  let epochStarted = performance.now();
  let lastLoss = Number.POSITIVE_INFINITY;
  let validatedAt = -1;
  const stateAt = (epochEnd: boolean): TrainState => ({
    epoch: trainer.epoch + (epochEnd ? 1 : 0),
    iteration: trainer.iteration,
    loss: lastLoss,
    score: progress.score,
    epochEnd,
  });
  let stop = p.endWhen.fires(stateAt(false)) ? 'end trigger already met' : '';

  /** After a step, or when an epoch's last batches could not be read: the policies, in order. */
  const afterStep = async (epochEnd: boolean) => {
    const s = stateAt(epochEnd);
    let epochLoss = Number.NaN;
    if (epochEnd) {
      epochLoss = progress.lossSum / progress.lossCount;
      // every rank must see the same loss (Plateau reads it) and the same BatchNorm statistics
      if (p.distributed) epochLoss = await p.distributed.epochEnd(epochLoss);
    }
    if (p.validation && validatedAt !== s.iteration && p.validation.trigger.fires(s)) {
      validatedAt = s.iteration;
      const t0 = performance.now();
      const metrics = await p.validation.run();
      progress.score = Object.values(metrics)[0] as number;
      s.score = progress.score;
      const record = { epoch: s.epoch, iteration: s.iteration, metrics, seconds: (performance.now() - t0) / 1000 };
      history.validations.push(record);
      emit({ type: 'validation', ...record });
      if (p.earlyStopping) stop = p.earlyStopping.observe(metrics, module) || stop;
    }
    if (epochEnd) {
      const loss = epochLoss;
      trainer.endEpoch({ loss, ...(Number.isNaN(progress.score) ? {} : { score: progress.score }) });
      const seconds = (performance.now() - epochStarted) / 1000;
      const record = {
        epoch: s.epoch,
        iteration: s.iteration,
        loss,
        seconds,
        samplesPerSecond: dataset.length / seconds,
      };
      history.epochs.push(record);
      emit({ type: 'epoch', ...record });
      Object.assign(progress, { batch: 0, lossSum: 0, lossCount: 0 });
      epochStarted = performance.now();
    }
    if (!stop && p.endWhen.fires(s)) stop = `end trigger ${p.endWhen.name}`;
    const due = checkpoints?.due(s, stop !== '') ?? false;
    const path = checkpoints?.maybeSave(s, stop !== '');
    if (path) emit({ type: 'checkpoint', epoch: s.epoch, iteration: s.iteration, path });
    if (due) await p.distributed?.barrier();
  };

  while (!stop) {
    const epoch = trainer.epoch;
    let tick = performance.now();
    for await (const { index, tensors, dispose } of loader.epoch(epoch, { from: progress.batch })) {
      const [x, y] = tensors as [Tensor, Tensor];
      history.inputShape ??= x.shape.slice(1);
      let r: Awaited<ReturnType<Trainer['step']>>;
      try {
        r = await trainer.step(x, y);
      } finally {
        dispose();
      }
      if (!Number.isFinite(r.loss)) {
        const last = checkpoints?.last;
        throw new Error(
          `fit: the loss became ${r.loss} at epoch ${epoch + 1}, iteration ${trainer.iteration + 1}; training stopped` +
            (last ? `, the last good checkpoint is ${last}` : ' (no checkpoint was written)'),
        );
      }
      lastLoss = r.loss;
      progress.batch = index + 1;
      progress.lossSum += r.loss;
      progress.lossCount++;
      const now = performance.now();
      const throughput = r.samples / Math.max(1e-9, (now - tick) / 1000);
      tick = now;
      const learningRate = trainer.learningRate;
      history.iterations.push({
        iteration: trainer.iteration,
        epoch,
        loss: r.loss,
        learningRate,
        throughput,
        ...(r.regularization ? { regularization: r.regularization } : {}),
      });
      emit({
        type: 'iteration',
        epoch,
        iteration: trainer.iteration,
        batch: index,
        batches,
        loss: r.loss,
        learningRate,
        throughput,
        samples: r.samples,
        epochSamples,
        ...(r.regularization ? { regularization: r.regularization } : {}),
      });
      await afterStep(progress.batch >= batches);
      if (stop) break;
      await yieldToEventLoop();
    }
    if (!stop && trainer.epoch === epoch) {
      // the epoch's last batches could not be read: it is over all the same
      if (progress.lossCount === 0) {
        const { tried, failed } = dataset.counts;
        throw new SkippedSamplesError(tried, failed, dataset.errors.slice(0, 5), null, 'fit');
      }
      await afterStep(true);
    }
  }
  p.earlyStopping?.restoreBest(module);
  history.stopReason = stop;
  history.skippedSamples = skippedSoFar();
  emit({
    type: 'end',
    epoch: trainer.epoch,
    iteration: trainer.iteration,
    reason: stop,
    seconds: (performance.now() - started) / 1000,
    skippedSamples: history.skippedSamples.length,
  });
  return history;
}
