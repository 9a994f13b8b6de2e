/**
 * The temperature fitted on validation is applied wherever the app shows probabilities: evaluate saves it
 * with the thresholds (chosen on the calibrated validation probabilities), and predict, the server's
 * predictor and the evaluation's worklist give sigmoid(logit(p) / T) of the model's raw output p, with
 * flags at the saved thresholds of those calibrated values.
 */
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { CXR14_LABELS } from '../../src/data/datasets/chestxray14.js';
import { generateSyntheticCxr } from '../../src/data/datasets/synthetic-cxr.js';
import { runCommand } from './cli.testutil.js';
import { main as evaluate } from './commands/evaluate.js';
import { main as predict } from './commands/predict.js';
import { main as train } from './commands/train.js';
import { writeCxrDicom } from './dicom.testutil.js';
import { type CxrModelInfo, readModelInfo, writeModelInfo } from './model-store.js';
import { hasOnnx, inferencePredictor } from './server/inference-predictor.js';
import { localPredictor } from './server/predictor.js';

const dir = mkdtempSync(join(tmpdir(), 'tszoo-cxr-calibrated-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const data = join(dir, 'nih');
const model = join(dir, 'model');
const raw = join(dir, 'model-raw');
const out = join(dir, 'run');

const quiet = async (main: (argv: string[]) => Promise<number>, argv: string[]) =>
  (await runCommand(main, argv)).status;

const sigmoidOfLogitOver = (p: number, t: number) => 1 / (1 + Math.exp(-Math.log(p / (1 - p)) / t));

before(async () => {
  await generateSyntheticCxr(data, { count: 70, size: 32, seed: 5 });
  const recipe = ['--backbone', 'small-cnn', '--width', '4', '--in-channels', '1', '--resize', '32', '--crop', '32'];
  const fit = ['--normalize', 'none', '--epochs', '1', '--warmup-epochs', '0', '--batch-size', '16', '--workers', '0'];
  assert.equal(await quiet(train, ['--data', data, '--out', model, '--val-fraction', '0.3', ...recipe, ...fit]), 0);
  assert.equal(
    await quiet(evaluate, [
      '--data',
      data,
      '--val-fraction',
      '0.3',
      '--model',
      model,
      '--out',
      out,
      '--bootstrap',
      '0',
    ]),
    0,
  );
});

describe('calibrated probabilities', () => {
  it('evaluate saves a temperature per finding beside the thresholds', () => {
    const info = readModelInfo(model);
    assert.equal(info.temperatures?.length, 14);
    assert.ok(info.temperatures?.every((t) => t > 0 && Number.isFinite(t)));
    assert.ok(
      info.temperatures?.some((t) => Math.abs(t - 1) > 1e-3),
      'some finding was fitted',
    );
    const e = JSON.parse(readFileSync(join(out, 'evaluation.json'), 'utf8')) as {
      findings: { temperature: number }[];
      calibration: string;
    };
    assert.equal(e.calibration, 'temperature');
    assert.deepEqual(
      e.findings.map((f) => f.temperature),
      info.temperatures,
    );
  });

  it('predict gives sigmoid(logit(p) / T) of the raw output p, flags at the thresholds of calibrated values', async () => {
    // fixed temperatures far from 1, so the check does not hinge on what the small validation split fitted
    const temperatures = CXR14_LABELS.map((_, k) => (k % 2 === 0 ? 0.5 : 2.5));
    const thresholds = CXR14_LABELS.map((_, k) => 0.2 + 0.04 * k);
    const info = readModelInfo(model);
    writeModelInfo(model, { ...info, temperatures, thresholds });
    cpSync(model, raw, { recursive: true });
    const { temperatures: _t, ...uncalibrated } = info;
    writeModelInfo(raw, { ...uncalibrated, thresholds } as CxrModelInfo);
    const images = ['00000001_000.png', '00000002_000.png', '00000003_000.png'].map((f) => join(data, 'images', f));
    const rows = async (dirOf: string) => {
      const file = join(dir, `${dirOf.endsWith('raw') ? 'raw' : 'calibrated'}.json`);
      assert.equal(await quiet(predict, ['--model', dirOf, '--out', file, ...images]), 0);
      return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>[];
    };
    const [cal, base] = [await rows(model), await rows(raw)];
    assert.equal(cal.length, 3);
    for (const row of cal) {
      const r = base.find((b) => b.file === row.file) as Record<string, unknown>;
      const flags: string[] = [];
      CXR14_LABELS.forEach((label, k) => {
        const p = r[label] as number;
        const q = row[label] as number;
        const want = sigmoidOfLogitOver(p, temperatures[k] as number);
        // float64 arithmetic on the same float32 output: agreement to rounding
        assert.ok(Math.abs(q - want) <= 1e-12, `${label}: ${q} vs ${want} (raw ${p})`);
        if (q >= (thresholds[k] as number)) flags.push(label);
      });
      assert.equal(row.flags, flags.join('|'));
    }
    // the server's predictor applies the same temperatures
    const server = await localPredictor(model);
    const s = await server.predict(images[0] as string);
    const c0 = cal.find((row) => row.file === images[0]) as Record<string, unknown>;
    // the server runs the image alone, predict ran it in a batch of 3: other kernels may be picked
    // (oneDNN's choice depends on batch and CPU), so the raw outputs agree to float32 rounding only
    CXR14_LABELS.forEach((label, k) => {
      assert.ok(Math.abs((s.probabilities[k] as number) - (c0[label] as number)) <= 1e-5, label);
    });
    assert.deepEqual(server.thresholds, thresholds);
  });

  it('evaluate --calibration none saves no temperatures and shows raw probabilities', async () => {
    const again = join(dir, 'model-none');
    cpSync(model, again, { recursive: true });
    copyFileSync(join(model, 'cxr.json'), join(again, 'cxr.json'));
    const status = await quiet(evaluate, [
      '--data',
      data,
      '--val-fraction',
      '0.3',
      '--model',
      again,
      '--out',
      join(dir, 'run-none'),
      '--bootstrap',
      '0',
      '--calibration',
      'none',
    ]);
    assert.equal(status, 0);
    assert.equal(readModelInfo(again).temperatures, undefined);
    const report = readFileSync(join(dir, 'run-none', 'report.html'), 'utf8');
    assert.match(report, /No calibration/);
    const calibratedReport = readFileSync(join(out, 'report.html'), 'utf8');
    assert.match(calibratedReport, /Thresholds were chosen on the calibrated validation probabilities/);
  });

  it("cxr serve's InferenceModel predictor gives what the in-process one gives, PNG and DICOM, batching concurrent uploads", async () => {
    // today CxrNet has no ONNX exporter, so the workers build it from the recipe (cxr-module.ts); with a
    // model.onnx they would load that instead: the same assertions hold either way
    const path = hasOnnx(model) ? 'model.onnx' : 'cxr-module';
    const png = join(data, 'images', '00000004_000.png');
    const { data: grey, info } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    const dcm = join(dir, 'upload.dcm');
    writeCxrDicom(dcm, new Uint8Array(grey), info.width, info.height, { patientId: 'P-9', studyInstanceUid: '1.2.9' });
    const local = await localPredictor(model);
    const served = await inferencePredictor(model, { maxBatch: 4, maxDelayMs: 20 });
    try {
      assert.deepEqual(served.thresholds, local.thresholds);
      for (const f of [png, dcm]) {
        const a = await local.predict(f);
        const b = await served.predict(f);
        // the model in a worker thread, other batch shapes: agreement to float32 rounding
        a.probabilities.forEach((p, k) => {
          assert.ok(
            Math.abs(p - (b.probabilities[k] as number)) < 1e-5,
            `${path} ${f} ${CXR14_LABELS[k]}: ${p} vs ${b.probabilities[k]}`,
          );
        });
        const t = served.thresholds;
        const clear = a.probabilities.every((p, k) => Math.abs(p - (t[k] as number)) > 1e-5);
        if (clear) assert.deepEqual(b.flags, a.flags);
        assert.ok(Math.abs(a.priority - b.priority) < 1e-5);
        assert.equal(b.patientId, a.patientId);
      }
      assert.equal((await served.predict(dcm)).patientId, 'P-9');
      const many = await Promise.all(Array.from({ length: 8 }, () => served.predict(png)));
      assert.equal(many.length, 8);
      assert.ok(
        [...served.model.batchSizes.keys()].some((k) => k > 1),
        `batch sizes ${[...served.model.batchSizes.keys()]}`,
      );
      await assert.rejects(served.predict(join(dir, 'raw.json')), /raw\.json/);
    } finally {
      await served.close();
    }
  });
});
