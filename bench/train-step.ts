/**
 * Training throughput: images/s of full steps (forward, BCE-with-logits over 14 outputs, backward, Adam)
 * for tszoo's model and torchvision's (Debian's python3-torchvision), same threads, batch and input,
 * alternating rounds in one run; peak RSS of each process too.
 *
 *   npm run bench:train-step -- --model resnet50 --batch 8 --size 224
 *   npm run bench:train-step                        (resnet50, resnet18 and the small CNN)
 *
 * Last line: `ratio_vs_pytorch <tszoo_img_s / pytorch_img_s>` for the resnet50 case (or the one asked).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { smallCnn } from '../examples/fashion-mnist/recipe.js';
import { models, nn, torch } from '../src/index.js';
import { Adam } from '../src/optim/index.js';
import { median, runPythonPeer } from './peer.js';

interface Case {
  model: 'resnet50' | 'resnet18' | 'small-cnn';
  batch: number;
  size: number;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Runs in a child process (so its peak RSS is its own): prints images/s and peak RSS as JSON. */
function measureTszoo(c: Case, steps: number, warmup: number): void {
  torch.manualSeed(0);
  const model = c.model === 'small-cnn' ? smallCnn(14, c.size) : models[c.model]({ numClasses: 14 });
  model.train();
  const optimizer = new Adam(model.parameters(), { lr: 1e-4 });
  const lossFn = new nn.BCEWithLogitsLoss();
  const x = torch.keep(torch.randn([c.batch, c.model === 'small-cnn' ? 1 : 3, c.size, c.size]));
  const y = torch.keep(torch.scope(() => torch.rand([c.batch, 14]).gt(0.8).float()));
  const step = () =>
    torch.scope(() => {
      optimizer.zeroGrad();
      const loss = lossFn.forward(model.forward(x), y);
      loss.backward();
      optimizer.step();
      return loss.item();
    });
  for (let i = 0; i < warmup; i++) step();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    JSON.stringify({ images_per_s: (c.batch * steps) / seconds, peak_rss_mib: process.resourceUsage().maxRSS / 1024 }),
  );
}

interface Result {
  images_per_s: number;
  peak_rss_mib: number;
}

function runCase(c: Case, rounds: number): { ts: Result; py: Result } {
  const steps = c.model === 'small-cnn' ? 30 : 4;
  const warmup = 2;
  const threads = torch.getNumThreads();
  const ts: Result[] = [];
  const py: Result[] = [];
  for (let r = 0; r < rounds; r++) {
    const child = spawnSync(
      process.execPath,
      [
        fileURLToPath(import.meta.url),
        '--child',
        c.model,
        String(c.batch),
        String(c.size),
        String(steps),
        String(warmup),
      ],
      { encoding: 'utf8', env: { ...process.env, TSZOO_NUM_THREADS: String(threads) } },
    );
    if (child.status !== 0) throw new Error(`tszoo child failed: ${child.stderr}`);
    ts.push(JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}'));
    py.push(
      runPythonPeer<Result>('train_step', { model: c.model, batch: c.batch, size: c.size, threads, steps, warmup }),
    );
  }
  const pick = (rs: Result[]) => ({
    images_per_s: median(rs.map((r) => r.images_per_s)),
    peak_rss_mib: median(rs.map((r) => r.peak_rss_mib)),
  });
  return { ts: pick(ts), py: pick(py) };
}

if (process.argv[2] === '--child') {
  const [, , , model, batch, size, steps, warmup] = process.argv;
  measureTszoo(
    { model: model as Case['model'], batch: Number(batch), size: Number(size) },
    Number(steps),
    Number(warmup),
  );
} else {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const asked = arg('model');
  const cases: Case[] = asked
    ? [{ model: asked as Case['model'], batch: Number(arg('batch') ?? 8), size: Number(arg('size') ?? 224) }]
    : [
        { model: 'small-cnn', batch: 64, size: 28 },
        { model: 'resnet18', batch: 8, size: 224 },
        { model: 'resnet50', batch: 8, size: 224 },
      ];
  console.log(
    `training step throughput, ${torch.getNumThreads()} threads, Adam + BCE-with-logits (14), medians of ${rounds} rounds`,
  );
  let last = 1;
  for (const c of cases) {
    const { ts, py } = runCase(c, rounds);
    last = ts.images_per_s / py.images_per_s;
    console.log(
      `${`${c.model} batch ${c.batch} ${c.size}px`.padEnd(28)} tszoo ${ts.images_per_s.toFixed(1).padStart(7)} img/s (peak ${ts.peak_rss_mib.toFixed(0)} MiB)   pytorch ${py.images_per_s.toFixed(1).padStart(7)} img/s (peak ${py.peak_rss_mib.toFixed(0)} MiB)   ratio ${last.toFixed(3)}`,
    );
  }
  console.log(`ratio_vs_pytorch ${last.toFixed(3)}`);
}
