import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { ToTensor } from '../data/image/photometric.js';
import type { Model } from '../pipeline/model.js';
import * as torch from '../tensor/index.js';
import { InferenceModel } from './inference-model.js';
import { saveTinyModel, TINY_CLASSES, tinyInputs } from './model.testutil.js';
import { InputError } from './tensor-payload.js';

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

describe('InferenceModel', () => {
  let tmp: string;
  let dir: string;
  let reference: Model;
  let expected: Float32Array[];
  const N = 24;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'tszoo-serving-'));
    dir = join(tmp, 'tiny');
    reference = await saveTinyModel(dir);
    // the oracle: the in-process Model on the whole batch (same LibTorch kernels, another batch size)
    expected = torch.scope(() =>
      reference.predict(torch.fromBuffer(tinyInputs(N), { dtype: 'float32', shape: [N, 1, 16, 16] })),
    );
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('forms batches of concurrent requests and answers each with its own prediction (libtorch, 2 workers)', async () => {
    const model = await InferenceModel.load(dir, { concurrency: 2, threadsPerWorker: 1, maxBatch: 4, maxDelayMs: 20 });
    try {
      assert.equal(model.info.backend, 'libtorch');
      assert.deepEqual(model.info.inputShape, [1, 16, 16]);
      assert.equal(model.workers, 2);
      const data = tinyInputs(N);
      const preds = await Promise.all(
        Array.from({ length: N }, (_, i) =>
          model.predictOne({ dtype: 'float32', shape: [1, 16, 16], data: data.subarray(i * 256, (i + 1) * 256) }),
        ),
      );
      preds.forEach((p, i) => {
        assert.ok(maxDiff(p.output, expected[i] as Float32Array) < 1e-5, `request ${i}`);
        assert.deepEqual(Object.keys(p.probabilities ?? {}), TINY_CLASSES);
        const top = TINY_CLASSES[Array.from(p.output).indexOf(Math.max(...p.output))];
        assert.equal(p.label, top);
      });
      // 24 requests at once, batches of at most 4: the batcher formed full batches, not 24 single ones
      const sizes = [...model.batchSizes.entries()];
      const total = sizes.reduce((a, [size, count]) => a + size * count, 0);
      assert.equal(total, N);
      assert.ok(Math.max(...sizes.map(([s]) => s)) <= 4);
      assert.ok((model.batchSizes.get(4) ?? 0) >= 4, `batch sizes formed: ${JSON.stringify(sizes)}`);
    } finally {
      await model.close();
    }
  });

  it('onnxruntime and libtorch agree within 1e-4; auto times both and says which it kept', async () => {
    const batch = { dtype: 'float32' as const, shape: [N, 1, 16, 16], data: tinyInputs(N) };
    const ort = await InferenceModel.load(dir, { backend: 'onnxruntime', threadsPerWorker: 1 });
    const auto = await InferenceModel.load(dir, { backend: 'auto', threadsPerWorker: 1 });
    try {
      assert.equal(ort.info.backend, 'onnxruntime');
      const a = await ort.predict(batch);
      for (const [i, p] of a.entries()) assert.ok(maxDiff(p.output, expected[i] as Float32Array) < 1e-4, `row ${i}`);
      const r = auto.info.backendReport;
      assert.ok(r.timingsMs.libtorch !== undefined && r.timingsMs.onnxruntime !== undefined, JSON.stringify(r));
      const faster =
        (r.timingsMs.libtorch as number) <= (r.timingsMs.onnxruntime as number) ? 'libtorch' : 'onnxruntime';
      assert.equal(r.backend, faster);
      assert.ok((r.maxAbsDiff as number) < 1e-4, `warm-up outputs differ by ${r.maxAbsDiff}`);
      const b = await auto.predict(batch);
      for (const [i, p] of b.entries()) assert.ok(maxDiff(p.output, expected[i] as Float32Array) < 1e-4);
    } finally {
      await ort.close();
      await auto.close();
    }
  });

  it('decodes image bytes with the saved decode options and the transform; refuses bad input clearly', async () => {
    const model = await InferenceModel.load(dir, { transform: ToTensor(), threadsPerWorker: 1 });
    try {
      const pixels = Buffer.from(Array.from({ length: 32 * 32 }, (_, i) => (i * 7) % 256));
      const png = await sharp(pixels, { raw: { width: 32, height: 32, channels: 1 } })
        .png()
        .toBuffer();
      const fromPng = await model.predictOne(new Uint8Array(png));
      const img = await (await import('../data/image/decode.js')).decodeImage(new Uint8Array(png), {
        colour: 'grey',
        resize: [16, 16],
      });
      const [want] = reference.predict([img]);
      assert.ok(maxDiff(fromPng.output, want as Float32Array) < 1e-5);
      await assert.rejects(model.predictOne(new Uint8Array(png.subarray(0, 40))), InputError);
      await assert.rejects(
        model.predictOne({ dtype: 'float32', shape: [1, 8, 8], data: new Float32Array(64) }),
        /input shape \[1,8,8\] does not match the model's \[1,16,16\]/,
      );
      await assert.rejects(
        model.predictOne({ dtype: 'complex64' as 'float32', shape: [1, 16, 16], data: new Float32Array(256) }),
        /dtype 'complex64' is not one of/,
      );
      await assert.rejects(
        model.predictOne({ dtype: 'float32', shape: [1, 16, 16], data: [1, 2, 3] }),
        /3 values do not fill shape/,
      );
      // still serving after the bad ones
      assert.ok(maxDiff((await model.predictOne(new Uint8Array(png))).output, fromPng.output) === 0);
      // without { transform }, the saved one ('ToTensor()') is rebuilt from its name
      const rebuilt = await InferenceModel.load(dir, { threadsPerWorker: 1 });
      try {
        assert.deepEqual((await rebuilt.predictOne(new Uint8Array(png))).output, fromPng.output);
      } finally {
        await rebuilt.close();
      }
    } finally {
      await model.close();
    }
  });

  it('builds the architecture from moduleUrl; a copy that dies fails only its batch and is replaced', async () => {
    const testutil = new URL('./model.testutil.js', import.meta.url).href;
    const moduleFile = join(tmp, 'crashing-module.mjs');
    // the tiny architecture, whose forward ends its worker thread on an input above 100
    writeFileSync(
      moduleFile,
      `import { tinyModule } from ${JSON.stringify(testutil)};
export default () => {
  const m = tinyModule(99);
  const forward = m.forward.bind(m);
  m.forward = (x) => { if (x.max().item() > 100) process.exit(7); return forward(x); };
  return m;
};`,
    );
    const model = await InferenceModel.load(dir, {
      moduleUrl: moduleFile,
      threadsPerWorker: 1,
      maxBatch: 3,
      maxDelayMs: 200,
    });
    try {
      const data = tinyInputs(3);
      const one = (i: number) => ({
        dtype: 'float32' as const,
        shape: [1, 16, 16],
        data: data.subarray(i * 256, (i + 1) * 256),
      });
      // the saved weights were loaded into the module built by the code (seed 99 alone would differ)
      const first = await model.predictOne(one(0));
      assert.ok(maxDiff(first.output, expected[0] as Float32Array) < 1e-5);
      const poison = { dtype: 'float32' as const, shape: [1, 16, 16], data: new Float32Array(256).fill(1000) };
      // three requests batched together with the poison: the batch fails, the others are unaffected later
      const crashed = await Promise.allSettled([
        model.predictOne(one(1)),
        model.predictOne(poison),
        model.predictOne(one(2)),
      ]);
      for (const r of crashed) {
        assert.equal(r.status, 'rejected');
        assert.match(String((r as PromiseRejectedResult).reason), /inference worker exited \(code 7\)/);
      }
      for (let i = 0; i < 500 && model.workers === 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(model.workers, 1);
      assert.ok(maxDiff((await model.predictOne(one(1))).output, expected[1] as Float32Array) < 1e-5);
    } finally {
      await model.close();
    }
  });

  it('says what is wrong with a path that is not a model', async () => {
    const bogus = join(tmp, 'bogus.txt');
    writeFileSync(bogus, 'x');
    await assert.rejects(InferenceModel.load(bogus), /neither a saved model directory nor an \.onnx file/);
    await assert.rejects(InferenceModel.load(join(tmp, 'missing')), /does not exist/);
  });
});
