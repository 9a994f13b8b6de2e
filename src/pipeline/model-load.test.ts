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
});
