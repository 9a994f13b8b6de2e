/**
 * Serving overhead: ResNet-18 (random weights, 1000 classes) at 224 px, PNG requests from a bounded
 * closed-loop load generator on loopback against (a) in-process InferenceModel.predictOne, (b) the HTTP
 * frontend in this process, (c) HTTP + Redis Streams + 2 worker processes. Every setup uses 2 model copies
 * x 1 LibTorch thread (this machine's 2 cores), maxBatch 8, and is warmed up the same way (its own round
 * at the highest concurrency, so that every batch size has run in every copy). Each round runs its clients
 * for a ramp (requests started in it are not counted: every client starts at once) and then BENCH_SECONDS.
 * Requests are sent with node:http over kept-alive connections. Prints throughput, p50/p99 latency, CPU milliseconds per request (this process, plus the workers and
 * redis-server for (c)) and the batch sizes formed per concurrency level ((c): read from Redis, where the
 * workers count them).
 *
 * The two goals are judged on pooled rounds, not on one: at the concurrency where (a) saturates (the
 * fewest clients at which (a) reaches 95% of its best throughput: past it, more clients only queue)
 * BENCH_ROUNDS more rounds of (a) and (c) alternate (a c, c a, ...: a slow spell of a shared machine falls
 * on both), and their latencies are pooled with the table's: `p99_overhead_ms <p99 of (c) - p99 of (a)>`
 * over all of them. One round's p99 is the 5th-worst of a few hundred requests, which come in batches of up
 * to 8: a single slow batch moved it by tens of ms. The same is done at the highest concurrency (the rounds
 * are shared when it is the saturation point) for the last line, `ratio_vs_inprocess <(c) / (a) requests
 * per second>`.
 *
 *   npm run bench:serving    (BENCH_SECONDS=6 per round, BENCH_LEVELS=1,4,8,16, BENCH_ROUNDS=3)
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { ChannelNormalize, ToTensor } from '../src/data/image/photometric.js';
import { chain } from '../src/data/image/transform.js';
import { resnet18 } from '../src/models/resnet.js';
import { percentileOfSorted } from '../src/pipeline/metrics/bootstrap.js';
import { Model } from '../src/pipeline/model.js';
import { InputQueue } from '../src/serving/cluster/queues.js';
import { RedisPredictor } from '../src/serving/cluster/redis-predictor.js';
import type { WorkerProcessConfig } from '../src/serving/cluster/worker-process.js';
import { startServer } from '../src/serving/http/server.js';
import { InferenceModel } from '../src/serving/inference-model.js';
import { startRedisServer } from '../src/serving/redis-server.testutil.js';
import * as torch from '../src/tensor/index.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 6);
const levels = (process.env.BENCH_LEVELS ?? '1,4,8,16').split(',').map(Number);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
/** seconds each round's clients run before their requests count */
const ramp = Math.min(1, seconds / 4);
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

/** One round: latencies (ms, sorted) of the requests started after the ramp, over `seconds`. */
interface Run {
  latencies: number[];
  seconds: number;
  /** CPU ms per request (every request of the round, ramp included) of the processes serving it */
  cpuMs: number;
}

const stats = (r: Run) => ({
  throughput: r.latencies.length / r.seconds,
  p50: percentileOfSorted(r.latencies, 0.5),
  p99: percentileOfSorted(r.latencies, 0.99),
});

/** Rounds pooled: their latencies together, their seconds summed. */
function pool(runs: Run[]): Run {
  const latencies = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const cpuMs = runs.reduce((a, r) => a + r.cpuMs, 0) / runs.length;
  return { latencies, seconds: runs.reduce((a, r) => a + r.seconds, 0), cpuMs };
}

/** CPU seconds (user + system) a process used so far, from /proc (NaN where it cannot be read). */
function cpuSeconds(pid: number): number {
  if (pid === process.pid) {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return Number.NaN;
  }
}

/**
 * `clients` loops each sending a request as soon as its previous one is answered, for the ramp and then
 * `seconds`; `pids` are the processes whose CPU time the round is charged.
 */
async function load(clients: number, send: () => Promise<void>, pids: number[]): Promise<Run> {
  const latencies: number[] = [];
  let requests = 0;
  const cpu0 = pids.map(cpuSeconds);
  const t0 = performance.now();
  const from = t0 + ramp * 1000;
  const end = from + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        const s = performance.now();
        await send();
        requests++;
        if (s >= from) latencies.push(performance.now() - s);
      }
    }),
  );
  const cpu = pids.map(cpuSeconds).reduce((a, c, i) => a + c - (cpu0[i] as number), 0);
  latencies.sort((a, b) => a - b);
  return { latencies, seconds, cpuMs: (cpu * 1000) / requests };
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
// The load generator shares the 2 cores with what it measures, so it should cost little: node:http with
// kept-alive connections costs a fraction of fetch's (undici, web streams) CPU per request
// (BENCH_CLIENT=fetch for fetch).
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const postHttp = (url: string) =>
  new Promise<void>((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'image/png', 'content-length': png.byteLength } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve()
            : reject(new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString()}`)),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(png);
  });
const postFetch = async (url: string) => {
  const r = await fetch(url, { method: 'POST', body: png, headers: { 'content-type': 'image/png' } });
  if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${await r.text()}`);
  await r.arrayBuffer();
};
const post = process.env.BENCH_CLIENT === 'fetch' ? postFetch : postHttp;

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

const top = levels[levels.length - 1] as number;
const inProcessPids = [process.pid];
const clusterPids = [process.pid, ...workers.map((w) => w.pid as number), redis.pid as number];
type Setup = {
  name: string;
  send: () => Promise<void>;
  pids: number[];
  batchSizes: () => Promise<ReadonlyMap<number, number>>;
};
const A: Setup = {
  name: '(a) in-process',
  send: () => model.predictOne(png).then(() => {}),
  pids: inProcessPids,
  batchSizes: async () => new Map(model.batchSizes),
};
const B: Setup = {
  name: '(b) HTTP',
  send: () => post(`${server.url}/v1/models/resnet18/predict`),
  pids: inProcessPids,
  batchSizes: A.batchSizes,
};
const C: Setup = {
  name: '(c) HTTP+Redis+2 workers',
  send: () => post(`${front.url}/v1/models/resnet18/predict`),
  pids: clusterPids,
  batchSizes: async () => {
    await remote.refresh();
    return new Map(remote.batchSizes);
  },
};

/** One round of a setup, with the batch sizes it formed. */
async function round(setup: Setup, clients: number): Promise<{ run: Run; formed: string }> {
  const before = await setup.batchSizes();
  const run = await load(clients, setup.send, setup.pids);
  return { run, formed: sizes(new Map(before), await setup.batchSizes()) };
}

// warm up every setup alike, at the highest concurrency (every batch size runs in every model copy)
for (const setup of [A, B, C]) await load(top, setup.send, setup.pids);

const isa = torch.backends.cpu.capability().summary;
console.log(
  `ResNet-18, 224 px PNG requests, 2 copies x 1 thread, maxBatch 8, ${seconds} s per round after a ${ramp} s ramp`,
);
console.log(`isa ${isa}`);
console.log('| setup | clients | req/s | p50 ms | p99 ms | CPU ms/req | batches formed |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
const results = new Map<string, Run>();
const row = (setup: Setup, clients: number, r: Run, formed: string) => {
  const s = stats(r);
  console.log(
    `| ${setup.name} | ${clients} | ${s.throughput.toFixed(1)} | ${s.p50.toFixed(1)} | ${s.p99.toFixed(1)} | ${r.cpuMs.toFixed(1)} | ${formed} |`,
  );
};
for (const clients of levels) {
  for (const setup of [A, B, C]) {
    const { run, formed } = await round(setup, clients);
    results.set(`${setup.name}@${clients}`, run);
    row(setup, clients, run, formed);
  }
}

const best = Math.max(...levels.map((n) => stats(results.get(`${A.name}@${n}`) as Run).throughput));
const saturated = levels.find((n) => stats(results.get(`${A.name}@${n}`) as Run).throughput >= 0.95 * best) as number;

/** The table's rounds of (a) and (c) at `clients`, and `rounds` more of each, alternating. */
async function pooled(clients: number): Promise<{ a: Run[]; c: Run[] }> {
  const a = [results.get(`${A.name}@${clients}`) as Run];
  const c = [results.get(`${C.name}@${clients}`) as Run];
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? [C, A] : [A, C]; // the table ran (a) before (c)
    for (const setup of order) {
      const { run, formed } = await round(setup, clients);
      (setup === A ? a : c).push(run);
      row(setup, clients, run, formed);
    }
  }
  return { a, c };
}

console.log(`\nRounds pooled, ${rounds} more of (a) and (c) alternating:`);
const atSaturation = await pooled(saturated);
const atTop = saturated === top ? atSaturation : await pooled(top);
const sa = stats(pool(atSaturation.a));
const sc = stats(pool(atSaturation.c));
const perRound = atSaturation.c.map((r, i) => (stats(r).p99 - stats(atSaturation.a[i] as Run).p99).toFixed(1));
console.log(
  `(a) saturates at ${saturated} clients (best ${best.toFixed(1)} req/s); pooled over ${atSaturation.a.length} rounds ` +
    `(${pool(atSaturation.a).latencies.length} / ${pool(atSaturation.c).latencies.length} requests): ` +
    `p99 (a) ${sa.p99.toFixed(1)} ms, (c) ${sc.p99.toFixed(1)} ms; p50 (a) ${sa.p50.toFixed(1)} ms, (c) ${sc.p50.toFixed(1)} ms; ` +
    `p99 (c) - (a) of each round: ${perRound.join(', ')}`,
);
console.log(`p99_overhead_ms ${(sc.p99 - sa.p99).toFixed(1)}`);
const ta = pool(atTop.a);
const tc = pool(atTop.c);
console.log(
  `at ${top} clients, pooled: (a) ${stats(ta).throughput.toFixed(1)} req/s, ${ta.cpuMs.toFixed(1)} CPU ms/req; ` +
    `(c) ${stats(tc).throughput.toFixed(1)} req/s, ${tc.cpuMs.toFixed(1)} CPU ms/req`,
);

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
console.log(`ratio_vs_inprocess ${(stats(tc).throughput / stats(ta).throughput).toFixed(3)}`);
