/**
 * Training, run in a worker thread by `runInWorker` (so the caller's progress bar and server stay live):
 * builds the network from the recipe, fits it through the pipeline's Estimator on the train split with
 * validation AUC every epoch, and saves it with its recipe. Under `tszoo launch` or torchrun (RANK and
 * WORLD_SIZE set, several workers) it joins the process group first and the same fit trains
 * data-parallel: each rank reads its shard, and rank 0 alone saves the model.
 */
import { DataFrame } from '../../src/data/dataframe/index.js';
import { CXR14_LABELS } from '../../src/data/datasets/chestxray14.js';
import { initProcessGroup, workerPlace } from '../../src/distributed/index.js';
import { torch } from '../../src/index.js';
import { adam, Plateau, SequentialSchedule, Warmup } from '../../src/optim/index.js';
import type { LearningRateSchedule } from '../../src/optim/schedule.js';
import { Estimator } from '../../src/pipeline/estimator.js';
import { auc } from '../../src/pipeline/metrics/index.js';
import type { TrainPoint, ValidationPoint } from '../../src/pipeline/report/index.js';
import { everyEpoch } from '../../src/pipeline/triggers.js';
import type { RecipeContext } from '../../src/pipeline/worker-run.js';
import type { CxrRecipe } from './config.js';
import type { CxrRow } from './dataset.js';
import { CxrNet } from './model.js';
import { type CxrModelInfo, writeModelInfo } from './model-store.js';
import { decodeOptions, evalTransform, trainTransform } from './transforms.js';

export interface TrainJob {
  recipe: CxrRecipe;
  rows: Pick<CxrRow, 'path' | 'labels' | 'split'>[];
  /** the model folder to write */
  modelDir: string;
  data: CxrModelInfo['data'];
}

/** Sent through ctx.send before the first epoch. */
export interface TrainStart {
  parameters: number;
  threads: number;
  train: number;
  val: number;
  /** iterations per epoch of each rank */
  iterationsPerEpoch: number;
  /** this process's rank and the number of data-parallel workers (1 outside a launch) */
  rank: number;
  worldSize: number;
}

export interface TrainResult {
  train: TrainPoint[];
  validation: ValidationPoint[];
  seconds: number;
  skipped: number;
}

/** Adam's schedule: linear warm-up from lrStart to lr, then Plateau on the training loss (BigDL's SequentialSchedule). */
export function scheduleOf(r: CxrRecipe, iterationsPerEpoch: number): LearningRateSchedule {
  const seq = new SequentialSchedule(iterationsPerEpoch);
  const warm = Math.min(r.warmupEpochs, r.epochs);
  if (warm > 0) seq.add(new Warmup((r.lr - r.lrStart) / (warm * iterationsPerEpoch)), warm * iterationsPerEpoch);
  const rest = r.epochs - warm;
  const plateau = new Plateau({
    monitor: 'loss',
    factor: r.plateauFactor,
    patience: r.plateauPatience,
    epsilon: r.plateauEpsilon,
  });
  seq.add(plateau, Math.max(1, rest) * iterationsPerEpoch);
  return seq;
}

const frameOf = (rows: TrainJob['rows']) =>
  DataFrame.fromColumns({ origin: rows.map((r) => r.path), label: rows.map((r) => r.labels) });

export default async function trainCxr({ data: job, emit, send }: RecipeContext<TrainJob>): Promise<TrainResult> {
  const r = job.recipe;
  const group = workerPlace().worldSize > 1 ? await initProcessGroup() : null;
  const worldSize = group?.worldSize ?? 1;
  const lead = (group?.rank ?? 0) === 0;
  torch.manualSeed(r.seed); // the same initial weights on every rank (fit broadcasts rank 0's anyway)
  const net = new CxrNet({
    backbone: r.backbone,
    inChannels: r.inChannels,
    dropout: r.dropout,
    l2: r.l2,
    width: r.width,
    pretrained: r.pretrained,
  });
  const train = job.rows.filter((x) => x.split === 'train');
  const val = job.rows.filter((x) => x.split === 'val');
  if (train.length === 0) throw new Error('training: the train split is empty');
  const ipe = Math.ceil(train.length / (r.batchSize * worldSize));
  send({
    parameters: net.numParameters(),
    threads: torch.getNumThreads(),
    train: train.length,
    val: val.length,
    iterationsPerEpoch: ipe,
    rank: group?.rank ?? 0,
    worldSize,
  } satisfies TrainStart);
  const points: TrainPoint[] = [];
  const validations: ValidationPoint[] = [];
  const started = Date.now();
  const fitted = await new Estimator(net, {
    task: 'multi-label',
    transform: trainTransform(r),
    decode: decodeOptions(r),
    classNames: [...CXR14_LABELS],
    batchSize: r.batchSize,
    maxEpoch: r.epochs,
    optimizer: adam({ lr: r.warmupEpochs > 0 ? r.lrStart : r.lr, schedule: scheduleOf(r, ipe) }),
    ...(val.length > 0
      ? { validation: { trigger: everyEpoch(), frame: frameOf(val), metrics: [auc()], transform: evalTransform(r) } }
      : {}),
    cacheSamples: r.cacheImages,
    precision: r.precision ?? 'fp32', // recipes saved before the option have none
    workers: r.workers,
    seed: r.seed,
    progress: false,
  })
    .onEvent((e) => {
      if (e.type === 'iteration') {
        points.push({
          iteration: e.iteration,
          epoch: e.epoch,
          loss: e.loss,
          learningRate: e.learningRate,
          throughput: e.throughput,
        });
      } else if (e.type === 'validation')
        validations.push({ epoch: e.epoch, iteration: e.iteration, values: e.metrics });
      if (lead) emit(e);
    })
    .fit(frameOf(train));
  fitted.setTransform(evalTransform(r));
  if (lead) {
    await fitted.save(job.modelDir);
    writeModelInfo(job.modelDir, {
      format: 'tszoo.cxr/1',
      recipe: r,
      labels: [...CXR14_LABELS],
      data: job.data,
      trainedAt: new Date().toISOString(),
    });
  }
  if (group) {
    await group.barrier(); // the model is on disk before any rank reports done
    group.destroy();
  }
  const skipped = fitted.history?.skippedSamples.length ?? 0;
  net.dispose();
  return { train: points, validation: validations, seconds: (Date.now() - started) / 1000, skipped };
}
