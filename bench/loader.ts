/**
 * Input pipeline throughput: decode 1024x1024 grey PNGs, resize to 256, center-crop 224, flip,
 * normalise and batch (32), tszoo's FrameDataset + DataLoader (PNG fast path in 2 decode worker threads,
 * inflate on libuv's pool) vs a torchvision DataLoader (PIL, 2 worker processes) on the same files,
 * alternating rounds.
 * Last line: `ratio_vs_pytorch <tszoo_img_s / pytorch_img_s>`. Run: npm run bench:loader
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { data, type torch } from '../src/index.js';
import { median, runPythonPeer } from './peer.js';

const count = Number(process.env.BENCH_IMAGES ?? 128);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const folder = join(tmpdir(), `tszoo-bench-loader-grey-${count}`);

async function ensureImages(): Promise<void> {
  if (existsSync(folder) && readdirSync(folder).filter((f) => f.endsWith('.png')).length === count) return;
  mkdirSync(folder, { recursive: true });
  console.log(`writing ${count} synthetic 1024x1024 grey PNGs to ${folder}`);
  const root = join(folder, 'cxr');
  await data.generateSyntheticCxr(root, { count, size: 1024, seed: 1 });
  // the generator's files as they are: 8-bit grey PNGs (re-encoding through sharp would make them RGB)
  for (const f of readdirSync(join(root, 'images'))) copyFileSync(join(root, 'images', f), join(folder, f));
}

/**
 * tszoo's pipeline; its 2 decode workers (the peer's DataLoader has 2 worker processes) live as long as the
 * dataset, across rounds, as persistent workers do: round 1 includes starting them and V8 compiling their
 * code. The peer keeps its workers too (persistent_workers) and reports its second epoch; tszoo runs an
 * untimed warm-up epoch first, so neither side's timed figures pay process start-up.
 */
function tszooPipeline(): data.FrameDataset {
  const samples = readdirSync(folder)
    .filter((f) => f.endsWith('.png'))
    .sort()
    .map((f) => ({ path: join(folder, f), label: 0 }));
  // Resize(256) + CenterCrop(224) as one decode step (the same pixels: decodeImage's tests pin it to
  // torchvision's), so only the kept 224 x 224 are resized
  const transform = data.chain<torch.Tensor>(
    data.HFlip(0.5),
    data.ToFloat(),
    data.ChannelNormalize([0.5], [0.25]),
    data.ToTensor(),
  );
  return data.FrameDataset.fromRows(samples, {
    features: 'path',
    label: 'label',
    transform,
    decode: { colour: 'grey', resize: 256, centerCrop: 224 },
    seed: 1,
    workers: 2,
  });
}

async function tszooRound(dataset: data.FrameDataset, epoch: number): Promise<number> {
  const loader = new data.DataLoader(dataset, { batchSize: 32, prefetch: 3 });
  const t0 = performance.now();
  let n = 0;
  for await (const batch of loader.epoch(epoch)) {
    n += (batch.tensors[0] as torch.Tensor).size(0);
    batch.dispose();
  }
  if (dataset.errors.length) throw new Error(`decode errors: ${dataset.errors[0]?.message}`);
  return n / ((performance.now() - t0) / 1000);
}

await ensureImages();
const ts: number[] = [];
const py: number[] = [];
const dataset = tszooPipeline();
// an untimed epoch first: worker start-up and V8's compilation, as the peer's untimed first epoch
const warmUp = await tszooRound(dataset, rounds);
for (let r = 0; r < rounds; r++) {
  ts.push(await tszooRound(dataset, r));
  py.push(runPythonPeer<{ images_per_s: number }>('loader', { folder, batch: 32, workers: 2 }).images_per_s);
}
await dataset.close();
console.log(
  `tszoo rounds ${ts.map((x) => x.toFixed(1)).join(' ')} (untimed warm-up ${warmUp.toFixed(1)})   torchvision rounds ${py.map((x) => x.toFixed(1)).join(' ')}`,
);
console.log(`input pipeline, ${count} PNGs 1024x1024 -> 224, batch 32, medians of ${rounds} rounds`);
console.log(
  `tszoo (PNG fast path, 2 workers) ${median(ts).toFixed(1)} img/s   torchvision DataLoader (PIL, 2 workers) ${median(py).toFixed(1)} img/s`,
);
console.log(`ratio_vs_pytorch ${(median(ts) / median(py)).toFixed(3)}`);
