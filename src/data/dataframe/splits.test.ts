import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { DataFrame, Session } from './index.js';

const session = new Session();
after(() => session.close());

/** 1000 rows in 137 groups of uneven size (1..14 rows). */
function grouped(): DataFrame {
  const rows: { id: number; patient: number }[] = [];
  let id = 0;
  for (let p = 0; rows.length < 1000; p++)
    for (let k = 0; k < 1 + (p % 14) && rows.length < 1000; k++) rows.push({ id: id++, patient: p });
  return DataFrame.fromRows(rows, { session });
}

async function ids(df: DataFrame): Promise<number[]> {
  return (await df.select('id').collect()).map((r) => r.id as number);
}

describe('randomSplit', () => {
  it('is reproducible for a seed, partitions the rows, sizes follow the weights', async () => {
    const df = DataFrame.range(1000, undefined, 1, { session });
    const a = await Promise.all(df.randomSplit([0.7, 0.2, 0.1], { seed: 7 }).map(ids));
    const b = await Promise.all(df.randomSplit([0.7, 0.2, 0.1], { seed: 7 }).map(ids));
    const c = await Promise.all(df.randomSplit([0.7, 0.2, 0.1], { seed: 8 }).map(ids));
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.deepEqual(
      a.map((p) => p.length),
      [700, 200, 100],
    );
    const all = a.flat().sort((x, y) => x - y);
    assert.deepEqual(
      all,
      Array.from({ length: 1000 }, (_, i) => i),
    );
    for (const part of a)
      assert.deepEqual(
        part,
        [...part].sort((x, y) => x - y),
        'each part keeps input order',
      );
    // random, not a prefix
    assert.ok(a[0]!.some((v) => v >= 700));
  });

  it('normalises weights', async () => {
    const parts = DataFrame.range(10, undefined, 1, { session }).randomSplit([1, 1], { seed: 1 });
    assert.deepEqual(await Promise.all(parts.map((p) => p.count())), [5, 5]);
    assert.throws(() => DataFrame.range(3).randomSplit([0, 0]), /sum to 0/);
  });
});

describe('splitByGroup', () => {
  it('never puts a group in two parts and covers every row once (many seeds)', async () => {
    const df = await grouped().cache();
    for (let seed = 0; seed < 20; seed++) {
      const parts = df.splitByGroup('patient', [0.7, 0.1, 0.2], { seed });
      const rows = await Promise.all(parts.map((p) => p.collect()));
      const owner = new Map<number, number>();
      rows.forEach((part, i) => {
        for (const r of part) {
          const prev = owner.get(r.patient as number);
          assert.ok(prev === undefined || prev === i, `seed ${seed}: patient ${r.patient} in parts ${prev} and ${i}`);
          owner.set(r.patient as number, i);
        }
      });
      const all = rows
        .flat()
        .map((r) => r.id as number)
        .sort((x, y) => x - y);
      assert.deepEqual(
        all,
        Array.from({ length: 1000 }, (_, i) => i),
      );
      const sizes = rows.map((p) => p.length);
      // within a couple of groups (max 14 rows) of the targets
      [700, 100, 200].forEach((target, i) => {
        assert.ok(Math.abs(sizes[i]! - target) <= 28, `seed ${seed}: sizes ${sizes}`);
      });
    }
    await df.unpersist();
  });

  it('is reproducible and treats NULL as one group', async () => {
    const df = DataFrame.fromRows(
      [
        { id: 0, g: 'a' },
        { id: 1, g: null },
        { id: 2, g: 'b' },
        { id: 3, g: null },
        { id: 4, g: 'c' },
      ],
      { session },
    );
    const a = await Promise.all(df.splitByGroup('g', [0.5, 0.5], { seed: 3 }).map(ids));
    const b = await Promise.all(df.splitByGroup('g', [0.5, 0.5], { seed: 3 }).map(ids));
    assert.deepEqual(a, b);
    const nullPart = a.findIndex((p) => p.includes(1));
    assert.ok(a[nullPart]!.includes(3));
    assert.equal(a.flat().length, 5);
  });

  it('names a missing group column', async () => {
    const [p] = grouped().splitByGroup('nope', [1]);
    await assert.rejects(p!.count(), /column "nope" not found/);
  });
});
