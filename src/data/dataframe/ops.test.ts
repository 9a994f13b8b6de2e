import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { DataFrame, Session } from './index.js';

const session = new Session();
after(() => session.close());

const people = () =>
  DataFrame.fromRows(
    [
      { id: 1, name: 'Ann', age: 34, city: 'Oslo' },
      { id: 2, name: 'Bob', age: null, city: 'Rome' },
      { id: 3, name: 'Cid', age: 51, city: 'Oslo' },
      { id: 4, name: 'Dee', age: 28, city: 'Lima' },
      { id: 5, name: 'Eve', age: 51, city: 'Rome' },
    ],
    { session },
  );
const cities = () =>
  DataFrame.fromRows(
    [
      { city: 'Oslo', country: 'NO' },
      { city: 'Rome', country: 'IT' },
      { city: 'Paris', country: 'FR' },
    ],
    { session },
  );

describe('DataFrame ops', () => {
  it('collect, columns, schema, count', async () => {
    const df = people();
    assert.deepEqual(await df.columns(), ['id', 'name', 'age', 'city']);
    assert.deepEqual(
      (await df.schema()).map((c) => c.type),
      ['BIGINT', 'VARCHAR', 'BIGINT', 'VARCHAR'],
    );
    assert.equal(await df.count(), 5);
    const rows = await df.collect();
    assert.deepEqual(rows[1], { id: 2, name: 'Bob', age: null, city: 'Rome' });
  });

  it('select columns and expressions', async () => {
    const rows = await people().select('name', 'age * 2 AS twice').limit(2).collect();
    assert.deepEqual(rows, [
      { name: 'Ann', twice: 68 },
      { name: 'Bob', twice: null },
    ]);
  });

  it('filter with parameters (values never spliced into SQL)', async () => {
    const df = people().filter('age > ? AND city = ?', 30, 'Oslo');
    assert.deepEqual(
      (await df.collect()).map((r) => r.name),
      ['Ann', 'Cid'],
    );
    const tricky = people().filter("name = ? OR name = '?'", "x' OR 1=1 --");
    assert.equal(await tricky.count(), 0);
    assert.throws(() => people().filter('age > ?'), /placeholder|more '\?'/);
  });

  it('withColumn adds and replaces, withColumnRenamed, drop', async () => {
    const df = people()
      .withColumn('decade', 'age // 10')
      .withColumn('age', 'coalesce(age, ?)', 0)
      .withColumnRenamed('name', 'who')
      .drop('city', 'id');
    assert.deepEqual(await df.columns(), ['who', 'age', 'decade']);
    assert.deepEqual((await df.collect())[1], { who: 'Bob', age: 0, decade: null });
  });

  it('join kinds', async () => {
    const names = async (df: DataFrame) => (await df.orderBy('id').collect()).map((r) => `${r.id}:${r.country}`);
    const inner = people().join(cities(), { on: 'city' });
    assert.deepEqual(await inner.columns(), ['city', 'id', 'name', 'age', 'country']);
    assert.deepEqual(await names(inner), ['1:NO', '2:IT', '3:NO', '5:IT']);
    assert.deepEqual(await names(people().join(cities(), { on: 'city', how: 'left' })), [
      '1:NO',
      '2:IT',
      '3:NO',
      '4:null',
      '5:IT',
    ]);
    const right = await people()
      .join(cities(), { on: ['city'], how: 'right' })
      .orderBy('city', 'id')
      .collect();
    assert.deepEqual(
      right.map((r) => `${r.city}:${r.id}`),
      ['Oslo:1', 'Oslo:3', 'Paris:null', 'Rome:2', 'Rome:5'],
    );
    const outer = await people().join(cities(), { on: 'city', how: 'outer' }).count();
    assert.equal(outer, 6);
    assert.deepEqual(
      (await people().join(cities(), { on: 'city', how: 'semi' }).orderBy('id').collect()).map((r) => r.id),
      [1, 2, 3, 5],
    );
    const anti = people().join(cities(), { on: 'city', how: 'anti' });
    assert.deepEqual(await anti.columns(), ['id', 'name', 'age', 'city']);
    assert.deepEqual(
      (await anti.collect()).map((r) => r.id),
      [4],
    );
  });

  it('join suffixes clashing columns', async () => {
    const other = DataFrame.fromRows([{ id: 1, name: 'Zed' }], { session });
    const rows = await people().join(other, { on: 'id' }).collect();
    assert.deepEqual(rows, [{ id: 1, name: 'Ann', age: 34, city: 'Oslo', name_right: 'Zed' }]);
  });

  it('groupBy / agg / orderBy', async () => {
    const rows = await people()
      .groupBy('city')
      .agg({ n: 'count(*)', mean_age: 'avg(age)', oldest: 'max(age)' })
      .orderBy('n DESC', 'city')
      .collect();
    assert.deepEqual(rows, [
      { city: 'Oslo', n: 2, mean_age: 42.5, oldest: 51 },
      { city: 'Rome', n: 2, mean_age: 51, oldest: 51 },
      { city: 'Lima', n: 1, mean_age: 28, oldest: 28 },
    ]);
    const counts = await people().groupBy('age').count().orderBy({ column: 'age', nulls: 'first' }).collect();
    assert.deepEqual(counts, [
      { age: null, count: 1 },
      { age: 28, count: 1 },
      { age: 34, count: 1 },
      { age: 51, count: 2 },
    ]);
  });

  it('orderBy descending object keys, limit with offset', async () => {
    const rows = await people().orderBy({ column: 'age', descending: true, nulls: 'last' }, 'id').limit(3, 1).collect();
    assert.deepEqual(
      rows.map((r) => r.id),
      [5, 1, 4],
    );
  });

  it('distinct and union', async () => {
    assert.equal(await people().select('city').distinct().count(), 3);
    const u = people().select('id', 'city').union(cities().select('city'));
    assert.equal(await u.count(), 8);
    assert.deepEqual(
      (await u.filter('id IS NULL').orderBy('city').collect()).map((r) => r.city),
      ['Oslo', 'Paris', 'Rome'],
    );
    assert.equal(await people().select('city').union(people().select('city'), { distinct: true }).count(), 3);
  });

  it('toColumns, fromColumns, range', async () => {
    const cols = await DataFrame.fromColumns({ x: [1, 2, 3], y: ['a', 'b', null], z: [0.5, 1, 2] }, { session })
      .filter('x >= 2')
      .toColumns();
    assert.deepEqual(cols, { x: [2, 3], y: ['b', null], z: [1, 2] });
    assert.deepEqual(await DataFrame.range(2, 8, 3, { session }).toColumns(), { id: [2, 5] });
  });

  it('bigint only where needed', async () => {
    const rows = await DataFrame.sql(
      'SELECT 9007199254740993::BIGINT AS big, 42::BIGINT AS small, sum(1) AS s',
      {},
      [],
      {
        session,
      },
    ).collect();
    assert.deepEqual(rows, [{ big: 9007199254740993n, small: 42, s: 1 }]);
  });

  it('sql over named frames and temp views, with parameters', async () => {
    const df = DataFrame.sql(
      'SELECT p.name, c.country FROM p JOIN c USING (city) WHERE p.age > ? ORDER BY p.name',
      { p: people(), c: cities() },
      [40],
    );
    assert.deepEqual(await df.collect(), [
      { name: 'Cid', country: 'NO' },
      { name: 'Eve', country: 'IT' },
    ]);
    await cities().createOrReplaceTempView('countries');
    const v = DataFrame.sql('WITH x AS (SELECT 1 AS one) SELECT count(*) AS n FROM countries, x', {}, [], {
      session,
    });
    assert.deepEqual(await v.collect(), [{ n: 3 }]);
  });

  it('cache materialises and unpersist drops', async () => {
    const cached = await people().filter('age IS NOT NULL').cache();
    assert.equal(await cached.count(), 4);
    assert.equal(await cached.withColumn('k', '1').count(), 4);
    await cached.unpersist();
    await assert.rejects(cached.count(), /DataFrame\.count: .*does not exist/);
  });

  it('frames are immutable', async () => {
    const base = people();
    const filtered = base.filter('age > 40');
    assert.equal(await base.count(), 5);
    assert.equal(await filtered.count(), 2);
  });
});
