import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  Dictionary,
  Field,
  Float32,
  Int8,
  Int32,
  Int64,
  List,
  Struct,
  Table,
  tableFromArrays,
  tableFromIPC,
  tableToIPC,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { DataFrame, Session } from './index.js';

const session = new Session();
const dir = mkdtempSync(join(tmpdir(), 'tszoo-arrow-'));
after(async () => {
  await session.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A table with the types a labels file carries, nulls included. */
function labelsTable(): Table {
  return new Table({
    image: vectorFromArray(['a.png', 'b.png', null], new Utf8()),
    patient: vectorFromArray([7n, 9007199254740993n, 7n], new Int64()),
    age: vectorFromArray([58, null, 3], new Int8()),
    score: vectorFromArray([0.25, 0.5, null], new Float32()),
    view: vectorFromArray(['PA', 'AP', 'PA'], new Dictionary(new Utf8(), new Int32())),
    labels: vectorFromArray([[1, 0], null, [0, 1]], new List(new Field('item', new Float32(), true))),
  });
}

describe('DataFrame and Apache Arrow', () => {
  it('fromArrow keeps values, nulls and the types the Arrow schema names', async () => {
    const df = DataFrame.fromArrow(labelsTable(), { session });
    assert.deepEqual(await df.schema(), [
      { name: 'image', type: 'VARCHAR' },
      { name: 'patient', type: 'BIGINT' },
      { name: 'age', type: 'TINYINT' },
      { name: 'score', type: 'FLOAT' },
      { name: 'view', type: 'VARCHAR' },
      { name: 'labels', type: 'FLOAT[]' },
    ]);
    assert.deepEqual(await df.collect(), [
      { image: 'a.png', patient: 7, age: 58, score: 0.25, view: 'PA', labels: [1, 0] },
      // 2^53 + 1 is not a safe integer: it stays a bigint, exact
      { image: 'b.png', patient: 9007199254740993n, age: null, score: 0.5, view: 'AP', labels: null },
      { image: null, patient: 7, age: 3, score: null, view: 'PA', labels: [0, 1] },
    ]);
    assert.equal(await df.filter('age > ?', 10).count(), 1);
  });

  it('round-trips through Arrow IPC files and streams, and SQL results convert back to Arrow', async () => {
    const path = join(dir, 'labels.arrow');
    await DataFrame.fromArrow(labelsTable(), { session }).writeArrow(path);
    const back = DataFrame.readArrow(path, { session });
    assert.deepEqual(await back.collect(), await DataFrame.fromArrow(labelsTable(), { session }).collect());
    const stream = tableToIPC(labelsTable(), 'stream');
    assert.equal(await DataFrame.fromArrow(stream, { session }).count(), 3);

    const agg = await back.groupBy('patient').agg({ n: 'count(*)', mean_age: 'avg(age)' }).orderBy('patient').toArrow();
    assert.deepEqual(
      agg.schema.fields.map((f) => [f.name, String(f.type)]),
      [
        ['patient', 'Int64'],
        ['n', 'Int64'],
        ['mean_age', 'Float64'],
      ],
    );
    assert.deepEqual(agg.getChild('patient')?.toArray(), BigInt64Array.from([7n, 9007199254740993n]));
    assert.deepEqual(Array.from(agg.getChild('n') ?? []), [2n, 1n]);
    assert.deepEqual(Array.from(agg.getChild('mean_age') ?? []), [30.5, null]);
    const read = tableFromIPC(tableToIPC(await back.select('labels', 'image').toArrow()));
    assert.deepEqual(Array.from(read.getChild('labels')?.get(2) ?? []), [0, 1]);
    assert.equal(read.getChild('labels')?.get(1), null);
  });

  it('a frame of timestamps, booleans and blobs converts to Arrow and back', async () => {
    const df = DataFrame.fromColumns(
      { at: [new Date(Date.UTC(2020, 1, 3, 4, 5, 6)), null], ok: [true, false], raw: [new Uint8Array([1, 2]), null] },
      { session },
    );
    const table = await df.toArrow();
    assert.deepEqual(
      table.schema.fields.map((f) => String(f.type)),
      ['Timestamp<MICROSECOND>', 'Bool', 'Binary'],
    );
    const rows = await DataFrame.fromArrow(table, { session }).collect();
    assert.equal((rows[0] as { at: Date }).at.toISOString(), '2020-02-03T04:05:06.000Z');
    assert.deepEqual(
      rows.map((r) => [r.ok, r.raw === null ? null : Array.from(r.raw as Uint8Array)]),
      [
        [true, [1, 2]],
        [false, null],
      ],
    );
  });

  it('says which column or file is the problem', async () => {
    const nested = new Table({
      s: vectorFromArray([{ a: 1 }], new Struct([new Field('a', new Int32())])),
    });
    assert.throws(
      () => DataFrame.fromArrow(nested, { session }),
      /column "s" has Arrow type Struct<\{a:Int32\}>, not supported/,
    );
    assert.throws(
      () => DataFrame.fromArrow(new Uint8Array([1, 2, 3, 4]), { session }),
      /DataFrame.fromArrow: not Arrow IPC data/,
    );
    const junk = join(dir, 'junk.arrow');
    writeFileSync(junk, 'not arrow at all');
    assert.throws(
      () => DataFrame.readArrow(junk, { session }),
      (e: Error) => e.message.includes(junk),
    );
    assert.throws(() => DataFrame.readArrow(join(dir, 'missing.arrow'), { session }), /cannot read .*missing\.arrow/);
    const decimals = DataFrame.sql('SELECT 1.5::DECIMAL(4,1) AS price', {}, [], { session });
    await assert.rejects(decimals.toArrow(), /column "price" has type DECIMAL\(4,1\), which has no Arrow mapping here/);
    assert.equal(await DataFrame.fromArrow(tableFromArrays({ x: Int32Array.from([1]) }), { session }).count(), 1);
  });
});
