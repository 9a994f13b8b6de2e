/**
 * Test fixture: a small, deterministic classification task as a DataFrame, and a run of it that can be
 * killed and resumed. `node estimator.fixture.js <checkpointDir> <epochs> [imageFolder]` trains with a
 * checkpoint every 3 iterations, prints `checkpoint <iteration>` lines as they land, and at the end the
 * final weights as one JSON line. With an image folder (files `<class>_<n>.png`), it trains on the images
 * with random crops and flips, decoded in a worker thread.
 */
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { DataFrame } from '../data/dataframe/index.js';
import { chain, HFlip, RandomCrop, ToTensor } from '../data/image/transforms.js';
import { readImages } from '../data/read-images.js';
import { nn, torch } from '../index.js';
import { sgd } from '../optim/index.js';
import { Estimator } from './estimator.js';
import { severalIteration } from './triggers.js';

/** Three Gaussian blobs in 4-D with some overlap; `label` 0..2, `features` a list of 4 numbers. */
export function blobFrame(n: number, seed: number): DataFrame {
  let s = seed >>> 0 || 1;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const centres = [
    [1.5, 0, 0, 1],
    [-1.5, 1, 0, 0],
    [0, -1.5, 1, -1],
  ];
  const features: number[][] = [];
  const label: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    features.push((centres[c] as number[]).map((m) => m + gauss() * 0.9));
    label.push(c);
  }
  return DataFrame.fromColumns({ id: Array.from({ length: n }, (_, i) => i), features, label });
}

/** A small MLP with dropout, so resuming must restore the RNG too. */
export function blobModel(): nn.Sequential {
  return new nn.Sequential(new nn.Linear(4, 16), new nn.ReLU(), new nn.Dropout(0.2), new nn.Linear(16, 3));
}

/** The estimator the resume test uses. */
export function blobEstimator(model: nn.Module, checkpointDir: string | null, epochs: number): Estimator {
  const est = new Estimator(model, {
    task: 'multi-class',
    featuresCol: 'features',
    batchSize: 16,
    maxEpoch: epochs,
    optimizer: sgd({ lr: 0.05, momentum: 0.9 }),
    seed: 5,
    progress: false,
  });
  if (checkpointDir) est.setCheckpoint(checkpointDir, severalIteration(3), 2).setResume(true);
  return est;
}

/** The flat weights of a module, as numbers. */
export function weightsOf(model: nn.Module): Record<string, number[]> {
  return Object.fromEntries(model.namedParameters().map(([k, t]) => [k, t.toArray()]));
}

/** Writes `n` 8x8 grey PNGs `<class>_<i>.png` into `folder`: a bright column whose place gives the class. */
export async function writeBlobImages(folder: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    const px = new Uint8Array(64).map(
      (_, j) => (Math.abs((j % 8) - (1 + c * 3)) <= 1 ? 190 : 40) + ((i * 13 + j * 5) % 30),
    );
    await sharp(px, { raw: { width: 8, height: 8, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toFile(`${folder}/${c}_${String(i).padStart(3, '0')}.png`);
  }
}

/** The image variant: random 6x6 crops and flips (so a resumed run must draw the same), decode workers. */
function imageEstimator(model: nn.Module, checkpointDir: string, epochs: number): Estimator {
  return new Estimator(model, {
    task: 'multi-class',
    transform: chain<torch.Tensor>(RandomCrop(6), HFlip(0.5), ToTensor()),
    batchSize: 16,
    maxEpoch: epochs,
    optimizer: sgd({ lr: 0.05, momentum: 0.9 }),
    seed: 5,
    workers: 1,
    progress: false,
  })
    .setCheckpoint(checkpointDir, severalIteration(3), 2)
    .setResume(true);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [dir, epochs, images] = process.argv.slice(2) as [string, string, string | undefined];
  torch.manualSeed(11); // the same initial weights in every process
  let model: nn.Module;
  let est: Estimator;
  let frame: DataFrame;
  if (images) {
    model = new nn.Sequential(
      new nn.Flatten(),
      new nn.Linear(36, 16),
      new nn.ReLU(),
      new nn.Dropout(0.2),
      new nn.Linear(16, 3),
    );
    est = imageEstimator(model, dir, Number(epochs));
    const paths = (await readImages(images).collect()).map((r) => r.origin as string);
    frame = DataFrame.fromColumns({ origin: paths, label: paths.map((p) => Number(basename(p)[0])) });
  } else {
    model = blobModel();
    est = blobEstimator(model, dir, Number(epochs));
    frame = blobFrame(240, 3);
  }
  est.on('checkpoint', (e) => process.stdout.write(`checkpoint ${e.iteration}\n`));
  await est.fit(frame);
  process.stdout.write(`${JSON.stringify(weightsOf(model))}\n`);
}
