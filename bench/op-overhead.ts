/**
 * Per-op dispatch overhead of small ops, tszoo vs PyTorch eager (Debian's python3-torch), same threads.
 * Cases: add of two 1-element tensors; a 3-op chain with autograd recording, (a * b + c).sigmoid().
 * tszoo frees each iteration's results as a program would (dispose / scope), as CPython's refcounting
 * does for PyTorch; the GC-only figure is printed too. Last line: `ratio_vs_pytorch <PyTorch_us / tszoo_us>`
 * (geometric mean over the two cases). Run: npm run bench:op-overhead
 */
import { torch } from '../src/index.js';
import { geometricMean, median, runPythonPeer, timePerCall } from './peer.js';

const threads = torch.getNumThreads();
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const iterations = Number(process.env.BENCH_ITERATIONS ?? 200_000);

const x = torch.ones([1]);
const y = torch.ones([1]);
const a = torch.ones([1]).requiresGrad_();
const b = torch.ones([1]);
const c = torch.ones([1]);

const ts = { add: [] as number[], chain: [] as number[], addGc: [] as number[] };
const py = { add: [] as number[], chain: [] as number[] };
let torchVersion = '';
for (let r = 0; r < rounds; r++) {
  ts.add.push(timePerCall(() => x.add(y).dispose(), iterations));
  ts.chain.push(
    timePerCall(
      () =>
        torch.scope(() => {
          a.mul(b).add(c).sigmoid();
        }),
      iterations / 2,
    ),
  );
  const p = runPythonPeer<{ add: number; chain: number; torch: string }>('op_overhead', { threads, iterations });
  py.add.push(p.add);
  py.chain.push(p.chain);
  torchVersion = p.torch;
}

// Last, because the garbage it leaves makes later measurements in this process slower.
for (let r = 0; r < rounds; r++) ts.addGc.push(timePerCall(() => x.add(y), iterations));

if (process.env.BENCH_VERBOSE) console.log(JSON.stringify({ ts, py }));
const row = (name: string, t: number, p: number) =>
  console.log(
    `${name.padEnd(38)} tszoo ${t.toFixed(3).padStart(7)} us   pytorch ${p.toFixed(3).padStart(7)} us   ratio ${(p / t).toFixed(3)}`,
  );
console.log(
  `op overhead, ${threads} threads, medians of ${rounds} rounds of ${iterations} calls (PyTorch ${torchVersion})`,
);
const add = median(ts.add);
const chain = median(ts.chain);
row('add 1-element (result disposed)', add, median(py.add));
row('3-op chain with autograd (scope)', chain, median(py.chain));
row('add 1-element (left to GC)', median(ts.addGc), median(py.add));
const ratio = geometricMean([median(py.add) / add, median(py.chain) / chain]);
console.log(`ratio_vs_pytorch ${ratio.toFixed(3)}`);
