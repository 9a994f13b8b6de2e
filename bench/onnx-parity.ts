/**
 * ONNX parity and speed over torchvision architectures: each is exported by Debian's torch.onnx (random
 * weights, opset 13, dynamic batch; bench/torchvision_onnx.py), imported into tszoo and run by
 * onnxruntime-node on the same file, at batch 1 and batch 8, same intra-op threads, alternating rounds.
 * Per architecture and batch: images/s of tszoo's imported graph and of onnxruntime, their ratio, and the
 * largest difference of each from PyTorch's own logits on the same images (`max_abs_diff` tszoo / onnxruntime,
 * with the logits' scale: random-weight Inception logits are large). Last lines:
 * `ratio_vs_onnxruntime_b1 <geomean> ratio_vs_onnxruntime_b8 <geomean>` and `ratio_vs_onnxruntime <geomean of all>`.
 *
 *   npm run bench:onnx-parity             (BENCH_ROUNDS=2, BENCH_ITERS=3 by default: a few minutes)
 *   BENCH_ARCHS=resnet18,mobilenet_v2 BENCH_PRECISION=auto npm run bench:onnx-parity
 *
 * BENCH_ARCHS: torchvision names (default the six below); BENCH_BATCHES (default '1,8'); BENCH_PRECISION
 * ('fp32' default, 'bf16' or 'auto': the imported-graph rule, bf16 only with AMX) runs tszoo's graph under
 * bfloat16 autocast, as `Model.predict` does with that precision. BENCH_BLOCKED ('auto' default, 'true',
 * 'false') sets the graphs' `blockedInference`.
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
import { geometricMean, median, PYTHON } from './peer.js';

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
  'imported-graph-inference',
);
const blockedEnv = process.env.BENCH_BLOCKED ?? 'auto';
if (!['auto', 'true', 'false'].includes(blockedEnv)) throw new Error(`BENCH_BLOCKED: 'auto', 'true' or 'false'`);
/** OnnxGraph.blockedInference for tszoo's graphs */
const blocked = blockedEnv === 'auto' ? 'auto' : blockedEnv === 'true';
const maxBatch = Math.max(...batches);
const script = join(dirname(fileURLToPath(import.meta.url)), '../../bench/torchvision_onnx.py');
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
const ratios = new Map<number, number[]>(batches.map((b) => [b, []]));
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
    for (const batch of batches) {
      const data = images.slice(0, batch * 3 * size * size);
      const x = torch.keep(torch.fromBuffer(data, { dtype: 'float32', shape: [batch, 3, size, size] }));
      const forward = () => withPrecision(precision.used, () => graph.forward(x));
      const feeds = { input: new ort.Tensor('float32', data, [batch, 3, size, size]) };
      const reference = want.slice(0, batch * classes);
      const ours = torch.noGrad(() => torch.scope(() => forward().float().toArray())) as number[];
      const theirs = (await session.run(feeds)).output?.data as Float32Array;
      const tszoo: number[] = [];
      const onnxruntime: number[] = [];
      for (let r = 0; r < rounds; r++) {
        tszoo.push(await imagesPerSecond(batch, () => torch.noGrad(() => torch.scope(() => void forward()))));
        onnxruntime.push(
          await imagesPerSecond(batch, async () => {
            await session.run(feeds);
          }),
        );
      }
      x.dispose();
      const ts = median(tszoo);
      const rt = median(onnxruntime);
      ratios.get(batch)?.push(ts / rt);
      console.log(
        `${label.padEnd(18)} batch ${batch}  tszoo ${ts.toFixed(2).padStart(7)} img/s  onnxruntime ${rt.toFixed(2).padStart(7)} img/s  ` +
          `ratio ${(ts / rt).toFixed(3)}  max_abs_diff vs pytorch tszoo ${maxAbsDiff(ours, reference).toExponential(2)} ` +
          `onnxruntime ${maxAbsDiff(theirs, reference).toExponential(2)} (logits up to ${scale.toPrecision(3)})  ` +
          `rounds tszoo ${tszoo.map((v) => v.toFixed(1)).join(' ')} onnxruntime ${onnxruntime.map((v) => v.toFixed(1)).join(' ')}`,
      );
    }
    await session.release();
    graph.dispose();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const perBatch = batches.map((b) => `ratio_vs_onnxruntime_b${b} ${geometricMean(ratios.get(b) ?? []).toFixed(3)}`);
console.log(perBatch.join(' '));
console.log(`ratio_vs_onnxruntime ${geometricMean([...ratios.values()].flat()).toFixed(3)}`);
