/**
 * The Fashion-MNIST recipe, run in a worker by main.ts: Debian's IDX files -> DataFrames in Spark's image
 * schema -> Estimator.fit (small CNN) -> Model.transform on the test set -> metrics.
 */
import { join } from 'node:path';
import { DataFrame } from '../../src/data/dataframe/index.js';
import { FASHION_MNIST_CLASSES, loadFashionMnist } from '../../src/data/datasets/fashion-mnist.js';
import { ChannelNormalize, chain, HFlip, ToFloat, ToTensor } from '../../src/data/image/transforms.js';
import { models, nn, torch } from '../../src/index.js';
import { adam, Cosine } from '../../src/optim/index.js';
import { Estimator } from '../../src/pipeline/estimator.js';
import { accuracy } from '../../src/pipeline/metrics/index.js';
import { TrainSummary, ValidationSummary } from '../../src/pipeline/summary/index.js';
import { everyEpoch } from '../../src/pipeline/triggers.js';
import type { RecipeContext } from '../../src/pipeline/worker-run.js';

export interface FashionMnistConfig {
  /** 'small-cnn' (default) or 'resnet18' (torchvision's, 1 input channel, 10 classes) */
  model: 'small-cnn' | 'resnet18';
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  /** use only the first n training rows (0: all 60,000), for quick runs */
  limit: number;
  /** where TensorBoard runs, the JSON-lines log, the report and the model go */
  out: string;
  /** forward-pass precision (default 'fp32'; 'auto': bf16 where the CPU runs it natively) */
  precision?: 'auto' | 'fp32' | 'bf16';
}

export interface FashionMnistResult {
  testAccuracy: number;
  trainSeconds: number;
  epochs: { epoch: number; loss: number; seconds: number; samplesPerSecond: number }[];
  validations: { epoch: number; metrics: Record<string, number> }[];
  confusion: number[][];
  report: string;
  parameters: number;
  threads: number;
}

/** One split as a DataFrame with Spark's image-schema columns and a `label` class index. */
export async function fashionMnistFrame(split: 'train' | 'test', limit = 0): Promise<DataFrame> {
  const { images, labels } = await loadFashionMnist(split);
  const pixels = images.data() as Uint8Array;
  const classes = labels.toArray();
  images.dispose();
  labels.dispose();
  const n = limit > 0 ? Math.min(limit, classes.length) : classes.length;
  const data = Array.from({ length: n }, (_, i) => pixels.subarray(i * 784, (i + 1) * 784));
  const constant = (v: number) => new Array<number>(n).fill(v);
  return DataFrame.fromColumns({
    height: constant(28),
    width: constant(28),
    nChannels: constant(1),
    mode: constant(0),
    data,
    label: classes.slice(0, n),
  });
}

/** Two conv blocks and a small head (421,834 parameters for 28 px and 10 classes). */
export function smallCnn(outputs = 10, size = 28): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(1, 32, 3, { padding: 1 }),
    new nn.BatchNorm2d(32),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(32, 64, 3, { padding: 1 }),
    new nn.BatchNorm2d(64),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Dropout(0.3),
    new nn.Linear(64 * (size / 4) ** 2, 128),
    new nn.ReLU(),
    new nn.Dropout(0.3),
    new nn.Linear(128, outputs),
  );
}

export default async function run({ data: cfg, emit }: RecipeContext<FashionMnistConfig>): Promise<FashionMnistResult> {
  const [train, test] = await Promise.all([fashionMnistFrame('train', cfg.limit), fashionMnistFrame('test')]);
  torch.manualSeed(cfg.seed);
  const model = cfg.model === 'resnet18' ? models.resnet18({ numClasses: 10, inChannels: 1 }) : smallCnn();
  const stepsPerEpoch = Math.ceil((await train.count()) / cfg.batchSize);
  const normalize = [ToFloat(), ChannelNormalize(0.286, 0.353)];
  const plain = chain<torch.Tensor>(...normalize, ToTensor());
  const est = new Estimator(model, {
    task: 'multi-class',
    featuresCol: 'data',
    classNames: [...FASHION_MNIST_CLASSES],
    transform: chain(HFlip(0.5), ...normalize, ToTensor()),
    batchSize: cfg.batchSize,
    maxEpoch: cfg.epochs,
    optimizer: adam({ lr: cfg.lr, schedule: new Cosine({ period: cfg.epochs * stepsPerEpoch }) }),
    // validation and evaluation without the random flip
    validation: { trigger: everyEpoch(), frame: test, metrics: [accuracy()], batchSize: 500, transform: plain },
    seed: cfg.seed,
    precision: cfg.precision ?? 'fp32',
    progress: false,
    trainSummary: new TrainSummary(cfg.out, 'tensorboard'),
    validationSummary: new ValidationSummary(cfg.out, 'tensorboard'),
    logFile: join(cfg.out, 'events.jsonl'),
  }).onEvent(emit);
  const started = performance.now();
  const fitted = await est.fit(train);
  const trainSeconds = (performance.now() - started) / 1000;
  fitted.setTransform(plain);
  const result = await fitted.evaluate(test, { bootstrap: { iterations: 200 }, split: 'test' });
  const report = fitted.writeReport(join(cfg.out, 'report.html'), {
    title: `Fashion-MNIST, ${cfg.model}`,
    evaluation: result,
    config: { ...cfg },
  });
  await fitted.save(join(cfg.out, 'model'));
  return {
    testAccuracy: result.accuracy,
    report,
    trainSeconds,
    epochs: (fitted.history?.epochs ?? []).map(({ epoch, loss, seconds, samplesPerSecond }) => ({
      epoch,
      loss,
      seconds,
      samplesPerSecond,
    })),
    validations: (fitted.history?.validations ?? []).map(({ epoch, metrics }) => ({ epoch, metrics })),
    confusion: result.confusionMatrix ?? [],
    parameters: model.numParameters(),
    threads: torch.getNumThreads(),
  };
}
