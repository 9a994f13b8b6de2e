import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { torch } from '../index.js';

const indexUrl = new URL('../index.js', import.meta.url).href;

/** Starts a worker that imports tszoo and runs `body` (an async function body with `tszoo` in scope). */
function runInWorker<T>(body: string): Promise<T> {
  const code = `
    const { parentPort } = require('node:worker_threads');
    import(${JSON.stringify(indexUrl)}).then(async (tszoo) => {
      const result = await (async () => { ${body} })();
      parentPort.postMessage(result);
    });`;
  return new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true });
    w.once('message', (m: T) => resolve(m));
    w.once('error', reject);
    w.once('exit', (c) => c !== 0 && reject(new Error(`worker exit ${c}`)));
  });
}

describe('worker threads', () => {
  it('loads the addon in several workers at once, each computing the same values as the main thread', async () => {
    const body = `
      const { torch } = tszoo;
      const a = torch.arange(4096, { dtype: 'float32' }).reshape([64, 64]).sin();
      const s = torch.matmul(a, a.t()).relu().sum().item();
      const m = tszoo.torch.memory();
      return { s, tensors: m.tensors, threads: torch.getNumThreads() };`;
    const results = await Promise.all(
      [0, 1, 2].map(() => runInWorker<{ s: number; tensors: number; threads: number }>(body)),
    );
    const expected = torch.scope(() => {
      // no RNG: LibTorch's default generator is one per process, shared by the workers drawing at once
      const a = torch.arange(4096, { dtype: 'float32' }).reshape([64, 64]).sin();
      return torch.matmul(a, a.t()).relu().sum().item();
    });
    for (const r of results) {
      // bit for bit: the same ops on the same shapes, one process, the same thread count in every thread
      assert.equal(r.s, expected);
      assert.ok(r.tensors >= 1, 'counters are per worker');
      assert.ok(r.threads >= 1);
    }
  });

  it('keeps the main event loop responsive while a worker trains', async () => {
    // a least-squares fit by SGD in the worker (4096 rows, 64 features, 2000 steps: about a second of
    // synchronous engine work there), while the main thread's timer must keep ticking
    const body = `
      const { torch } = tszoo;
      torch.manualSeed(3);
      const x = torch.randn([4096, 64]);
      const wTrue = torch.randn([64, 1]);
      const y = torch.matmul(x, wTrue);
      const w = torch.zeros([64, 1]).requiresGrad_();
      const lossOf = () => torch.matmul(x, w).sub(y).pow(2).mean();
      const initialLoss = torch.scope(() => lossOf().item());
      for (let step = 0; step < 2000; step++) {
        torch.scope(() => {
          const loss = lossOf();
          loss.backward();
          torch.noGrad(() => w.sub_(w.grad, { alpha: 0.05 }));
          w.grad = null;
        });
      }
      const finalLoss = torch.scope(() => lossOf().item());
      for (const t of [x, wTrue, y, w]) t.dispose();
      return { initialLoss, finalLoss, liveTensors: torch.memory().tensors };`;
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const started = performance.now();
    let done: { initialLoss: number; finalLoss: number; liveTensors: number };
    try {
      done = await runInWorker(body);
    } finally {
      clearInterval(timer);
    }
    const seconds = (performance.now() - started) / 1000;
    assert.ok(done.finalLoss < done.initialLoss / 5, `loss fell ${done.initialLoss} -> ${done.finalLoss}`);
    assert.equal(done.liveTensors, 0, 'the training loop left no tensors behind');
    // 10 ms timer: a blocked loop would tick about once; a free one about 100 times a second.
    assert.ok(ticks >= (seconds * 100) / 4, `${ticks} ticks in ${seconds.toFixed(2)} s`);
  });

  it('survives terminating a worker in the middle of engine work', async () => {
    const before = torch.memory().tensors;
    const code = `
      const { parentPort } = require('node:worker_threads');
      import(${JSON.stringify(indexUrl)}).then(({ torch }) => {
        parentPort.postMessage('started');
        const keep = [];
        for (;;) { keep.push(torch.randn([256, 256]).matmul(torch.randn([256, 256]))); if (keep.length > 50) keep.shift(); }
      });`;
    const w = new Worker(code, { eval: true });
    await new Promise((r) => w.once('message', r));
    await new Promise((r) => setTimeout(r, 100));
    const exitCode = await w.terminate();
    assert.equal(exitCode, 1);
    assert.equal(torch.memory().tensors, before, "the main thread's counters are untouched");
    torch.scope(() => assert.equal(torch.ones([3]).sum().item(), 3));
  });
});
