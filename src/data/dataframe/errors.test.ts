import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { DataFrame, Session } from './index.js';

const session = new Session();
after(() => session.close());
const df = () => DataFrame.fromRows([{ a: 1, b: 'x' }], { session });

describe('DataFrame errors', () => {
  it('missing files name the file', async () => {
    await assert.rejects(
      DataFrame.readCsv('/no/such/file.csv', { session }).count(),
      /readCsv: file not found: \/no\/such\/file\.csv/,
    );
    await assert.rejects(
      DataFrame.readParquet('/no/such.parquet', { session }).collect(),
      /readParquet: file not found/,
    );
    await assert.rejects(DataFrame.readJson('/no/such.json', { session }).collect(), /readJson: file not found/);
    await assert.rejects(DataFrame.readCsv('/tmp', { session }).collect(), /not a file/);
  });

  it('missing columns name the column', async () => {
    await assert.rejects(df().select('nope').collect(), /"nope" not found/);
    await assert.rejects(df().filter('nope > 1').count(), /"nope" not found/);
    await assert.rejects(df().drop('nope').collect(), /DataFrame\.drop: column "nope" not found \(columns: a, b\)/);
    await assert.rejects(df().withColumnRenamed('nope', 'x').collect(), /column "nope" not found/);
    await assert.rejects(df().join(df(), { on: 'nope' }).collect(), /key column "nope" not found/);
    await assert.rejects(df().groupBy('nope').count().collect(), /"nope" not found/);
  });

  it('bad SQL is a clear error and the session keeps working', async () => {
    await assert.rejects(df().filter('a > ').collect(), /DataFrame\.collect: Parser Error/);
    await assert.rejects(df().withColumn('c', 'no_such_fn(a)').collect(), /no_such_fn/);
    await assert.rejects(DataFrame.sql('SELEC 1', {}, [], { session }).collect(), /syntax error/);
    await assert.rejects(df().withColumn('c', 'CAST(b AS INTEGER)').collect(), /Conversion Error/);
    assert.deepEqual(await df().collect(), [{ a: 1, b: 'x' }]);
  });

  it('bad arguments throw synchronously', () => {
    assert.throws(() => df().limit(-1), /bad count/);
    assert.throws(() => df().select(), /no columns/);
    assert.throws(() => DataFrame.fromRows([]), /no rows/);
    assert.throws(() => df().randomSplit([-1, 2]), />= 0/);
    assert.throws(() => DataFrame.fromRows([{ a: 1 }, { a: 'x' }]), /mixes/);
  });

  it('a closed session refuses work', async () => {
    const s = new Session();
    const d = DataFrame.range(3, undefined, 1, { session: s });
    assert.equal(await d.count(), 3);
    await s.close();
    await assert.rejects(DataFrame.range(3, undefined, 1, { session: s }).count(), /session is closed/);
  });
});
