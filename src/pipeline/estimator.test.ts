import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DataFrame } from '../data/dataframe/index.js';
import { nn, torch } from '../index.js';
import { sgd } from '../optim/index.js';
import { latestCheckpoint, loadCheckpoint } from './checkpoint.js';
import { blobEstimator, blobFrame, blobModel, weightsOf, writeBlobImages } from './estimator.fixture.js';
import { Estimator } from './estimator.js';
import type { TrainingEvent } from './events.js';
import * as metrics from './metrics/index.js';
import { Model } from './model.js';
import { readJsonLines, readScalars, TrainSummary, ValidationSummary } from './summary/index.js';
import { everyEpoch, maxIteration, minLoss, or } from './triggers.js';

const fixture = fileURLToPath(new URL('./estimator.fixture.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'tszoo-estimator-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Accuracy from class-index labels: the test's own, independent of pipeline/metrics. */
function accuracyMethod(): metrics.Metric {
  let right = 0;
  let total = 0;
  return {
    name: 'accuracy',
    higherIsBetter: true,
    reset: () => {
      right = 0;
      total = 0;
    },
    update({ scores, labels, numClasses: classes }: metrics.MetricBatch) {
      for (let i = 0; i < labels.length; i++) {
        const row = Array.from(scores).slice(i * classes, (i + 1) * classes);
        const arg = row.indexOf(Math.max(...row));
        if (arg === labels[i]) right++;
        total++;
      }
    },
    compute: () => ({ accuracy: right / total }),
  };
}

describe('Estimator.fit on a DataFrame', () => {
  it('trains a classifier whose Model.transform appends predictions, and reports events', async () => {
    torch.manualSeed(1);
    const model = blobModel();
    const events: TrainingEvent[] = [];
    const est = new Estimator(model, {
      task: 'multi-class',
      featuresCol: 'features',
      batchSize: 16,
      maxEpoch: 8,
      optimizer: sgd({ lr: 0.05, momentum: 0.9 }),
      classNames: ['a', 'b', 'c'],
      validation: { trigger: everyEpoch(), frame: blobFrame(90, 8), metrics: [accuracyMethod()] },
      progress: false,
    }).onEvent((e) => events.push(e));
    const fitted = await est.fit(blobFrame(240, 3));
    const iterations = events.filter((e) => e.type === 'iteration');
    assert.equal(iterations.length, 8 * 15);
    assert.equal(events.filter((e) => e.type === 'epoch').length, 8);
    const vals = events.filter((e) => e.type === 'validation');
    assert.equal(vals.length, 8);
    assert.ok((vals.at(-1)?.metrics.accuracy ?? 0) > 0.85, `accuracy ${vals.at(-1)?.metrics.accuracy}`);
    assert.ok((vals.at(-1)?.metrics.loss ?? 9) < (vals[0]?.metrics.loss ?? 0));
    assert.equal(events.at(-1)?.type, 'end');

    const scored = await (await fitted.transform(blobFrame(30, 99))).collect();
    assert.equal(scored.length, 30);
    let right = 0;
    for (const row of scored) {
      const p = row.prediction as number[];
      assert.equal(p.length, 3);
      assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-5);
      assert.ok(['a', 'b', 'c'].includes(row.predictedLabel as string));
      if (row.predictedLabel === ['a', 'b', 'c'][row.label as number]) right++;
      assert.equal(row.id, scored.indexOf(row));
    }
    assert.ok(right >= 24, `${right}/30 right`);
  });

  it('gives the same weights from the fluent setters as from the options object', async () => {
    const run = async (make: (m: nn.Module) => Estimator) => {
      torch.manualSeed(2);
      const model = blobModel();
      await make(model).fit(blobFrame(96, 4));
      return weightsOf(model);
    };
    const a = await run(
      (m) =>
        new Estimator(m, {
          task: 'multi-class',
          featuresCol: 'features',
          batchSize: 8,
          endWhen: maxIteration(20),
          optimizer: sgd({ lr: 0.1 }),
          seed: 3,
          clipping: { maxNorm: 0.5 },
          progress: false,
        }),
    );
    const b = await run((m) =>
      new Estimator(m, { task: 'multi-class', progress: false })
        .setFeaturesCol('features')
        .setBatchSize(8)
        .setEndWhen(maxIteration(20))
        .setOptimMethod(sgd({ lr: 0.1 }))
        .setSeed(3)
        .setGradientClippingByL2Norm(0.5),
    );
    assert.deepEqual(a, b);
  });

  it('stops on an end trigger combination and on early stopping, restoring the best weights', async () => {
    torch.manualSeed(3);
    const model = blobModel();
    const snapshots: { loss: number; weights: Record<string, number[]> }[] = [];
    const est = new Estimator(model, {
      task: 'multi-class',
      featuresCol: 'features',
      batchSize: 16,
      endWhen: or(maxIteration(400), minLoss(-1)),
      // a learning rate this high makes the validation loss bounce, so early stopping has work to do
      optimizer: sgd({ lr: 0.9, momentum: 0.9 }),
      validation: { trigger: everyEpoch(), frame: blobFrame(60, 5) },
      earlyStopping: { monitor: 'loss', patience: 2 },
      progress: false,
    }).on('validation', (e) => snapshots.push({ loss: e.metrics.loss as number, weights: weightsOf(model) }));
    const fitted = await est.fit(blobFrame(96, 6));
    const reason = fitted.history?.stopReason ?? '';
    assert.match(reason, /early stopping: 'loss' did not improve for 2 validations/);
    const best = snapshots.reduce((a, b) => (b.loss < a.loss ? b : a));
    assert.deepEqual(weightsOf(model), best.weights);
    assert.ok(snapshots.length < 400 / 6);
  });

  it('rejects bad input with the column or row named', async () => {
    const est = () =>
      new Estimator(blobModel(), { task: 'multi-class', featuresCol: 'features', maxEpoch: 1, progress: false });
    await assert.rejects(
      est().fit(blobFrame(30, 1).drop('label')),
      /column 'label' not found; the frame has: id, features/,
    );
    await assert.rejects(est().setFeaturesCol('pixels').fit(blobFrame(30, 1)), /column 'pixels' not found/);
    const wide = DataFrame.fromColumns({ features: [[1, 2, 3, 4]], label: [7] });
    await assert.rejects(est().fit(wide), /label 7 is out of range: the model has 3 outputs/);
    const ml = new Estimator(blobModel(), {
      task: 'multi-label',
      featuresCol: 'features',
      maxEpoch: 1,
      progress: false,
    });
    const twoWide = DataFrame.fromColumns({ features: [[1, 2, 3, 4]], label: [[1, 0]] });
    await assert.rejects(ml.fit(twoWide), /labels have 2 values per row, the model outputs 3/);
    const ragged = DataFrame.fromColumns({
      features: [
        [1, 2, 3, 4],
        [1, 2],
      ],
      label: [
        [1, 0, 0],
        [0, 1],
      ],
    });
    await assert.rejects(
      new Estimator(blobModel(), { task: 'multi-label', featuresCol: 'features', progress: false }).fit(ragged),
      /row 1: label 'label' has 2 values, the first row has 3/,
    );
    assert.throws(
      () => new Estimator(blobModel(), { maxEpoch: 2, endWhen: maxIteration(3) }),
      /maxEpoch or endWhen, not both/,
    );
  });

  it('stops with a clear message on a NaN loss and keeps the last good checkpoint', async () => {
    torch.manualSeed(4);
    const dir = join(tmp, 'nan');
    const model = blobModel();
    const frame = DataFrame.fromColumns({
      features: Array.from({ length: 64 }, (_, i) => [i < 60 ? i / 64 : 1e38, 1e38 * (i >= 60 ? 1 : 0), 0, 1]),
      label: Array.from({ length: 64 }, (_, i) => i % 3),
    });
    const est = new Estimator(model, {
      task: 'multi-class',
      featuresCol: 'features',
      batchSize: 16,
      maxEpoch: 3,
      shuffle: false,
      optimizer: sgd({ lr: 0.01 }),
      checkpoint: { dir, trigger: maxIteration(1) },
      progress: false,
    });
    await assert.rejects(est.fit(frame), (e: Error) => {
      const m = e.message.match(
        /the loss became (?:NaN|-?Infinity) at epoch \d+, iteration (\d+); training stopped, the last good checkpoint is (.*)$/,
      );
      assert.ok(m, e.message);
      assert.equal(latestCheckpoint(dir), m[2]);
      const info = loadCheckpoint(dir, { model: blobModel() });
      assert.equal(info.iteration, Number(m[1]) - 1);
      return true;
    });
  });

  it('saves and loads a Model; the loaded one predicts the same', async () => {
    torch.manualSeed(5);
    const model = blobModel();
    const fitted = await blobEstimator(model, null, 2).fit(blobFrame(60, 2));
    await fitted.save(join(tmp, 'saved'));
    const loaded = await Model.load(join(tmp, 'saved'), { module: blobModel() });
    const a = await (await fitted.transform(blobFrame(12, 4))).collect();
    const b = await (await loaded.transform(blobFrame(12, 4))).collect();
    assert.deepEqual(
      b.map((r) => r.prediction),
      a.map((r) => r.prediction),
    );
    assert.equal(loaded.settings.task, 'multi-class');
    assert.equal(loaded.history?.epochs.length, 2);
    // without a module, the architecture comes from the saved model.onnx
    const fromOnnx = await Model.load(join(tmp, 'saved'));
    const c = await (await fromOnnx.transform(blobFrame(12, 4))).collect();
    c.forEach((r, i) => {
      const p = r.prediction as number[];
      const q = a[i]?.prediction as number[];
      assert.ok(
        p.every((v, j) => Math.abs(v - (q[j] as number)) < 1e-6),
        `${p} vs ${q}`,
      );
    });
    // a module without an ONNX exporter: saved without model.onnx, and load says what to pass
    class Custom extends nn.Module {
      forward(x: torch.Tensor) {
        return x.narrow(1, 0, 3);
      }
    }
    await new Model(new Custom(), { task: 'multi-class' }).save(join(tmp, 'custom'));
    await assert.rejects(Model.load(join(tmp, 'custom')), /has no ONNX architecture \(.*Custom.*\); pass \{ module \}/);
  });
});

describe('Model.evaluate and writeReport', () => {
  it('evaluates a multi-label model by patient and writes a report with its curves', async () => {
    torch.manualSeed(7);
    const asMultiHot = (df: DataFrame) =>
      df
        .withColumn('labels', 'list_transform(range(3), c -> CASE WHEN c = label THEN 1.0 ELSE 0.0 END)::FLOAT[]')
        .withColumn('patient', 'id // 3');
    const model = blobModel();
    const fitted = await new Estimator(model, {
      task: 'multi-label',
      featuresCol: 'features',
      labelCol: 'labels',
      classNames: ['a', 'b', 'c'],
      maxEpoch: 3,
      optimizer: sgd({ lr: 0.1, momentum: 0.9 }),
      validation: { trigger: everyEpoch(), frame: asMultiHot(blobFrame(30, 9)) },
      progress: false,
    }).fit(asMultiHot(blobFrame(120, 3)));
    const test = asMultiHot(blobFrame(60, 10));
    const evaluation = await fitted.evaluate(test, {
      labelCol: 'labels',
      groupCol: 'patient',
      bootstrap: { iterations: 50 },
      split: 'test',
    });
    const rows = await (await fitted.transform(test)).collect();
    const direct = metrics.rocAucScore(
      rows.flatMap((r) => r.prediction as number[]),
      rows.flatMap((r) => r.labels as number[]),
      3,
    );
    assert.deepEqual(
      evaluation.classes.map((c) => c.auc),
      direct.perClass,
    );
    assert.equal(evaluation.bootstrap?.resampled, 'groups');
    assert.equal(evaluation.bootstrap?.units, 20);
    const path = fitted.writeReport(join(tmp, 'report.html'), { title: 'blobs <b>', evaluation });
    const html = readFileSync(path, 'utf8');
    assert.ok(html.includes('blobs &lt;b&gt;'));
    assert.equal((html.match(/<tr/g) ?? []).length >= 4, true);
    assert.equal(fitted.history?.iterations.length, 3 * 4);
  });
});

describe('Estimator summaries', () => {
  it('writes TensorBoard train/validation runs and a JSON-lines log that read back', async () => {
    torch.manualSeed(6);
    const logDir = join(tmp, 'tb');
    const est = blobEstimator(blobModel(), null, 2)
      .setValidation(everyEpoch(), blobFrame(30, 7), [accuracyMethod()])
      .setTrainSummary(new TrainSummary(logDir, 'blobs'))
      .setValidationSummary(new ValidationSummary(logDir, 'blobs'))
      .setLogFile(join(logDir, 'blobs', 'events.jsonl'));
    const losses: number[] = [];
    est.on('iteration', (e) => losses.push(e.loss));
    await est.fit(blobFrame(96, 2));
    const train = readScalars(join(logDir, 'blobs', 'train'));
    assert.deepEqual(
      train.loss?.map((p) => p.step),
      losses.map((_, i) => i + 1),
    );
    assert.deepEqual(
      train.loss?.map((p) => p.value),
      losses.map((l) => Math.fround(l)),
    );
    assert.equal(train.learningRate?.length, losses.length);
    assert.ok((train.throughput?.[0]?.value ?? 0) > 0);
    const val = readScalars(join(logDir, 'blobs', 'validation'));
    assert.deepEqual(
      val.accuracy?.map((p) => p.step),
      [6, 12],
    );
    assert.equal(val.loss?.length, 2);
    const lines = readJsonLines(join(logDir, 'blobs', 'events.jsonl'));
    assert.equal(lines.filter((l) => l.type === 'iteration').length, losses.length);
    assert.equal(lines.at(-1)?.type, 'end');
  });
});

describe('Estimator resume after kill -9', () => {
  const run = (dir: string, killAfter: number | null, images?: string) =>
    new Promise<{ out: string; killed: boolean }>((resolve, reject) => {
      const child = spawn(process.execPath, [fixture, dir, '4', ...(images ? [images] : [])], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      let killed = false;
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const seen = out.match(/^checkpoint \d+$/gm)?.length ?? 0;
        if (killAfter !== null && seen >= killAfter && !killed) {
          killed = true;
          child.kill('SIGKILL');
        }
      });
      child.on('error', reject);
      child.on('close', () => resolve({ out, killed }));
    });
  const finalOf = (s: string) => JSON.parse(s.trim().split('\n').at(-1) as string) as Record<string, number[]>;

  // Both runs do literally the same computation (same process set-up, batches, kernels), so the weights
  // must agree bit for bit: any difference is state the checkpoint failed to carry.
  it('a run killed mid-epoch and resumed ends with the same weights as an uninterrupted one', async () => {
    const straight = await run(join(tmp, 'straight'), null);
    const dir = join(tmp, 'killed');
    const first = await run(dir, 7); // 15 iterations per epoch: the 7th checkpoint (iteration 21) is mid-epoch 2
    assert.ok(first.killed);
    const resumed = await run(dir, null);
    assert.ok(!resumed.out.includes('checkpoint 3\n'), 'the resumed run must not start over');
    assert.deepEqual(finalOf(resumed.out), finalOf(straight.out));
  });

  it('the same with random crops and flips of images decoded in a worker', async () => {
    const images = join(tmp, 'images');
    mkdirSync(images);
    await writeBlobImages(images, 96);
    const straight = await run(join(tmp, 'img-straight'), null, images);
    const dir = join(tmp, 'img-killed');
    const first = await run(dir, 3, images); // 6 iterations per epoch: the 3rd checkpoint (iteration 9) is mid-epoch 2
    assert.ok(first.killed);
    const resumed = await run(dir, null, images);
    assert.ok(!resumed.out.includes('checkpoint 3\n'), 'the resumed run must not start over');
    assert.ok(resumed.out.includes('checkpoint 24\n'));
    assert.deepEqual(finalOf(resumed.out), finalOf(straight.out));
  });
});
