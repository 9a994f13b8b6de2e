import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DataFrame } from './index.js';

describe('DataFrame: JS values round-trip or are a clear error', () => {
  it('keeps every value type through fromColumns and collect', async () => {
    const when = new Date('2024-05-01T12:00:00Z');
    const columns = {
      int: [1, 2, null],
      float: [1.5, 2, null],
      big: [2n ** 60n, 3n, null],
      text: ['a', 'b', null],
      flag: [true, false, null],
      date: [when, when, null],
      bytes: [Uint8Array.of(1, 2), Uint8Array.of(), null],
      vec: [[1, 2.5], [], null],
      f32: [Float32Array.of(1, 2), Float32Array.of(3), null],
      words: [['Effusion', 'Mass'], [], null],
      flags: [[true], [false, true], null],
      bigs: [[1n, 2n ** 60n], [], null],
      nested: [[[1, 2], [3.5]], [[]], null],
      empty: [[], [], null],
    };
    const df = DataFrame.fromColumns(columns);
    assert.deepEqual(
      (await df.schema()).map((c) => c.type),
      [
        'BIGINT',
        'DOUBLE',
        'BIGINT',
        'VARCHAR',
        'BOOLEAN',
        'TIMESTAMP',
        'BLOB',
        'DOUBLE[]',
        'DOUBLE[]',
        'VARCHAR[]',
        'BOOLEAN[]',
        'BIGINT[]',
        'DOUBLE[][]',
        'DOUBLE[]',
      ],
    );
    const rows = await df.collect();
    assert.deepEqual(rows[0], {
      int: 1,
      float: 1.5,
      big: 2n ** 60n,
      text: 'a',
      flag: true,
      date: when,
      bytes: Buffer.from([1, 2]), // BLOB comes back as a Buffer (a Uint8Array)
      vec: [1, 2.5],
      f32: [1, 2],
      words: ['Effusion', 'Mass'],
      flags: [true],
      bigs: [1, 2n ** 60n],
      nested: [[1, 2], [3.5]],
      empty: [],
    });
    assert.ok(Object.values(rows[2] as object).every((v) => v === null));
    // fromRows: the same, with a list of strings that starts empty (was DOUBLE[] of nulls)
    const labels = await DataFrame.fromRows([{ predicted: [] }, { predicted: ['Effusion'] }]).collect();
    assert.deepEqual(labels, [{ predicted: [] }, { predicted: ['Effusion'] }]);
  });

  it('names the column and what it holds when values cannot be stored', () => {
    assert.throws(() => DataFrame.fromColumns({ a: [1, 'x'] }), /column "a" mixes numbers and strings/);
    assert.throws(
      () => DataFrame.fromColumns({ a: [[1, 'x']] }),
      /column "a" mixes (numbers and strings|strings and numbers)/,
    );
    assert.throws(() => DataFrame.fromColumns({ a: [{ x: 1 }] }), /column "a" has an object \(x\).*JSON\.stringify/);
    assert.throws(() => DataFrame.fromColumns({ a: [[{ x: 1 }]] }), /column "a" has an object/);
    assert.throws(() => DataFrame.fromRows([{ f: () => 1 }]), /column "f" has a function/);
    assert.throws(() => DataFrame.fromColumns({ a: [['x'], [1]] }), /mixes lists of strings and lists of numbers/);
  });

  it('shows rows as a table, the schema as a tree, summaries and whole-frame aggregates', async () => {
    const df = DataFrame.fromRows([
      { city: 'Paris', n: 3 },
      { city: 'Lyon', n: 5 },
    ]);
    assert.equal(String(df), 'DataFrame[lazy: not run yet; await df.show() or df.printSchema()]');
    assert.equal(
      await df.showString(1),
      '+-----+-+\n| city|n|\n+-----+-+\n|Paris|3|\n+-----+-+\nonly showing top 1 row\n',
    );
    assert.equal(String(df), 'DataFrame[city: VARCHAR, n: BIGINT]');
    const summary = await df.describe().collect();
    assert.deepEqual(
      summary.map((r) => r.summary),
      ['count', 'mean', 'stddev', 'min', 'max'],
    );
    assert.deepEqual(
      summary.map((r) => r.n),
      ['2', '4.0', String(Math.SQRT2), '3', '5'],
    );
    assert.deepEqual(
      summary.map((r) => r.city),
      ['2', null, null, 'Lyon', 'Paris'],
    );
    assert.deepEqual(await df.agg({ total: 'sum(n)', rows: 'count(*)' }).collect(), [{ total: 8, rows: 2 }]);
    assert.equal(await df.count(), 2);
  });
});
