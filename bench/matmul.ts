/**
 * GFLOP/s of a 2048x2048 sgemm and of a ResNet 3x3 convolution (batch 8, 64->64 channels, 56x56,
 * padding 1), tszoo vs PyTorch (Debian's python3-torch) on the same threads. Same kernels underneath
 * (OpenBLAS, oneDNN), so the ratio should be about 1. Last line: `ratio_vs_pytorch <tszoo / PyTorch>`
 * (geometric mean of the two). Run: npm run bench:matmul
 */
import { torch } from '../src/index.js';
import { geometricMean, median, runPythonPeer } from './peer.js';

const threads = torch.getNumThreads();
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const n = 2048;
const repeats = 5;

function gflops(fn: () => void, flops: number): number {
  fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    fn();
    times.push((performance.now() - t0) / 1000);
  }
  return flops / median(times) / 1e9;
}

torch.manualSeed(0);
const a = torch.randn([n, n]);
const b = torch.randn([n, n]);
const x = torch.randn([8, 64, 56, 56]);
const w = torch.randn([64, 64, 3, 3]);
const ts = { sgemm: [] as number[], conv: [] as number[] };
const py = { sgemm: [] as number[], conv: [] as number[] };
for (let r = 0; r < rounds; r++) {
  torch.noGrad(() => {
    ts.sgemm.push(gflops(() => torch.scope(() => void torch.mm(a, b)), 2 * n ** 3));
    ts.conv.push(gflops(() => torch.scope(() => void torch.conv2d(x, w, null, 1, 1)), 2 * 8 * 64 * 56 * 56 * 64 * 9));
  });
  const p = runPythonPeer<{ sgemm: number; conv3x3: number }>('matmul', { threads, n, repeats });
  py.sgemm.push(p.sgemm);
  py.conv.push(p.conv3x3);
}
const row = (name: string, t: number, p: number) =>
  console.log(
    `${name.padEnd(34)} tszoo ${t.toFixed(1).padStart(6)} GFLOP/s   pytorch ${p.toFixed(1).padStart(6)} GFLOP/s   ratio ${(t / p).toFixed(3)}`,
  );
console.log(`matmul/conv throughput, ${threads} threads, medians of ${rounds} rounds`);
row(`sgemm ${n}x${n}`, median(ts.sgemm), median(py.sgemm));
row('conv2d 3x3 8x64x56x56 -> 64', median(ts.conv), median(py.conv));
console.log(
  `ratio_vs_pytorch ${geometricMean([median(ts.sgemm) / median(py.sgemm), median(ts.conv) / median(py.conv)]).toFixed(3)}`,
);
