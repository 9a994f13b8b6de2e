/**
 * ResNet-50 data-parallel training step: 1 process with 2 threads (batch 2B) against 2 processes with 1
 * thread each (batch B each, DistributedDataParallel over Gloo on loopback), in the same run. In the two
 * workers it also times the same step without gradient reduction and one all-reduce of every gradient,
 * which gives the communication left exposed (not hidden behind backward) and the share overlapped.
 * Then a scaling model predicts the efficiency at 4, 16 and 64 nodes on 10/25/100 GbE.
 *
 *   npm run bench:ddp-step [-- --batch 4 --size 224 --steps 3]
 *
 * Last line: `exposed_comm <fraction of the step> efficiency_16_nodes_25gbe <predicted>`.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { DistributedDataParallel, initProcessGroup } from '../src/distributed/index.js';
import { models, nn, optim, torch } from '../src/index.js';
import { median } from './peer.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const B = arg('batch', 4);
const SIZE = arg('size', 224);
const STEPS = arg('steps', 3);
const BUCKET_MB = 25;

/** Seconds per call of `step` (median of STEPS after one warm-up). */
async function timeSteps(step: () => Promise<void>): Promise<number> {
  await step();
  const times: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    const t0 = performance.now();
    await step();
    times.push((performance.now() - t0) / 1000);
  }
  return median(times);
}

function setup(batch: number) {
  torch.manualSeed(0);
  const model = models.resnet50({ numClasses: 1000 });
  model.train();
  const lossFn = new nn.CrossEntropyLoss();
  const x = torch.keep(torch.randn([batch, 3, SIZE, SIZE]));
  const y = torch.keep(torch.randint(0, 1000, [batch]));
  return { model, lossFn, x, y };
}

/** The single-process case: prints {step} (seconds). */
async function single(): Promise<void> {
  const { model, lossFn, x, y } = setup(2 * B);
  const opt = optim.sgd({ lr: 0.01, momentum: 0.9 })(model.parameters());
  const step = async () =>
    torch.scope(() => {
      lossFn.forward(model.forward(x), y).backward();
      opt.step();
      opt.zeroGrad();
    });
  console.log(JSON.stringify({ step: await timeSteps(step) }));
}

/** One of the 2 data-parallel workers: rank 0 prints {local, ddp, allreduce, bytes, buckets}. */
async function worker(): Promise<void> {
  const pg = await initProcessGroup({ timeoutMs: 600_000 });
  const { model, lossFn, x, y } = setup(B);
  const ddp = await DistributedDataParallel.create(model, { bucketCapMB: BUCKET_MB });
  const opt = optim.sgd({ lr: 0.01, momentum: 0.9 })(model.parameters());
  const local = async () =>
    torch.scope(() => {
      lossFn.forward(model.forward(x), y).backward();
      opt.step();
      opt.zeroGrad();
    });
  const distributed = async () => {
    await torch.scope(async () => {
      lossFn.forward(ddp.forward(x), y).backward();
      await ddp.reduceGradients();
    });
    opt.step();
    opt.zeroGrad();
  };
  // Alternate the two kinds of step, so that both see the same load (the machine may be shared).
  await local();
  await distributed();
  const tl: number[] = [];
  const td: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    for (const [fn, out] of [
      [local, tl],
      [distributed, td],
    ] as const) {
      await pg.barrier();
      const t0 = performance.now();
      await fn();
      out.push((performance.now() - t0) / 1000);
    }
  }
  const tLocal = median(tl);
  const tDdp = median(td);
  const exposedSeconds = median(td.map((t, i) => t - (tl[i] as number)));
  const numel = model.parameters().reduce((a, p) => a + p.numel(), 0);
  const flat = torch.keep(torch.ones([numel]));
  await pg.barrier();
  const tAr = await timeSteps(() => pg.allReduce(flat));
  if (pg.rank === 0) {
    console.log(
      JSON.stringify({
        local: tLocal,
        ddp: tDdp,
        exposed: exposedSeconds,
        allreduce: tAr,
        bytes: numel * 4,
        buckets: ddp.buckets.map((b) => b.bytes),
      }),
    );
  }
  pg.destroy();
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

function run(args: string[], env: Record<string, string>[]): Promise<string[]> {
  return Promise.all(
    env.map(
      (e) =>
        new Promise<string>((resolve, reject) => {
          const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...args, ...process.argv.slice(2)], {
            stdio: ['ignore', 'pipe', 'inherit'],
            env: { ...process.env, ...e },
          });
          let out = '';
          child.stdout.on('data', (d: Buffer) => {
            out += d.toString();
          });
          child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`worker exited ${code}`))));
        }),
    ),
  );
}

const lastJson = <T>(s: string): T => JSON.parse(s.trim().split('\n').pop() as string) as T;

/**
 * Ring all-reduce of P bytes over N nodes: 2 (N-1)/N x P / bandwidth, plus 2 (N-1) message latencies per
 * bucket. Communication overlaps backward (taken as 2/3 of the step, PyTorch's usual split), except the
 * last bucket, which can only start when backward ends.
 */
export function predictEfficiency(o: {
  nodes: number;
  linkGbps: number;
  computeSeconds: number;
  bucketBytes: readonly number[];
  latencySeconds?: number;
  linkEfficiency?: number;
}): number {
  const n = o.nodes;
  const bw = (o.linkGbps * 1e9 * (o.linkEfficiency ?? 0.8)) / 8;
  const alpha = o.latencySeconds ?? 50e-6;
  const ring = (bytes: number) => (2 * (n - 1) * bytes) / n / bw + 2 * (n - 1) * alpha;
  const total = o.bucketBytes.reduce((a, b) => a + ring(b), 0);
  const last = ring(o.bucketBytes[o.bucketBytes.length - 1] ?? 0);
  const backward = (2 / 3) * o.computeSeconds;
  const exposed = Math.max(last, total - backward);
  return o.computeSeconds / (o.computeSeconds + exposed);
}

async function main(): Promise<void> {
  if (process.argv.includes('--single')) return single();
  if (process.argv.includes('--worker')) return worker();
  console.log(`ResNet-50, ${SIZE} px, SGD with momentum; ${STEPS} timed steps after one warm-up`);
  const [s] = await run(['--single'], [{ TSZOO_NUM_THREADS: '2', OMP_NUM_THREADS: '2' }]);
  const tSingle = lastJson<{ step: number }>(s as string).step;
  const port = String(await freePort());
  const env = (rank: number) => ({
    MASTER_ADDR: '127.0.0.1',
    MASTER_PORT: port,
    RANK: String(rank),
    WORLD_SIZE: '2',
    LOCAL_RANK: String(rank),
    LOCAL_WORLD_SIZE: '2',
    TSZOO_NUM_THREADS: '1',
    OMP_NUM_THREADS: '1',
  });
  const outs = await run(['--worker'], [env(0), env(1)]);
  const d = lastJson<{
    local: number;
    ddp: number;
    exposed: number;
    allreduce: number;
    bytes: number;
    buckets: number[];
  }>(outs[0] as string);
  const exposed = Math.max(0, d.exposed) / d.ddp;
  const hidden = Math.min(1, Math.max(0, 1 - d.exposed / d.allreduce));
  console.log(
    `1 process x 2 threads, batch ${2 * B}: ${tSingle.toFixed(3)} s/step, ${((2 * B) / tSingle).toFixed(2)} img/s`,
  );
  console.log(
    `2 processes x 1 thread, batch ${B} each (global ${2 * B}): ${d.ddp.toFixed(3)} s/step, ${((2 * B) / d.ddp).toFixed(2)} img/s (speed-up ${(tSingle / d.ddp).toFixed(2)})`,
  );
  console.log(
    `  same step without reduction: ${d.local.toFixed(3)} s; one all-reduce of all ${(d.bytes / 2 ** 20).toFixed(1)} MiB of gradients: ${d.allreduce.toFixed(3)} s`,
  );
  console.log(
    `  buckets: ${d.buckets.length} (${d.buckets.map((b) => (b / 2 ** 20).toFixed(1)).join(', ')} MiB, in launch order)`,
  );
  console.log(
    `  exposed communication ${(exposed * 100).toFixed(1)}% of the step; ${(hidden * 100).toFixed(0)}% of the all-reduce hidden behind backward`,
  );
  console.log(
    "\nScaling model (compute per step = each worker's step without reduction measured above; one worker per node):",
  );
  console.log('| nodes | 10 GbE | 25 GbE | 100 GbE |');
  console.log('| ---: | ---: | ---: | ---: |');
  let e16 = 0;
  for (const nodes of [4, 16, 64]) {
    const row = [10, 25, 100].map((g) =>
      predictEfficiency({ nodes, linkGbps: g, computeSeconds: d.local, bucketBytes: d.buckets }),
    );
    if (nodes === 16) e16 = row[1] as number;
    console.log(`| ${nodes} | ${row.map((e) => e.toFixed(3)).join(' | ')} |`);
  }
  console.log("(seed: BigDL's 75% at 16 nodes for the chest X-ray model; Horovod: 90% at 512 GPUs)");
  console.log(`exposed_comm ${exposed.toFixed(3)} efficiency_16_nodes_25gbe ${e16.toFixed(3)}`);
}

await main();
