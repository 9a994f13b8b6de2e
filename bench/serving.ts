/**
 * Serving overhead: ResNet-18 (random weights, 1000 classes) at 224 px, PNG requests from a bounded
 * closed-loop load generator on loopback against (a) in-process InferenceModel.predictOne, (b) the HTTP
 * frontend in this process, (c) HTTP + Redis Streams + 2 worker processes. Every setup uses 2 model copies
 * x 1 LibTorch thread (this machine's 2 cores), maxBatch 8. Prints throughput, p50/p99 latency and the
 * batch sizes formed per concurrency level ((c): read from Redis, where the workers count them). Then
 * `p99_overhead_ms <p99 of (c) - p99 of (a)>` at the concurrency where (a) saturates (the fewest clients
 * at which (a) reaches 95% of its best throughput: past it, more clients only queue). Last line:
 * `ratio_vs_inprocess <(c) / (a) throughput at the highest concurrency>`.
 *
 *   npm run bench:serving          (BENCH_SECONDS=6 per level, BENCH_LEVELS=1,4,16)
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { ChannelNormalize, ToTensor } from '../src/data/image/photometric.js';
import { chain } from '../src/data/image/transform.js';
import { resnet18 } from '../src/models/resnet.js';
import { Model } from '../src/pipeline/model.js';
import { InputQueue } from '../src/serving/cluster/queues.js';
import { RedisPredictor } from '../src/serving/cluster/redis-predictor.js';
import type { WorkerProcessConfig } from '../src/serving/cluster/worker-process.js';
import { startServer } from '../src/serving/http/server.js';
import { InferenceModel } from '../src/serving/inference-model.js';
import { startRedisServer } from '../src/serving/redis-server.testutil.js';
import * as torch from '../src/tensor/index.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 6);
const levels = (process.env.BENCH_LEVELS ?? '1,4,16').split(',').map(Number);
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

interface Run {
  throughput: number;
  p50: number;
  p99: number;
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** `clients` loops each sending a request as soon as its previous one is answered, for `seconds`. */
async function load(clients: number, send: () => Promise<void>): Promise<Run> {
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        const s = performance.now();
        await send();
        latencies.push(performance.now() - s);
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return { throughput: latencies.length / elapsed, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
}

function sizes(before: Map<number, number>, after: ReadonlyMap<number, number>): string {
  const parts: string[] = [];
  for (const [size, n] of [...after].sort((a, b) => a[0] - b[0])) {
    const d = n - (before.get(size) ?? 0);
    if (d > 0) parts.push(`${size}x${d}`);
  }
  return parts.join(' ') || '-';
}

const dir = mkdtempSync(join(tmpdir(), 'tszoo-bench-serving-'));
torch.manualSeed(0);
const transform = chain<torch.Tensor>(ChannelNormalize(MEAN, STD), ToTensor());
await new Model(resnet18({ numClasses: 1000 }), {
  task: 'multi-class',
  transform,
  featureShape: [3, 224, 224],
  decode: { colour: 'rgb', resize: 256, centerCrop: 224 },
}).save(join(dir, 'resnet18'));
const modelDir = join(dir, 'resnet18');
const pixels = Buffer.from(Array.from({ length: 256 * 256 * 3 }, (_, i) => (i * 31 + (i >> 9)) % 256));
const png = new Uint8Array(
  await sharp(pixels, { raw: { width: 256, height: 256, channels: 3 } })
    .png()
    .toBuffer(),
);

const options = { concurrency: 2, threadsPerWorker: 1, maxBatch: 8, maxDelayMs: 2, transform };
const model = await InferenceModel.load(modelDir, options);
const server = await startServer({ models: { resnet18: model }, port: 0, bodyLimit: 8 * 1024 * 1024 });
const post = async (url: string) => {
  const r = await fetch(url, { method: 'POST', body: png, headers: { 'content-type': 'image/png' } });
  if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${await r.text()}`);
  await r.arrayBuffer();
};

const redis = await startRedisServer();
const workers: ChildProcess[] = [];
const config: WorkerProcessConfig = {
  model: modelDir,
  redisUrl: redis.url,
  threadsPerWorker: 1,
  maxBatch: 8,
  maxDelayMs: 2,
};
for (let i = 0; i < 2; i++) {
  const child = fork(new URL('../src/serving/cluster/worker-process.js', import.meta.url), [JSON.stringify(config)]);
  await new Promise<void>((resolve, reject) => {
    child.once('message', (m: { type: string; message?: string }) =>
      m.type === 'ready' ? resolve() : reject(new Error(m.message)),
    );
  });
  workers.push(child);
}
const queue = new InputQueue(redis.url, { maxLength: 10_000 });
const remote = new RedisPredictor(queue);
const front = await startServer({
  models: { resnet18: remote },
  port: 0,
  bodyLimit: 8 * 1024 * 1024,
});

// warm up every path (kernels for every batch size the levels will form)
await load(16, () => model.predictOne(png).then(() => {}));
await load(4, () => post(`${front.url}/v1/models/resnet18/predict`));

console.log(`ResNet-18, 224 px PNG requests, 2 copies x 1 thread, maxBatch 8, ${seconds} s per level`);
console.log('| setup | clients | req/s | p50 ms | p99 ms | batches formed (in-process) |');
console.log('| --- | ---: | ---: | ---: | ---: | --- |');
const results: Record<string, Run> = {};
for (const clients of levels) {
  const setups: [string, () => Promise<void>][] = [
    ['(a) in-process', () => model.predictOne(png).then(() => {})],
    ['(b) HTTP', () => post(`${server.url}/v1/models/resnet18/predict`)],
    ['(c) HTTP+Redis+2 workers', () => post(`${front.url}/v1/models/resnet18/predict`)],
  ];
  for (const [name, send] of setups) {
    const viaRedis = name.startsWith('(c)');
    if (viaRedis) await remote.refresh();
    const before = new Map(viaRedis ? remote.batchSizes : model.batchSizes);
    const r = await load(clients, send);
    results[`${name}@${clients}`] = r;
    if (viaRedis) await remote.refresh();
    const formed = sizes(before, viaRedis ? remote.batchSizes : model.batchSizes);
    console.log(
      `| ${name} | ${clients} | ${r.throughput.toFixed(1)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${formed} |`,
    );
  }
}
const top = levels[levels.length - 1];
const a = results[`(a) in-process@${top}`] as Run;
const c = results[`(c) HTTP+Redis+2 workers@${top}`] as Run;
const inProcess = (n: number) => results[`(a) in-process@${n}`] as Run;
const best = Math.max(...levels.map((n) => inProcess(n).throughput));
const saturated = levels.find((n) => inProcess(n).throughput >= 0.95 * best) as number;
const sa = inProcess(saturated);
const sc = results[`(c) HTTP+Redis+2 workers@${saturated}`] as Run;
console.log(
  `(a) saturates at ${saturated} clients (${sa.throughput.toFixed(1)} req/s, best ${best.toFixed(1)}); there ` +
    `p99 (a) ${sa.p99.toFixed(1)} ms, (c) ${sc.p99.toFixed(1)} ms; p50 (a) ${sa.p50.toFixed(1)} ms, (c) ${sc.p50.toFixed(1)} ms`,
);
console.log(`p99_overhead_ms ${(sc.p99 - sa.p99).toFixed(1)}`);

await front.close();
await queue.close();
for (const w of workers) {
  const exited = new Promise((r) => w.once('exit', r));
  w.kill('SIGTERM');
  await exited;
}
await redis.stop();
await server.close();
await model.close();
rmSync(dir, { recursive: true, force: true });
console.log(`ratio_vs_inprocess ${(c.throughput / a.throughput).toFixed(3)}`);
