/**
 * The training loop behind Estimator.fit: batches from the frame (prepared ahead, off the step's path),
 * forward/backward/step, triggers for validation, checkpoints and the end, early stopping, events.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DataFrame } from '../data/dataframe/index.js';
import { DataLoader } from '../data/loader.js';
import { loadSafetensors, saveSafetensors } from '../interop/safetensors.js';
import type { Module } from '../nn/index.js';
import { clipGradNorm, clipGradValue, type Optimizer } from '../optim/index.js';
import type { Tensor } from '../tensor/index.js';
import * as torch from '../tensor/index.js';
import { latestCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import type { ResolvedOptions, Task } from './estimator.js';
import type { EpochEvent, TrainingEvent, ValidationEvent } from './events.js';
import { FrameDataset, type LabelKind } from './frame-dataset.js';
import { everyEpoch, type TrainState } from './triggers.js';

/** What a run leaves behind. */
export interface TrainingHistory {
  /** every iteration's loss, learning rate and throughput (the report's training curves) */
  iterations: { iteration: number; epoch: number; loss: number; learningRate: number; throughput: number }[];
  epochs: Omit<EpochEvent, 'type'>[];
  validations: Omit<ValidationEvent, 'type'>[];
  /** why training ended */
  stopReason: string;
  /** shape of one model input (after the batch dimension), as first seen */
  inputShape?: number[];
  /** samples left out because they could not be read */
  skippedSamples: { row: number; origin: string; message: string }[];
}

/** The loop's position, saved in checkpoints. */
interface Position {
  epoch: number;
  iteration: number;
  /** batches of the current epoch already done */
  batch: number;
  lossSum: number;
  lossCount: number;
  score: number;
  best: number | null;
  sinceBest: number;
}

const labelKind = (task: Task): LabelKind => (task === 'multi-class' ? 'class' : 'multi-hot');

/** Scores from raw outputs: sigmoid for multi-label, softmax for multi-class, identity for regression. */
export function scoresOf(task: Task, output: Tensor): Tensor {
  if (task === 'multi-label') return output.sigmoid();
  if (task === 'multi-class') return output.softmax(1);
  return output;
}

function checkOutput(output: Tensor, labels: Tensor, task: Task): void {
  if (output.dim() !== 2)
    throw new Error(`fit: the model's output has shape [${output.shape}], expected [batch, outputs]`);
  const k = output.shape[1] as number;
  if (task === 'multi-class') {
    const hi = labels.max().item();
    if (hi >= k) throw new Error(`fit: label ${hi} is out of range: the model has ${k} outputs (classes 0..${k - 1})`);
  } else if (labels.dim() !== 2 || labels.shape[1] !== k) {
    throw new Error(`fit: labels have ${labels.shape[1] ?? 1} values per row, the model outputs ${k}`);
  }
}

async function datasetFor(frame: DataFrame, o: ResolvedOptions, shuffle: boolean): Promise<FrameDataset> {
  const transform = shuffle ? o.transform : (o.validation?.transform ?? o.transform);
  const classes = o.classNames?.length ?? Number.MAX_SAFE_INTEGER;
  const ds = await FrameDataset.fromFrame(
    frame,
    { features: o.featuresCol, label: o.labelCol },
    { kind: labelKind(o.task), classes: o.task === 'multi-class' ? classes : -1 },
    {
      ...(transform ? { transform } : {}),
      ...(o.featureShape ? { featureShape: o.featureShape } : {}),
      ...(o.decode ? { decode: o.decode } : {}),
      cache: shuffle && o.cacheSamples,
      seed: o.seed,
      concurrency: o.concurrency,
    },
  );
  if (ds.length === 0) throw new Error('fit: the frame has no rows');
  return ds;
}

/** Evaluates the module on a dataset: the mean loss and each metric. */
async function validate(module: Module, ds: FrameDataset, o: ResolvedOptions): Promise<Record<string, number>> {
  const v = o.validation!;
  const metrics = v.metrics ?? [];
  for (const m of metrics) m.reset();
  const loader = new DataLoader(ds, { batchSize: v.batchSize ?? o.batchSize, shuffle: false, prefetch: o.prefetch });
  let lossSum = 0;
  let rows = 0;
  module.eval();
  try {
    for await (const { tensors, dispose } of loader.epoch(0)) {
      torch.scope(() =>
        torch.noGrad(() => {
          const [x, y] = tensors as [Tensor, Tensor];
          const out = module.forward(x);
          const n = x.shape[0] as number;
          const batchLoss = o.loss.forward(out, y).item();
          lossSum += batchLoss * n;
          rows += n;
          const scores = scoresOf(o.task, out).float().contiguous().data() as Float32Array;
          const labels = y.float().contiguous().data() as Float32Array;
          for (const m of metrics) m.update({ scores, labels, numClasses: out.shape[1] as number, loss: batchLoss });
        }),
      );
      dispose();
    }
  } finally {
    module.train();
  }
  const out: Record<string, number> = {};
  for (const m of metrics) Object.assign(out, m.compute());
  out.loss = lossSum / Math.max(1, rows);
  return out;
}

function snapshot(module: Module): Record<string, Tensor> {
  return torch.scope(() => {
    const copy: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(module.stateDict())) copy[k] = t.detach().clone();
    return torch.keep(copy);
  });
}

/** Runs training; resolves with the history once an end trigger or early stopping stops it. */
export async function runTraining(
  module: Module,
  frame: DataFrame,
  o: ResolvedOptions,
  emit: (e: TrainingEvent) => void,
): Promise<{ history: TrainingHistory }> {
  const train = await datasetFor(frame, o, true);
  const val = o.validation ? await datasetFor(o.validation.frame, o, false) : null;
  const loader = new DataLoader(train, {
    batchSize: o.batchSize,
    shuffle: o.shuffle,
    seed: o.seed,
    prefetch: o.prefetch,
  });
  const batchesPerEpoch = loader.length;
  torch.manualSeed(o.seed);
  module.train();
  const optimizer: Optimizer = o.optimizer(module.parameters().filter((p) => p.requiresGrad));
  const history: TrainingHistory = { iterations: [], epochs: [], validations: [], stopReason: '', skippedSamples: [] };
  const pos: Position = {
    epoch: 0,
    iteration: 0,
    batch: 0,
    lossSum: 0,
    lossCount: 0,
    score: Number.NaN,
    best: null,
    sinceBest: 0,
  };
  const es = o.earlyStopping;
  const monitored = o.validation?.metrics?.find((m) => m.name === es?.monitor);
  const esMode =
    es?.mode ??
    (monitored ? (monitored.higherIsBetter ? 'max' : 'min') : /loss/i.test(es?.monitor ?? '') ? 'min' : 'max');
  const bestPath = o.checkpoint ? join(o.checkpoint.dir, 'best.safetensors') : null;
  let best: Record<string, Tensor> | null = null;
  let lastCheckpoint: string | null = null;

  if (o.resume && o.checkpoint && latestCheckpoint(o.checkpoint.dir)) {
    const info = loadCheckpoint(o.checkpoint.dir, { model: module, optimizer });
    const saved = info.extra.position as Omit<Position, 'score'> & { score: number | null };
    Object.assign(pos, saved, { epoch: info.epoch, iteration: info.iteration, score: saved.score ?? Number.NaN });
    Object.assign(history, info.extra.history as TrainingHistory);
    if (bestPath && existsSync(bestPath)) best = torch.keep(loadSafetensors(bestPath).tensors);
    lastCheckpoint = info.path;
  }

  const checkpointTrigger = o.checkpoint?.trigger ?? everyEpoch();
  const started = performance.now();
  let epochStarted = performance.now();
  let firstBatch = true;
  const state = (): TrainState => ({
    epoch: pos.epoch,
    iteration: pos.iteration,
    loss: pos.lossCount ? pos.lossSum / pos.lossCount : Number.NaN,
    score: pos.score,
    epochEnd: false,
  });
  let stop = o.endWhen.fires({ ...state(), loss: Number.POSITIVE_INFINITY }) ? 'end trigger already met' : '';

  try {
    while (!stop) {
      let tick = performance.now();
      for await (const { index, tensors, dispose } of loader.epoch(pos.epoch, { from: pos.batch })) {
        const [x, y] = tensors as [Tensor, Tensor];
        const samples = x.shape[0] as number;
        const loss = torch.scope(() => {
          const out = module.forward(x);
          if (firstBatch) {
            checkOutput(out, y, o.task);
            history.inputShape = x.shape.slice(1);
          }
          firstBatch = false;
          const l = o.loss.forward(out, y);
          const value = l.item();
          if (!Number.isFinite(value)) return value;
          l.backward();
          if (o.clipping) {
            const params = module.parameters().filter((p) => p.requiresGrad);
            if ('maxNorm' in o.clipping) clipGradNorm(params, o.clipping.maxNorm);
            else clipGradValue(params, o.clipping.value);
          }
          optimizer.step();
          optimizer.zeroGrad();
          return value;
        });
        dispose();
        if (!Number.isFinite(loss)) {
          throw new Error(
            `fit: the loss became ${loss} at epoch ${pos.epoch + 1}, iteration ${pos.iteration + 1}; training stopped` +
              (lastCheckpoint ? `, the last good checkpoint is ${lastCheckpoint}` : ' (no checkpoint was written)'),
          );
        }
        pos.iteration++;
        pos.batch = index + 1;
        pos.lossSum += loss;
        pos.lossCount++;
        const now = performance.now();
        const throughput = samples / Math.max(1e-9, (now - tick) / 1000);
        history.iterations.push({
          iteration: pos.iteration,
          epoch: pos.epoch,
          loss,
          learningRate: optimizer.lr,
          throughput,
        });
        emit({
          type: 'iteration',
          epoch: pos.epoch,
          iteration: pos.iteration,
          batch: index,
          batches: batchesPerEpoch,
          loss,
          learningRate: optimizer.lr,
          throughput,
          samples,
          epochSamples: train.length,
        });
        tick = now;

        const epochEnd = pos.batch >= batchesPerEpoch;
        const meanLoss = pos.lossSum / pos.lossCount;
        if (epochEnd) pos.epoch++;
        const s: TrainState = { epoch: pos.epoch, iteration: pos.iteration, loss, score: pos.score, epochEnd };
        if (val && o.validation!.trigger.fires(s)) {
          const t0 = performance.now();
          const metrics = await validate(module, val, o);
          pos.score = Object.values(metrics)[0] as number;
          s.score = pos.score;
          const e: ValidationEvent = {
            type: 'validation',
            epoch: pos.epoch,
            iteration: pos.iteration,
            metrics,
            seconds: (performance.now() - t0) / 1000,
          };
          const { type: _type, ...record } = e;
          history.validations.push(record);
          emit(e);
          if (es) {
            const value = metrics[es.monitor];
            if (value === undefined)
              throw new Error(
                `early stopping: no validation metric '${es.monitor}'; there are ${Object.keys(metrics).join(', ')}`,
              );
            const delta = es.minDelta ?? 0;
            const better =
              pos.best === null || (esMode === 'max' ? value > pos.best + delta : value < pos.best - delta);
            if (better) {
              pos.best = value;
              pos.sinceBest = 0;
              if (es.restoreBest ?? true) {
                for (const t of Object.values(best ?? {})) t.dispose();
                best = snapshot(module);
                if (bestPath) saveSafetensors(bestPath, best);
              }
            } else if (++pos.sinceBest >= es.patience) {
              stop = `early stopping: '${es.monitor}' did not improve for ${es.patience} validations (best ${pos.best})`;
            }
          }
        }
        if (epochEnd) {
          optimizer.endEpoch({ loss: meanLoss, ...(Number.isNaN(pos.score) ? {} : { score: pos.score }) });
          const seconds = (performance.now() - epochStarted) / 1000;
          const e: EpochEvent = {
            type: 'epoch',
            epoch: pos.epoch,
            iteration: pos.iteration,
            loss: meanLoss,
            seconds,
            samplesPerSecond: train.length / seconds,
          };
          const { type: _type, ...record } = e;
          history.epochs.push(record);
          emit(e);
          pos.batch = 0;
          pos.lossSum = 0;
          pos.lossCount = 0;
          epochStarted = performance.now();
        }
        if (!stop && o.endWhen.fires(s)) stop = `end trigger ${o.endWhen.name}`;
        if (o.checkpoint && (checkpointTrigger.fires(s) || stop)) {
          lastCheckpoint = saveCheckpoint(
            o.checkpoint.dir,
            {
              model: module,
              optimizer,
              epoch: pos.epoch,
              iteration: pos.iteration,
              // JSON has no NaN: a score not yet measured is saved as null
              extra: { position: { ...pos, score: Number.isNaN(pos.score) ? null : pos.score }, history },
            },
            { keep: o.checkpoint.keep ?? 3 },
          );
          emit({ type: 'checkpoint', epoch: pos.epoch, iteration: pos.iteration, path: lastCheckpoint });
        }
        if (stop) break;
      }
      if (!stop && pos.batch !== 0) {
        // every remaining batch of the epoch failed to load: count the epoch as done
        pos.batch = 0;
        pos.epoch++;
      }
    }
    if (es && (es.restoreBest ?? true) && best) {
      const restored = best;
      torch.scope(() => module.loadStateDict(restored));
    }
  } finally {
    for (const t of Object.values(best ?? {})) t.dispose();
    optimizer.dispose();
  }
  history.stopReason = stop;
  history.skippedSamples = [...train.errors];
  emit({
    type: 'end',
    epoch: pos.epoch,
    iteration: pos.iteration,
    reason: stop,
    seconds: (performance.now() - started) / 1000,
    skippedSamples: train.errors.length,
  });
  return { history };
}
