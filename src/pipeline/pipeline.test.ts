import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DataFrame } from '../data/dataframe/index.js';
import {
  Bucketizer,
  Imputer,
  OneHotEncoder,
  SQLTransformer,
  StandardScaler,
  StringIndexer,
  VectorAssembler,
} from '../data/features/index.js';
import { seededRandom } from '../data/sampler.js';
import * as nn from '../nn/index.js';
import { adam } from '../optim/index.js';
import * as torch from '../tensor/index.js';
import { Estimator } from './estimator.js';
import { evaluateRegression, mae, mse, r2, regressionMetrics } from './metrics/index.js';
import { Model } from './model.js';
import { Pipeline, PipelineModel } from './pipeline.js';
import { everyEpoch } from './triggers.js';

const dir = mkdtempSync(join(tmpdir(), 'tszoo-pipeline-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const CITY_EFFECT: Record<string, number> = { Paris: 2, Lyon: -1, Nice: 0.5 };
function table(n: number, seed: number): DataFrame {
  const rng = seededRandom(seed);
  const rows = Array.from({ length: n }, () => {
    const age = 20 + rng() * 50;
    const income = 1000 + rng() * 4000;
    const city = ['Paris', 'Lyon', 'Nice'][Math.floor(rng() * 3)] as string;
    const price = 0.05 * (age - 45) + 0.001 * (income - 3000) + (CITY_EFFECT[city] as number) + 0.1 * (rng() - 0.5);
    return { age: rng() < 0.05 ? null : age, income, city, price };
  });
  return DataFrame.fromRows(rows);
}

function featureStages() {
  return [
    new Imputer({ inputCol: 'age', outputCol: 'age', strategy: 'median' }),
    new StringIndexer({ inputCol: 'city', outputCol: 'cityIndex' }),
    new OneHotEncoder({ inputCol: 'cityIndex', outputCol: 'cityVec' }),
    new VectorAssembler({ inputCols: ['age', 'income', 'cityVec'], outputCol: 'raw' }),
    new StandardScaler({ inputCol: 'raw', outputCol: 'features', withMean: true }),
  ];
}

describe('Pipeline', () => {
  it('fits feature stages in order, each on the output of the ones before; save/load gives the same frame', async () => {
    const train = table(120, 1);
    const test = table(30, 2);
    const fitted = await new Pipeline([
      ...featureStages(),
      new Bucketizer({ inputCol: 'income', outputCol: 'incomeBand', splits: [0, 2000, 4000, 10_000] }),
      new SQLTransformer({ statement: 'SELECT *, income / 1000 AS k FROM __THIS__' }),
    ]).fit(train);
    assert.deepEqual(
      fitted.stages.map((s) => s.stageName),
      [
        'ImputerModel',
        'StringIndexerModel',
        'OneHotEncoderModel',
        'VectorAssembler',
        'StandardScalerModel',
        'Bucketizer',
        'SQLTransformer',
      ],
    );
    const out = await (await fitted.transform(test)).collect();
    assert.equal(out.length, 30);
    assert.equal((out[0]!.features as number[]).length, 4); // age, income, 2 one-hot (3 cities, last dropped)
    // the scaler was fitted on the imputed, assembled training data: its training output has mean 0
    const scaled = await (await fitted.transform(train)).select('features').collect();
    for (let j = 0; j < 4; j++) {
      const m = scaled.reduce((s, r) => s + (r.features as number[])[j]!, 0) / scaled.length;
      assert.ok(Math.abs(m) < 1e-9, `feature ${j} mean ${m}`);
    }
    await fitted.save(join(dir, 'features'));
    assert.ok(existsSync(join(dir, 'features', 'pipeline.safetensors')));
    const meta = JSON.parse(readFileSync(join(dir, 'features', 'pipeline.json'), 'utf8'));
    assert.equal(meta.stages[1].stage, 'StringIndexerModel');
    const again = await PipelineModel.load(join(dir, 'features'));
    assert.deepEqual(await (await again.transform(test)).collect(), out);
  });

  it('names the failing stage', async () => {
    const p = new Pipeline([new StringIndexer({ inputCol: 'nope', outputCol: 'i' })]);
    await assert.rejects(p.fit(table(5, 3)), /Pipeline\.fit: stage 0 \(StringIndexer\): .*'nope' not found/);
    assert.throws(() => new Pipeline([{} as never]), /stage 0 is not a transformer or an estimator/);
  });

  it('CSV-like rows -> features -> NN regression -> evaluate -> save -> load -> the same predictions', {
    timeout: 120_000,
  }, async () => {
    torch.manualSeed(0);
    const train = table(256, 4);
    const test = table(64, 5);
    const net = new nn.Sequential(new nn.Linear(4, 16), new nn.ReLU(), new nn.Linear(16, 1));
    const est = new Estimator(net, {
      task: 'regression',
      loss: new nn.MSELoss(),
      featuresCol: 'features',
      labelCol: 'price',
      batchSize: 32,
      maxEpoch: 40,
      optimizer: adam({ lr: 0.01 }),
      progress: false,
    });
    const fitted = await new Pipeline([...featureStages(), est]).fit(train);
    const scored = await fitted.transform(test);
    const rows = await scored.select('price', 'prediction').collect();
    assert.equal(typeof rows[0]?.prediction, 'number'); // one output: a number, as Spark's regressors
    const m = await evaluateRegression(scored, { labelCol: 'price' });
    const js = regressionMetrics(
      rows.map((r) => r.price as number),
      rows.map((r) => r.prediction as number),
    );
    assert.ok(Math.abs(m.mse - js.mse) < 1e-9 && Math.abs(m.r2 - js.r2) < 1e-9);
    assert.ok(m.r2 > 0.8, `r2 ${m.r2}`);
    const model = fitted.stages.at(-1) as Model;
    const direct = await model.evaluateRegression(await new PipelineModel(fitted.stages.slice(0, -1)).transform(test), {
      labelCol: 'price',
    });
    assert.ok(Math.abs(direct.mse - m.mse) < 1e-12);
    await assert.rejects(model.evaluate(test), /use fitted\.evaluateRegression/);
    await fitted.save(join(dir, 'tabular'));
    const again = await PipelineModel.load(join(dir, 'tabular'));
    assert.ok(again.stages.at(-1) instanceof Model);
    const rescored = await (await again.transform(test)).select('prediction').collect();
    rows.forEach((r, i) => {
      assert.ok(Math.abs((r.prediction as number) - (rescored[i]?.prediction as number)) < 1e-5);
    });
  });

  it('the Estimator takes several numeric feature columns and scalar regression labels directly', {
    timeout: 60_000,
  }, async () => {
    torch.manualSeed(1);
    const frame = DataFrame.fromColumns({
      a: Array.from({ length: 64 }, (_, i) => i / 64),
      b: Array.from({ length: 64 }, (_, i) => (i % 8) / 8),
    }).withColumn('y', '2 * a - b + 0.5');
    const net = new nn.Linear(2, 1);
    const validation = { trigger: everyEpoch(), frame, metrics: [mse(), mae(), r2()] };
    const seen: Record<string, number>[] = [];
    const fitted = await new Estimator(net, {
      task: 'regression',
      loss: new nn.MSELoss(),
      featuresCol: ['a', 'b'],
      labelCol: 'y',
      batchSize: 16,
      maxEpoch: 60,
      optimizer: adam({ lr: 0.05 }),
      validation,
      progress: false,
    })
      .on('validation', (e) => seen.push(e.metrics))
      .fit(frame);
    const last = seen.at(-1) as Record<string, number>;
    assert.ok(last.mse! < 0.01 && last.r2! > 0.95, JSON.stringify(last));
    const out = await (await fitted.transform(frame)).collect();
    assert.deepEqual(Object.keys(out[0] as object), ['a', 'b', 'y', 'prediction', 'predictionError']);
  });

  it('regression metrics equal scikit-learn', () => {
    const rng = seededRandom(9);
    const y = Array.from({ length: 50 }, () => rng() * 10);
    const p = y.map((v) => v + rng() - 0.5);
    const o = JSON.parse(
      execFileSync(
        '/usr/bin/python3',
        [
          '-c',
          `import json, sys
from sklearn.metrics import mean_squared_error, mean_absolute_error, r2_score
d = json.load(sys.stdin)
print(json.dumps([mean_squared_error(d[0], d[1]), mean_absolute_error(d[0], d[1]), r2_score(d[0], d[1])]))`,
        ],
        { input: JSON.stringify([y, p]), encoding: 'utf8' },
      ),
    ) as number[];
    const m = regressionMetrics(y, p);
    assert.ok(Math.abs(m.mse - o[0]!) < 1e-12 && Math.abs(m.mae - o[1]!) < 1e-12 && Math.abs(m.r2 - o[2]!) < 1e-12);
  });
});
