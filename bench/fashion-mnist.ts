/**
 * Epoch time of the Fashion-MNIST example's training (small CNN, batch 64, Adam + cosine, HFlip +
 * normalize, data loading included) in tszoo's Estimator and in PyTorch (bench/fashion_mnist.py, a
 * torchvision-style Dataset and DataLoader), same threads, alternating rounds in one run.
 *
 *   npm run bench:fashion-mnist -- [--rounds 2] [--limit 0] [--workers 0]
 *
 * Last line: `ratio_vs_pytorch <pytorch_s / tszoo_s>` (median epoch seconds; > 1 means tszoo is faster).
 */

import { fashionMnistFrame, smallCnn } from '../examples/fashion-mnist/recipe.js';
import { FASHION_MNIST_CLASSES } from '../src/data/datasets/fashion-mnist.js';
import { ChannelNormalize, chain, HFlip, ToFloat, ToTensor } from '../src/data/image/transforms.js';
import { torch } from '../src/index.js';
import { adam, Cosine } from '../src/optim/index.js';
import { Estimator } from '../src/pipeline/estimator.js';
import { median, runPythonPeer } from './peer.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const rounds = arg('rounds', 2);
const limit = arg('limit', 0);
const workers = arg('workers', 0);
const batch = 64;
const threads = torch.getNumThreads();
const train = await fashionMnistFrame('train', limit);
const images = await train.count();

async function tszooEpoch(): Promise<number> {
  torch.manualSeed(1);
  const model = smallCnn();
  const est = new Estimator(model, {
    task: 'multi-class',
    featuresCol: 'data',
    classNames: [...FASHION_MNIST_CLASSES],
    transform: chain(HFlip(0.5), ToFloat(), ChannelNormalize(0.286, 0.353), ToTensor()),
    batchSize: batch,
    maxEpoch: 1,
    optimizer: adam({ lr: 0.002, schedule: new Cosine({ period: Math.ceil(images / batch) }) }),
    progress: false,
  });
  const fitted = await est.fit(train);
  model.dispose();
  return fitted.history?.epochs[0]?.seconds ?? Number.NaN;
}

const ours: number[] = [];
const theirs: number[] = [];
console.log(
  `Fashion-MNIST epoch, ${images} images, batch ${batch}, ${threads} threads, PyTorch DataLoader workers ${workers}`,
);
for (let r = 0; r < rounds; r++) {
  ours.push(await tszooEpoch());
  const py = runPythonPeer<{ epoch_seconds: number[] }>('fashion_mnist', { epochs: 1, batch, threads, limit, workers });
  theirs.push(py.epoch_seconds[0] as number);
  console.log(`round ${r + 1}: tszoo ${ours.at(-1)?.toFixed(1)} s, pytorch ${theirs.at(-1)?.toFixed(1)} s`);
}
const t = median(ours);
const p = median(theirs);
console.log(
  `tszoo ${t.toFixed(1)} s/epoch (${(images / t).toFixed(0)} img/s), pytorch ${p.toFixed(1)} s/epoch (${(images / p).toFixed(0)} img/s)`,
);
console.log(`ratio_vs_pytorch ${(p / t).toFixed(3)}`);
