/**
 * ONNX parity and speed: ResNet-50 built by tszoo (torchvision's random initialisation),
 * exported to ONNX, run by onnxruntime-node and re-imported into tszoo; inference images/s of the
 * imported graph (tszoo) and of onnxruntime on the same file, batch 8, 224 px, same intra-op threads,
 * alternating rounds. Last line: `max_abs_diff <x> ratio_vs_onnxruntime <tszoo / onnxruntime>`, where
 * max_abs_diff compares tszoo's original model, the re-imported graph and onnxruntime on one batch.
 *
 *   npm run bench:onnx-parity            (BENCH_ROUNDS=5, BENCH_ITERS=4 by default)
 *   BENCH_BATCH=1 BENCH_PRECISION=auto npm run bench:onnx-parity
 *
 * BENCH_BATCH (default 8) sets the batch; BENCH_PRECISION ('fp32' default, 'bf16' or 'auto': bf16 where
 * the CPU runs it natively) runs tszoo's graph under bfloat16 autocast, as `Model.predict` does with that
 * precision; max_abs_diff then measures bfloat16 against float32.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { models, torch } from '../src/index.js';
import { exportOnnx, importOnnx } from '../src/interop/index.js';
import { choosePrecision, type Precision, withPrecision } from '../src/pipeline/precision.js';
import { median } from './peer.js';

const threads = torch.getNumThreads();
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const iters = Number(process.env.BENCH_ITERS ?? 4);
const batch = Number(process.env.BENCH_BATCH ?? 8);
const precision = choosePrecision((process.env.BENCH_PRECISION ?? 'fp32') as Precision);
const forward = (x: torch.Tensor) => withPrecision(precision.used, () => graph.forward(x));
const size = 224;

torch.manualSeed(0);
const model = models.resnet50({ numClasses: 1000 }).eval();
const dir = mkdtempSync(join(tmpdir(), 'tszoo-bench-onnx-'));
const path = join(dir, 'resnet50.onnx');
await exportOnnx(model, path, { inputShape: [3, size, size] });
const graph = (await importOnnx(path)).eval();
const session = await ort.InferenceSession.create(readFileSync(path), {
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  // Both engines share the cores in this process: onnxruntime's idle threads must not spin while tszoo runs.
  extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
});

const x = torch.keep(torch.randn([batch, 3, size, size]));
const feeds = { input: new ort.Tensor('float32', x.data() as Float32Array, x.shape) };

// Parity on one batch: the model, its re-imported graph and onnxruntime.
const want = torch.noGrad(() => torch.scope(() => model.forward(x).toArray()));
const imported = torch.noGrad(() => torch.scope(() => forward(x).float().toArray()));
const viaOrt = Array.from((await session.run(feeds)).output?.data as Float32Array);
let maxAbsDiff = 0;
for (let i = 0; i < want.length; i++) {
  const w = want[i] as number;
  maxAbsDiff = Math.max(maxAbsDiff, Math.abs((imported[i] as number) - w), Math.abs((viaOrt[i] as number) - w));
}
model.dispose();

async function imagesPerSecond(run: () => Promise<void> | void): Promise<number> {
  // warm-up: allocator pools, oneDNN primitive caches, folded weights
  await run();
  await run();
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) await run();
  return (batch * iters) / ((performance.now() - t0) / 1000);
}

const tszoo: number[] = [];
const onnxruntime: number[] = [];
for (let r = 0; r < rounds; r++) {
  tszoo.push(await imagesPerSecond(() => torch.noGrad(() => torch.scope(() => void forward(x)))));
  onnxruntime.push(
    await imagesPerSecond(async () => {
      await session.run(feeds);
    }),
  );
}
await session.release();
rmSync(dir, { recursive: true, force: true });

const ts = median(tszoo);
const rt = median(onnxruntime);
console.log(
  `ResNet-50 inference, batch ${batch}, ${size} px, ${threads} threads, medians of ${rounds} rounds x ${iters} batches`,
);
console.log(
  `tszoo (imported ONNX graph) ${ts.toFixed(2).padStart(7)} img/s   rounds ${tszoo.map((v) => v.toFixed(2)).join(' ')}`,
);
console.log(
  `onnxruntime-node            ${rt.toFixed(2).padStart(7)} img/s   rounds ${onnxruntime.map((v) => v.toFixed(2)).join(' ')}`,
);
console.log(`isa ${torch.backends.cpu.capability().summary}`);
console.log(`tszoo precision ${precision.reason}`);
console.log(`logit scale (max |logit|) ${Math.max(...want.map(Math.abs)).toFixed(3)}`);
console.log(`max_abs_diff ${maxAbsDiff.toExponential(2)} ratio_vs_onnxruntime ${(ts / rt).toFixed(3)}`);
