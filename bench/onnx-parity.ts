/**
 * ONNX parity and speed over torchvision architectures: each is exported by Debian's torch.onnx (random
 * weights, opset 13, dynamic batch; bench/torchvision_onnx.py), imported into tszoo and run by
 * onnxruntime-node on the same file, and run by Debian's PyTorch itself (bench/torchvision_pytorch.py, the same
 * weights), at batch 1 and batch 8, same intra-op threads, same images, alternating rounds (tszoo, onnxruntime,
 * PyTorch), each round 2 warm-up passes then BENCH_ITERS timed ones.
 *
 * PyTorch is the fastest of its CPU inference ways, each timed every round under torch.inference_mode():
 * `eager` (NCHW), `channels_last` (module and input), `jit` (optimize_for_inference(freeze(script(model))));
 * the variant with the best median wins and is named. It runs in one Python process that lives for the whole
 * bench (timed inside Python, so its start-up is not counted), with the settings tszoo's addon runs under
 * (OMP_WAIT_POLICY, OPENBLAS_THREAD_TIMEOUT as src/util/openmp.ts sets them, and glibc's MALLOC_*_ for the
 * addon's mallopt tuning: bench/peer.ts envLikeTszoo; printed). It shows
 * what LibTorch's own kernels reach on this CPU: `pytorch_vs_onnxruntime` is that ceiling.
 *
 * Per architecture and batch: images/s of tszoo's imported graph, of onnxruntime and of PyTorch, tszoo's ratio
 * to each, and the largest difference of each engine's logits from PyTorch's reference logits on the same images
 * (`max_abs_diff` tszoo / onnxruntime / the winning PyTorch variant, with the logits' scale: random-weight
 * Inception logits are large). Last lines:
 * `ratio_vs_pytorch_b1 <geomean> ratio_vs_pytorch_b8 <geomean>`, `ratio_vs_pytorch <geomean of all>`,
 * `pytorch_vs_onnxruntime <geomean of all>`,
 * `ratio_vs_onnxruntime_b1 <geomean> ratio_vs_onnxruntime_b8 <geomean>` and `ratio_vs_onnxruntime <geomean of all>`
 * (the issue's figure, always the last line).
 *
 *   npm run bench:onnx-parity             (BENCH_ROUNDS=2, BENCH_ITERS=3 by default: several minutes)
 *   BENCH_ARCHS=resnet18,mobilenet_v2 BENCH_PRECISION=auto npm run bench:onnx-parity
 *
 * BENCH_ARCHS: torchvision names (default the six below); BENCH_BATCHES (default '1,8'); BENCH_PRECISION
 * ('fp32' default, 'bf16' or 'auto': the rule for graphs the native plan takes, bf16 on AMX or AVX512-BF16)
 * runs tszoo's graph under bfloat16 autocast, as `Model.predict` does with that precision (the native plan
 * then computes in bfloat16; each line says whether the plan ran); PyTorch then runs all its variants under
 * torch.autocast bf16 too (the frozen `jit` module returns fp32 logits, partly computed in bf16 by TorchScript's
 * autocast pass; each variant's max_abs_diff shows how far from fp32). A PyTorch variant that fails to build or
 * run for an architecture is dropped with a `pytorch <arch>: <variant> dropped: <error>` line.
 * BENCH_BLOCKED ('auto' default, 'true', 'false') sets the graphs' `blockedInference`.
 * BENCH_PYTORCH_VARIANTS (default 'eager,channels_last,jit') limits PyTorch's variants.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { torch } from '../src/index.js';
import { importOnnx } from '../src/interop/index.js';
import { choosePrecision, type Precision, withPrecision } from '../src/pipeline/precision.js';
import { bestByMedian, envLikeTszoo, geometricMean, median, PYTHON, PythonServer } from './peer.js';

const ARCHITECTURES: Record<string, { label: string; size: number }> = {
  resnet18: { label: 'ResNet-18', size: 224 },
  resnet50: { label: 'ResNet-50', size: 224 },
  densenet121: { label: 'DenseNet-121', size: 224 },
  mobilenet_v2: { label: 'MobileNetV2', size: 224 },
  mobilenet_v3_large: { label: 'MobileNetV3-Large', size: 224 },
  inception_v3: { label: 'Inception-v3', size: 299 },
};

const threads = torch.getNumThreads();
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const iters = Number(process.env.BENCH_ITERS ?? 3);
const batches = (process.env.BENCH_BATCHES ?? '1,8').split(',').map(Number);
const archs = (process.env.BENCH_ARCHS ?? Object.keys(ARCHITECTURES).join(',')).split(',');
const precision = choosePrecision(
  (process.env.BENCH_PRECISION ?? 'fp32') as Precision,
  undefined,
  'native-plan-inference',
);
const blockedEnv = process.env.BENCH_BLOCKED ?? 'auto';
if (!['auto', 'true', 'false'].includes(blockedEnv)) throw new Error(`BENCH_BLOCKED: 'auto', 'true' or 'false'`);
/** OnnxGraph.blockedInference for tszoo's graphs */
const blocked = blockedEnv === 'auto' ? 'auto' : blockedEnv === 'true';
const maxBatch = Math.max(...batches);
const benchDir = join(dirname(fileURLToPath(import.meta.url)), '../../bench');
const script = join(benchDir, 'torchvision_onnx.py');
const dir = mkdtempSync(join(tmpdir(), 'tszoo-bench-onnx-'));

async function imagesPerSecond(batch: number, run: () => Promise<void> | void): Promise<number> {
  // warm-up: allocator pools, oneDNN primitive caches, folded and reordered weights
  await run();
  await run();
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) await run();
  return (batch * iters) / ((performance.now() - t0) / 1000);
}

/**
 * A file of float32 values. Not `readFileSync(f).buffer`: a small file's Buffer is a slice of Node's shared
 * pool, whose ArrayBuffer holds other data around it (batch-1 logits read that way were garbage).
 */
function readFloats(file: string): Float32Array {
  const bytes = readFileSync(file);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4).slice();
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

console.log(
  `torchvision architectures exported by Debian's torch.onnx (opset 13, random weights), ${threads} threads, ` +
    `img/s medians of ${rounds} rounds x ${iters} batches`,
);
console.log(`isa ${torch.backends.cpu.capability().summary}`);
console.log(`tszoo precision ${precision.reason}; blockedInference ${blockedEnv}`);
const pytorchVariants = process.env.BENCH_PYTORCH_VARIANTS ?? 'eager,channels_last,jit';
// after the addon loaded (it set the OpenMP / OpenBLAS variables), plus the allocator settings it made
const pytorchEnv = envLikeTszoo();
const pytorch = new PythonServer(
  'bench/torchvision_pytorch.py',
  [
    join(benchDir, 'torchvision_pytorch.py'),
    ...['--threads', String(threads), '--iters', String(iters), '--warmup', '2'],
    ...['--precision', precision.used === 'bf16' ? 'bf16' : 'fp32', '--variants', pytorchVariants],
  ],
  pytorchEnv,
);
const shownEnv = [
  'OMP_WAIT_POLICY',
  'GOMP_SPINCOUNT',
  'OPENBLAS_THREAD_TIMEOUT',
  'MALLOC_MMAP_THRESHOLD_',
  'MALLOC_TRIM_THRESHOLD_',
  'MALLOC_TOP_PAD_',
]
  .map((k) => `${k}=${pytorchEnv[k] ?? '(unset)'}`)
  .join(' ');
console.log(`pytorch peer ${threads} threads, ${shownEnv} (tszoo's settings)`);
const ratios = new Map<number, number[]>(batches.map((b) => [b, []]));
const pytorchRatios = new Map<number, number[]>(batches.map((b) => [b, []]));
const pytorchVsOnnxruntime: number[] = [];
interface PytorchLoad {
  torch: string;
  variants: string[];
  skipped: Record<string, string>;
}
interface PytorchTiming {
  images_per_s: Record<string, number>;
  max_abs_diff: Record<string, number>;
  skipped: Record<string, string>;
}
/** variants PyTorch dropped (failed to build or run), already reported */
const pytorchSkipped = new Set<string>();
try {
  for (const arch of archs) {
    const spec = ARCHITECTURES[arch];
    if (!spec)
      throw new Error(`BENCH_ARCHS: unknown architecture '${arch}' (${Object.keys(ARCHITECTURES).join(', ')})`);
    const { label, size } = spec;
    const path = join(dir, `${arch}.onnx`);
    // the script writes the model, a batch of inputs and PyTorch's logits for them
    execFileSync(PYTHON, [script, arch, String(size), path, String(maxBatch)], { stdio: ['ignore', 'ignore', 'pipe'] });
    const images = readFloats(`${path}.input`);
    const want = readFloats(`${path}.output`);
    const classes = want.length / maxBatch;
    const graph = (await importOnnx(path)).eval();
    graph.blockedInference = blocked;
    const session = await ort.InferenceSession.create(readFileSync(path), {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      // Both engines share the cores in this process: onnxruntime's idle threads must not spin while tszoo runs.
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    });
    const scale = Math.max(...Array.from(want, Math.abs));
    const loaded = await pytorch.request<PytorchLoad>({
      load: arch,
      size,
      input: `${path}.input`,
      output: `${path}.output`,
      batch: maxBatch,
    });
    if (arch === archs[0])
      console.log(`pytorch ${loaded.torch} variants ${loaded.variants.join(', ')} (best median wins)`);
    for (const batch of batches) {
      const data = images.slice(0, batch * 3 * size * size);
      const x = torch.keep(torch.fromBuffer(data, { dtype: 'float32', shape: [batch, 3, size, size] }));
      const forward = () => withPrecision(precision.used, () => graph.forward(x));
      const feeds = { input: new ort.Tensor('float32', data, [batch, 3, size, size]) };
      const reference = want.slice(0, batch * classes);
      const ours = torch.noGrad(() => torch.scope(() => forward().float().toArray())) as number[];
      const notNative = graph.nativePlanReason(x.shape, precision.used === 'bf16' ? 'bfloat16' : 'float32');
      const theirs = (await session.run(feeds)).output?.data as Float32Array;
      const tszoo: number[] = [];
      const onnxruntime: number[] = [];
      const variants: Record<string, number[]> = Object.fromEntries(loaded.variants.map((v) => [v, []]));
      let pytorchDiff: Record<string, number> = {};
      for (let r = 0; r < rounds; r++) {
        tszoo.push(await imagesPerSecond(batch, () => torch.noGrad(() => torch.scope(() => void forward()))));
        onnxruntime.push(
          await imagesPerSecond(batch, async () => {
            await session.run(feeds);
          }),
        );
        const timing = await pytorch.request<PytorchTiming>({ time: batch });
        for (const [v, rate] of Object.entries(timing.images_per_s)) variants[v]?.push(rate);
        for (const [v, why] of Object.entries(timing.skipped)) {
          delete variants[v];
          if (!pytorchSkipped.has(`${arch} ${v}`)) console.log(`pytorch ${label}: ${v} dropped: ${why}`);
          pytorchSkipped.add(`${arch} ${v}`);
        }
        pytorchDiff = timing.max_abs_diff;
      }
      x.dispose();
      const ts = median(tszoo);
      const rt = median(onnxruntime);
      const best = bestByMedian(variants);
      if (!best) throw new Error('bench/torchvision_pytorch.py timed no variant');
      const pt = best.median;
      ratios.get(batch)?.push(ts / rt);
      pytorchRatios.get(batch)?.push(ts / pt);
      pytorchVsOnnxruntime.push(pt / rt);
      const roundsOf = (xs: number[]) => xs.map((v) => v.toFixed(1)).join(' ');
      console.log(
        `${label.padEnd(18)} batch ${batch}  tszoo ${ts.toFixed(2).padStart(7)} img/s  onnxruntime ${rt.toFixed(2).padStart(7)} img/s  ` +
          `pytorch ${pt.toFixed(2).padStart(7)} img/s (${best.name})  ` +
          `ratio ${(ts / rt).toFixed(3)}  ratio_vs_pytorch ${(ts / pt).toFixed(3)}  ` +
          `plan ${notNative === null ? 'native' : `node by node (${notNative})`}  ` +
          `max_abs_diff vs pytorch tszoo ${maxAbsDiff(ours, reference).toExponential(2)} ` +
          `onnxruntime ${maxAbsDiff(theirs, reference).toExponential(2)} ` +
          `pytorch ${best.name} ${(pytorchDiff[best.name] ?? Number.NaN).toExponential(2)} (logits up to ${scale.toPrecision(3)})  ` +
          `rounds tszoo ${roundsOf(tszoo)} onnxruntime ${roundsOf(onnxruntime)} ` +
          Object.entries(variants)
            .map(([v, xs]) => `pytorch ${v} ${roundsOf(xs)}`)
            .join(' '),
      );
    }
    await session.release();
    graph.dispose();
  }
} finally {
  await pytorch.close();
  rmSync(dir, { recursive: true, force: true });
}
const perBatchPytorch = batches.map(
  (b) => `ratio_vs_pytorch_b${b} ${geometricMean(pytorchRatios.get(b) ?? []).toFixed(3)}`,
);
console.log(perBatchPytorch.join(' '));
console.log(`ratio_vs_pytorch ${geometricMean([...pytorchRatios.values()].flat()).toFixed(3)}`);
console.log(`pytorch_vs_onnxruntime ${geometricMean(pytorchVsOnnxruntime).toFixed(3)}`);
const perBatch = batches.map((b) => `ratio_vs_onnxruntime_b${b} ${geometricMean(ratios.get(b) ?? []).toFixed(3)}`);
console.log(perBatch.join(' '));
console.log(`ratio_vs_onnxruntime ${geometricMean([...ratios.values()].flat()).toFixed(3)}`);
