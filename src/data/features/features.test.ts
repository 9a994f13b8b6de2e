import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { DataFrame } from '../dataframe/index.js';
import { seededRandom } from '../sampler.js';
import {
  Bucketizer,
  Imputer,
  loadFeatureStage,
  MinMaxScaler,
  OneHotEncoder,
  SQLTransformer,
  StandardScaler,
  StringIndexer,
  VectorAssembler,
} from './index.js';

/** The oracle: Debian's scikit-learn / numpy on the same data (JSON in, JSON out). */
function sklearn(script: string, input: unknown): Record<string, unknown> {
  const prelude = 'import json, sys\nimport numpy as np\nd = json.load(sys.stdin)\nout = {}\n';
  const text = execFileSync('/usr/bin/python3', ['-c', `${prelude}${script}\nprint(json.dumps(out))`], {
    input: JSON.stringify(input),
    encoding: 'utf8',
  });
  return JSON.parse(text) as Record<string, unknown>;
}

function close(actual: ArrayLike<number>, expected: readonly number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    assert.ok(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)), `${what}[${i}]: ${a} vs ${e}`);
  }
}

const rng = seededRandom(11);
const N = 200;
const CITIES = ['Paris', 'Lyon', 'Nice', 'Lille', 'Brest'];
const WEIGHTS = [0.4, 0.25, 0.15, 0.15, 0.05];
function city(): string {
  let r = rng();
  for (let i = 0; i < CITIES.length; i++) {
    r -= WEIGHTS[i] as number;
    if (r < 0) return CITIES[i] as string;
  }
  return CITIES.at(-1) as string;
}
const columns = {
  x: Array.from({ length: N }, () => [rng() * 10 - 5, rng() * 100, Math.floor(rng() * 4)]),
  age: Array.from({ length: N }, (_, i) =>
    i % 17 === 3 ? null : i % 23 === 5 ? Number.NaN : Math.round(20 + rng() * 50),
  ),
  income: Array.from({ length: N }, () => 1000 + rng() * 5000),
  city: Array.from({ length: N }, city),
};
const frame = DataFrame.fromColumns(columns);
// NaN is not JSON: the oracle gets null for both null and NaN (both are missing for Imputer)
const json = { ...columns, age: columns.age.map((a) => (a === null || Number.isNaN(a) ? null : a)) };

describe('feature stages against scikit-learn', () => {
  it('StandardScaler: means and sample stds of each element, and the scaled vectors', async () => {
    const model = await new StandardScaler({ inputCol: 'x', outputCol: 'z', withMean: true }).fit(frame);
    const o = sklearn(
      `from sklearn.preprocessing import StandardScaler
X = np.array(d['x'])
s = StandardScaler().fit(X)
n = len(X)
out['mean'] = s.mean_.tolist(); out['std'] = (s.scale_ * np.sqrt(n / (n - 1))).tolist()
out['z'] = ((X - s.mean_) / (s.scale_ * np.sqrt(n / (n - 1)))).ravel().tolist()`,
      json,
    );
    close(model.mean, o.mean as number[], 1e-12, 'mean');
    close(model.std, o.std as number[], 1e-12, 'std');
    const z = (await (await model.transform(frame)).select('z').collect()).flatMap((r) => r.z as number[]);
    close(z, o.z as number[], 1e-12, 'z');
    // withMean false (Spark's default): divided only
    const plain = await new StandardScaler({ inputCol: 'x', outputCol: 'z' }).fit(frame);
    const [first] = await (await plain.transform(frame)).select('z').limit(1).collect();
    close(
      first?.z as number[],
      columns.x[0]!.map((v, j) => v / (model.std[j] as number)),
      1e-12,
      'withStd only',
    );
  });

  it('MinMaxScaler: data min and max, and the rescaled vectors in [min, max]', async () => {
    const model = await new MinMaxScaler({ inputCol: 'x', outputCol: 'm', min: -1, max: 1 }).fit(frame);
    const o = sklearn(
      `from sklearn.preprocessing import MinMaxScaler
s = MinMaxScaler(feature_range=(-1, 1)).fit(np.array(d['x']))
out['min'] = s.data_min_.tolist(); out['max'] = s.data_max_.tolist(); out['m'] = s.transform(np.array(d['x'])).ravel().tolist()`,
      json,
    );
    close(model.originalMin, o.min as number[], 0, 'min');
    close(model.originalMax, o.max as number[], 0, 'max');
    const m = (await (await model.transform(frame)).select('m').collect()).flatMap((r) => r.m as number[]);
    close(m, o.m as number[], 1e-12, 'm');
    // a constant element maps to the midpoint, as in Spark
    const constant = DataFrame.fromColumns({
      x: [
        [1, 5],
        [2, 5],
      ],
    });
    const c = await new MinMaxScaler({ inputCol: 'x', outputCol: 'm' }).fit(constant);
    assert.deepEqual(
      (await (await c.transform(constant)).collect()).map((r) => r.m),
      [
        [0, 0.5],
        [1, 0.5],
      ],
    );
  });

  it('StringIndexer: frequency order with ties broken alphabetically; alphabetAsc equals LabelEncoder', async () => {
    const model = await new StringIndexer({ inputCol: 'city', outputCol: 'cityIndex' }).fit(frame);
    const o = sklearn(
      `from collections import Counter
from sklearn.preprocessing import LabelEncoder
c = Counter(d['city'])
out['freq'] = sorted(c, key=lambda k: (-c[k], k))
out['alpha'] = LabelEncoder().fit(d['city']).classes_.tolist()`,
      json,
    );
    assert.deepEqual(model.labels, [o.freq]);
    const alpha = await new StringIndexer({ inputCol: 'city', outputCol: 'i', stringOrderType: 'alphabetAsc' }).fit(
      frame,
    );
    assert.deepEqual(alpha.labels, [o.alpha]);
    const rows = await (await model.transform(frame)).select('city', 'cityIndex').collect();
    for (const r of rows) assert.equal(r.cityIndex, (o.freq as string[]).indexOf(r.city as string));
    // ties: equal counts sorted by label
    const tie = await new StringIndexer({ inputCol: 's', outputCol: 'i' }).fit(
      DataFrame.fromColumns({ s: ['b', 'a', 'c', 'c', 'b', 'a'] }),
    );
    assert.deepEqual(tie.labels, [['a', 'b', 'c']]);
  });

  it('StringIndexer handleInvalid: error names the label, skip drops the row, keep gives index n', async () => {
    const model = await new StringIndexer({ inputCol: 'city', outputCol: 'i' }).fit(frame);
    const unseen = DataFrame.fromColumns({ city: ['Paris', 'Metz', null] });
    await assert.rejects(
      async () => (await model.transform(unseen)).collect(),
      /StringIndexer: column 'city' has a label not seen in fit.*Metz/,
    );
    const skip = await new StringIndexer({ inputCol: 'city', outputCol: 'i', handleInvalid: 'skip' }).fit(frame);
    assert.deepEqual(
      (await (await skip.transform(unseen)).collect()).map((r) => r.city),
      ['Paris'],
    );
    const keep = await new StringIndexer({ inputCol: 'city', outputCol: 'i', handleInvalid: 'keep' }).fit(frame);
    assert.deepEqual(
      (await (await keep.transform(unseen)).collect()).map((r) => r.i),
      [0, 5, 5],
    );
  });

  it('OneHotEncoder: matches scikit-learn with the last category dropped (Spark) or kept', async () => {
    const indexed = await (await new StringIndexer({ inputCol: 'city', outputCol: 'ci' }).fit(frame)).transform(frame);
    const enc = await new OneHotEncoder({ inputCol: 'ci', outputCol: 'v' }).fit(indexed);
    assert.deepEqual(enc.categorySizes, [5]);
    const full = await new OneHotEncoder({ inputCol: 'ci', outputCol: 'v', dropLast: false }).fit(indexed);
    const rows = await (await enc.transform(await full.transform(indexed))).select('ci').collect();
    const dropped = await (await enc.transform(indexed)).select('v').collect();
    const kept = await (await full.transform(indexed)).select('v').collect();
    const o = sklearn(
      `from sklearn.preprocessing import OneHotEncoder
X = np.array(d['ci']).reshape(-1, 1)
out['v'] = OneHotEncoder(categories=[list(range(5))]).fit_transform(X).toarray().tolist()`,
      { ci: rows.map((r) => r.ci) },
    );
    const expected = o.v as number[][];
    assert.deepEqual(
      kept.map((r) => r.v),
      expected,
    );
    assert.deepEqual(
      dropped.map((r) => r.v),
      expected.map((v) => v.slice(0, 4)),
    );
    const bad = DataFrame.fromColumns({ ci: [1, 7] });
    await assert.rejects(
      async () => (await enc.transform(bad)).collect(),
      /OneHotEncoder: column 'ci' has a category outside 0..4/,
    );
    const keep = await new OneHotEncoder({ inputCol: 'ci', outputCol: 'v', handleInvalid: 'keep' }).fit(indexed);
    assert.deepEqual(
      (await (await keep.transform(bad)).collect()).map((r) => r.v),
      [
        [0, 1, 0, 0, 0],
        [0, 0, 0, 0, 0],
      ],
    );
  });

  it('Imputer: mean, median and mode surrogates equal SimpleImputer; null and NaN are both missing', async () => {
    const o = sklearn(
      `from sklearn.impute import SimpleImputer
X = np.array([[np.nan if a is None else a] for a in d['age']])
for s, k in [('mean', 'mean'), ('median', 'median'), ('most_frequent', 'mode')]:
    out[k] = float(SimpleImputer(strategy=s).fit(X).statistics_[0])
out['filled'] = SimpleImputer(strategy='median').fit_transform(X).ravel().tolist()`,
      json,
    );
    for (const strategy of ['mean', 'median', 'mode'] as const) {
      const m = await new Imputer({ inputCol: 'age', outputCol: 'a', strategy }).fit(frame);
      close(m.surrogates, [o[strategy] as number], 1e-12, strategy);
    }
    const median = await new Imputer({ inputCols: ['age'], outputCols: ['age'], strategy: 'median' }).fit(frame);
    const filled = (await (await median.transform(frame)).select('age').collect()).map((r) => r.age as number);
    close(filled, o.filled as number[], 1e-12, 'filled');
    const custom = await new Imputer({ inputCol: 'v', outputCol: 'w', missingValue: -1 }).fit(
      DataFrame.fromColumns({ v: [1, -1, 3] }),
    );
    assert.deepEqual([...custom.surrogates], [2]);
    await assert.rejects(
      new Imputer({ inputCol: 'v', outputCol: 'w' }).fit(DataFrame.fromColumns({ v: [null, Number.NaN] })),
      /Imputer: column 'v' has only missing values/,
    );
  });

  it('Bucketizer: buckets equal numpy.digitize, the last one closed; invalid values per handleInvalid', async () => {
    const splits = [Number.NEGATIVE_INFINITY, 1500, 2500, 4000, 6000];
    const out = await new Bucketizer({ inputCol: 'income', outputCol: 'b', splits }).transform(frame);
    const o = sklearn(`out['b'] = (np.digitize(np.array(d['income']), [1500, 2500, 4000]) ).tolist()`, json);
    assert.deepEqual(
      (await out.select('b').collect()).map((r) => r.b),
      o.b,
    );
    const edge = DataFrame.fromColumns({ v: [0, 1, 2, Number.NaN] });
    const keep = new Bucketizer({ inputCol: 'v', outputCol: 'b', splits: [0, 1, 2], handleInvalid: 'keep' });
    assert.deepEqual(
      (await (await keep.transform(edge)).collect()).map((r) => r.b),
      [0, 1, 1, 2],
    );
    const skip = new Bucketizer({ inputCol: 'v', outputCol: 'b', splits: [0, 1, 2], handleInvalid: 'skip' });
    assert.equal(await (await skip.transform(edge)).count(), 3);
    const strict = new Bucketizer({ inputCol: 'v', outputCol: 'b', splits: [0, 1, 2] });
    await assert.rejects(async () => (await strict.transform(edge)).collect(), /Bucketizer: column 'v' is null or NaN/);
    await assert.rejects(
      async () => (await strict.transform(DataFrame.fromColumns({ v: [3] }))).collect(),
      /outside the splits \[0, 2\]: 3/,
    );
    assert.throws(() => new Bucketizer({ inputCol: 'v', outputCol: 'b', splits: [0, 2, 1] }), /increase strictly/);
  });

  it('VectorAssembler: numbers and vectors flattened in order; handleInvalid', async () => {
    const df = DataFrame.fromColumns({
      a: [1, null, 3],
      v: [
        [10, 11],
        [20, 21],
        [30, 31],
      ],
      flag: [true, false, true],
    });
    const error = new VectorAssembler({ inputCols: ['a', 'v', 'flag'], outputCol: 'f' });
    await assert.rejects(async () => (await error.transform(df)).collect(), /VectorAssembler: column 'a' is null/);
    const keep = new VectorAssembler({ inputCols: ['a', 'v', 'flag'], outputCol: 'f', handleInvalid: 'keep' });
    assert.deepEqual(
      (await (await keep.transform(df)).collect()).map((r) => r.f),
      [
        [1, 10, 11, 1],
        [Number.NaN, 20, 21, 0],
        [3, 30, 31, 1],
      ],
    );
    const skip = new VectorAssembler({ inputCols: ['a', 'v'], handleInvalid: 'skip' });
    assert.deepEqual(
      (await (await skip.transform(df)).collect()).map((r) => r.features),
      [
        [1, 10, 11],
        [3, 30, 31],
      ],
    );
    await assert.rejects(
      new VectorAssembler({ inputCols: ['city'] }).transform(frame),
      /column 'city' is VARCHAR, not a number/,
    );
    await assert.rejects(
      new VectorAssembler({ inputCols: ['nope'] }).transform(frame),
      /column 'nope' not found \(columns: x, age/,
    );
  });

  it('SQLTransformer reads __THIS__', async () => {
    const t = new SQLTransformer({
      statement: 'SELECT city, count(*) AS n FROM __THIS__ GROUP BY city ORDER BY n DESC',
    });
    const rows = await (await t.transform(frame)).collect();
    assert.equal(
      rows.reduce((s, r) => s + (r.n as number), 0),
      N,
    );
    await assert.rejects(
      new SQLTransformer({ statement: 'SELECT nope FROM __THIS__' }).transform(frame),
      /SQLTransformer: .*nope/,
    );
  });

  it('options: unknown keys and bad values are errors that name them, with a suggestion', () => {
    assert.throws(
      () => new StandardScaler({ inputCol: 'x', outputCol: 'z', withMeans: true } as never),
      /StandardScaler: unknown option 'withMeans' \(did you mean 'withMean'\?\)/,
    );
    assert.throws(
      () => new StringIndexer({ inputCol: 'c', outputCol: 'i', handleInvalid: 'skipp' as never }),
      /handleInvalid must be one of 'error', 'skip', 'keep', got 'skipp' \(did you mean 'skip'\?\)/,
    );
    assert.throws(() => new OneHotEncoder({ outputCol: 'v' }), /OneHotEncoder: inputCol \(or inputCols\) is required/);
    assert.throws(() => new MinMaxScaler({ inputCol: 'x', outputCol: 'm', min: 1, max: 0 }), /min must be below max/);
    assert.throws(() => new VectorAssembler({ inputCols: [] }), /inputCols must be a non-empty array/);
  });

  it('saved stages rebuild to the same transform (arrays and parameters are data)', async () => {
    const stages = [
      await new StandardScaler({ inputCol: 'x', outputCol: 'z', withMean: true }).fit(frame),
      await new MinMaxScaler({ inputCol: 'x', outputCol: 'm' }).fit(frame),
      await new StringIndexer({ inputCol: 'city', outputCol: 'ci', handleInvalid: 'keep' }).fit(frame),
      await new Imputer({ inputCol: 'age', outputCol: 'age2' }).fit(frame),
      new Bucketizer({
        inputCol: 'income',
        outputCol: 'b',
        splits: [Number.NEGATIVE_INFINITY, 3000, Number.POSITIVE_INFINITY],
      }),
    ];
    for (const stage of stages) {
      const saved = stage.saved();
      // parameters go through JSON (as in pipeline.json), arrays stay float64
      const again = loadFeatureStage({
        stage: saved.stage,
        params: JSON.parse(JSON.stringify(saved.params)),
        ...(saved.arrays ? { arrays: saved.arrays } : {}),
      });
      const a = await (await stage.transform(frame)).collect();
      const b = await (await again.transform(frame)).collect();
      assert.deepEqual(b, a, saved.stage);
    }
  });
});
