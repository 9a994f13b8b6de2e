/**
 * All-reduce bus bandwidth between 2 processes on loopback, 1 KB to 100 MB: tszoo's ProcessGroup
 * (LibTorch c10d Gloo from the addon) against torch.distributed's gloo backend (Debian's PyTorch), both
 * measured in the same run, alternating, on the same interface (lo).
 *
 *   npm run bench:allreduce [-- --rounds 2]
 *
 * Bus bandwidth is NCCL's measure: 2 (n - 1) / n x bytes / time. Last line: `ratio_vs_pytorch <x>`,
 * tszoo's bus bandwidth over PyTorch's at 100 MB (median over rounds).
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initProcessGroup } from '../src/distributed/index.js';
import * as torch from '../src/tensor/index.js';
import { median, PYTHON } from './peer.js';

const SIZES = [1 << 10, 16 << 10, 256 << 10, 4 << 20, 25 << 20, 100 << 20];
const BUDGET = 2e8; // bytes reduced per size: many iterations of small ones, 3 of 100 MB

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** One tszoo worker: times every size, rank 0 prints {size: seconds}. */
async function worker(): Promise<void> {
  const pg = await initProcessGroup({ timeoutMs: 120_000 });
  const out: Record<string, number> = {};
  for (const size of SIZES) {
    const t = torch.keep(torch.ones([size / 4]));
    const iters = Math.max(3, Math.min(200, Math.floor(BUDGET / size)));
    for (let i = 0; i < 2; i++) await pg.allReduce(t);
    const times: number[] = [];
    for (let i = 0; i < iters; i++) {
      await pg.barrier();
      const t0 = performance.now();
      await pg.allReduce(t);
      times.push((performance.now() - t0) / 1000);
    }
    out[String(size)] = median(times);
    t.dispose();
  }
  if (pg.rank === 0) console.log(JSON.stringify(out));
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

/** Starts 2 workers of `cmd args` and resolves with rank 0's JSON. */
async function runPair(cmd: string, args: string[]): Promise<Record<string, number>> {
  const port = await freePort();
  const outputs = await Promise.all(
    [0, 1].map(
      (rank) =>
        new Promise<string>((resolve, reject) => {
          const child = spawn(cmd, args, {
            stdio: ['ignore', 'pipe', 'inherit'],
            env: {
              ...process.env,
              MASTER_ADDR: '127.0.0.1',
              MASTER_PORT: String(port),
              RANK: String(rank),
              WORLD_SIZE: '2',
              LOCAL_RANK: String(rank),
              LOCAL_WORLD_SIZE: '2',
              GLOO_SOCKET_IFNAME: 'lo',
              TSZOO_NUM_THREADS: '1',
              OMP_NUM_THREADS: '1',
            },
          });
          let out = '';
          child.stdout.on('data', (d: Buffer) => {
            out += d.toString();
          });
          child.on('exit', (code) =>
            code === 0 ? resolve(out) : reject(new Error(`${cmd} rank ${rank} exited ${code}`)),
          );
        }),
    ),
  );
  return JSON.parse((outputs[0] as string).trim().split('\n').pop() as string) as Record<string, number>;
}

const busBandwidth = (bytes: number, seconds: number) => (2 * (2 - 1) * bytes) / 2 / seconds;
const human = (b: number) => (b >= 1 << 20 ? `${b / (1 << 20)} MB` : `${b / 1024} KB`);

async function main(): Promise<void> {
  if (process.argv.includes('--worker')) return worker();
  const rounds = Number(arg('rounds') ?? 2);
  const self = fileURLToPath(import.meta.url);
  const py = join(dirname(self), '../../bench/allreduce.py');
  const ts: Record<string, number>[] = [];
  const pt: Record<string, number>[] = [];
  for (let r = 0; r < rounds; r++) {
    ts.push(await runPair(process.execPath, [self, '--worker']));
    pt.push(await runPair(PYTHON, [py, '--sizes', SIZES.join(','), '--budget', String(BUDGET)]));
  }
  console.log('| size | tszoo time | tszoo bus bandwidth | PyTorch time | PyTorch bus bandwidth | tszoo / PyTorch |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
  let ratio = 0;
  for (const size of SIZES) {
    const a = median(ts.map((x) => x[String(size)] as number));
    const b = median(pt.map((x) => x[String(size)] as number));
    const ba = busBandwidth(size, a) / 1e9;
    const bb = busBandwidth(size, b) / 1e9;
    ratio = ba / bb;
    console.log(
      `| ${human(size)} | ${(a * 1e3).toFixed(3)} ms | ${ba.toFixed(3)} GB/s | ${(b * 1e3).toFixed(3)} ms | ${bb.toFixed(3)} GB/s | ${ratio.toFixed(3)} |`,
    );
  }
  console.log(`ratio_vs_pytorch ${ratio.toFixed(3)}`);
}

await main();
