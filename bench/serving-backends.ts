/**
 * InferenceModel backends on ResNet-18 (random weights) at 224 px: libtorch, onnxruntime and auto (which
 * times both at load and keeps the faster), one copy with 2 threads, batch 1 and 8: median ms per batch and
 * images/s, and the largest difference between the two engines' outputs. Last line:
 * `ratio_onnxruntime_vs_libtorch <libtorch ms / onnxruntime ms at batch 8>`.
 *
 *   npm run bench:serving-backends          (BENCH_ITERS=6)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resnet18 } from '../src/models/resnet.js';
import { Model } from '../src/pipeline/model.js';
import type { Backend } from '../src/serving/backend.js';
import { InferenceModel } from '../src/serving/inference-model.js';
import * as torch from '../src/tensor/index.js';
import { median } from './peer.js';

const iters = Number(process.env.BENCH_ITERS ?? 6);
const dir = mkdtempSync(join(tmpdir(), 'tszoo-bench-backends-'));
torch.manualSeed(0);
await new Model(resnet18({ numClasses: 1000 }), { task: 'regression', featureShape: [3, 224, 224] }).save(dir);
const input = (b: number) => ({
  dtype: 'float32' as const,
  shape: [b, 3, 224, 224],
  data: Float32Array.from({ length: b * 3 * 224 * 224 }, (_, i) => Math.sin(i * 0.001)),
});

// memory: each copy is a worker thread with its own weights; the resident set's growth per copy loaded
// (copies stay loaded, so that freed memory the allocator keeps is not counted twice)
const copies: InferenceModel[] = [];
for (let i = 1; i <= 2; i++) {
  const before = process.memoryUsage().rss;
  const copy = await InferenceModel.load(dir, { threadsPerWorker: 1, maxBatch: 8 });
  await copy.predict(input(8));
  copies.push(copy);
  console.log(
    `libtorch copy ${i}: resident set +${((process.memoryUsage().rss - before) / 2 ** 20).toFixed(0)} MiB after a batch of 8`,
  );
}
for (const c of copies) await c.close();
console.log('| backend | kept | batch 1 ms | batch 8 ms | batch 8 img/s |');
console.log('| --- | --- | ---: | ---: | ---: |');
const ms8: Record<string, number> = {};
const outputs: Record<string, Float32Array[]> = {};
for (const backend of ['libtorch', 'onnxruntime', 'auto'] as Backend[]) {
  const model = await InferenceModel.load(dir, { backend, threadsPerWorker: 2, maxBatch: 8, maxDelayMs: 0 });
  const row: number[] = [];
  for (const b of [1, 8]) {
    const x = input(b);
    await model.predict(x);
    const times: number[] = [];
    for (let i = 0; i < iters; i++) {
      const t0 = performance.now();
      const out = await model.predict(x);
      times.push(performance.now() - t0);
      if (b === 8) outputs[backend] = out.map((p) => p.output);
    }
    row.push(median(times));
  }
  ms8[backend] = row[1] as number;
  const r = model.info.backendReport;
  const kept =
    backend === 'auto'
      ? `${r.backend} (${Object.entries(r.timingsMs)
          .map(([k, v]) => `${k} ${v?.toFixed(0)} ms`)
          .join(', ')})`
      : r.backend;
  console.log(
    `| ${backend} | ${kept} | ${row[0]?.toFixed(1)} | ${row[1]?.toFixed(1)} | ${(8000 / (row[1] as number)).toFixed(1)} |`,
  );
  await model.close();
}
let diff = 0;
const a = outputs.libtorch as Float32Array[];
const b = outputs.onnxruntime as Float32Array[];
a.forEach((row, i) => {
  row.forEach((v, j) => {
    diff = Math.max(diff, Math.abs(v - ((b[i] as Float32Array)[j] as number)));
  });
});
console.log(`max_abs_diff libtorch vs onnxruntime (batch 8 logits): ${diff.toExponential(2)}`);
rmSync(dir, { recursive: true, force: true });
console.log(`ratio_onnxruntime_vs_libtorch ${((ms8.libtorch as number) / (ms8.onnxruntime as number)).toFixed(3)}`);
