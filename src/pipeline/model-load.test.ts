import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DataFrame } from '../data/dataframe/index.js';
import * as nn from '../nn/index.js';
import * as torch from '../tensor/index.js';
import { Estimator } from './estimator.js';
import { Model } from './model.js';

const dir = mkdtempSync(join(tmpdir(), 'tszoo-model-load-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('Model.load', () => {
  it('loads a model with BatchNorm from its ONNX architecture (num_batches_tracked is training state)', async () => {
    torch.manualSeed(0);
    const frame = DataFrame.fromColumns({
      features: Array.from({ length: 16 }, (_, i) => [i / 16, 1 - i / 16]),
      label: Array.from({ length: 16 }, (_, i) => i % 2),
    });
    const net = new nn.Sequential(new nn.Linear(2, 4), new nn.BatchNorm1d(4), new nn.ReLU(), new nn.Linear(4, 2));
    const fitted = await new Estimator(net, {
      featuresCol: 'features',
      maxEpoch: 1,
      batchSize: 8,
      progress: false,
    }).fit(frame);
    await fitted.save(join(dir, 'bn'));
    const again = await Model.load(join(dir, 'bn'));
    const a = await (await fitted.transform(frame)).collect();
    const b = await (await again.transform(frame)).collect();
    a.forEach((row, i) => {
      const p = row.prediction as number[];
      const q = b[i]?.prediction as number[];
      assert.ok(Math.abs((p[0] as number) - (q[0] as number)) < 1e-5);
    });
  });

  it("transform keeps the input columns' types and gives multi-label predictions as class names", async () => {
    torch.manualSeed(2);
    const frame = DataFrame.fromColumns({
      features: Array.from({ length: 6 }, (_, i) => [i / 6, 1 - i / 6]),
      labels: Array.from({ length: 6 }, (_, i) => [i % 2, 1]),
    }).select('CAST(features AS FLOAT[]) AS features', 'CAST(labels AS FLOAT[]) AS labels', "DATE '2024-01-02' AS day");
    const fitted = await new Estimator(new nn.Linear(2, 2), {
      task: 'multi-label',
      featuresCol: 'features',
      labelCol: 'labels',
      classNames: ['Effusion', 'Mass'],
      maxEpoch: 1,
      progress: false,
    }).fit(frame);
    const out = await fitted.transform(frame);
    assert.deepEqual(
      (await out.schema()).map((c) => `${c.name}: ${c.type}`),
      [
        'features: FLOAT[]',
        'labels: FLOAT[]',
        'day: DATE',
        'prediction: DOUBLE[]',
        'predictedLabel: VARCHAR[]',
        'predictionError: VARCHAR',
      ],
    );
    for (const r of await out.collect()) {
      const names = r.predictedLabel as string[];
      assert.ok(
        names.every((n) => n === 'Effusion' || n === 'Mass'),
        JSON.stringify(names),
      );
    }
    const none = await fitted.transform(frame.filter('false'));
    assert.equal(await none.count(), 0);
    assert.deepEqual((await none.schema()).map((c) => c.type).slice(3), ['DOUBLE[]', 'VARCHAR[]', 'VARCHAR']);
  });
});
