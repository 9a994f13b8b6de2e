import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { DataFrame, Session } from './index.js';

const session = new Session();
after(() => session.close());

describe('iterateBatches', () => {
  it('streams 200k rows in batches of 10k with bounded memory', async () => {
    const df = DataFrame.range(200_000, undefined, 1, { session }).withColumn('sq', 'id * id');
    let n = 0;
    let sum = 0;
    let batches = 0;
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const before = process.memoryUsage().heapUsed;
    let peak = 0;
    for await (const batch of df.iterateBatches(10_000)) {
      assert.equal(batch.length, 10_000);
      assert.equal(batch[0]!.id, n);
      for (const r of batch) sum += r.id as number;
      n += batch.length;
      batches += 1;
      if (batches % 5 === 0) {
        gc?.();
        peak = Math.max(peak, process.memoryUsage().heapUsed - before);
      }
    }
    assert.equal(n, 200_000);
    assert.equal(batches, 20);
    assert.equal(sum, (199_999 * 200_000) / 2);
    // 200k row objects would take tens of MB; a streamed batch takes a few
    assert.ok(peak < 16 * 1024 * 1024, `heap grew by ${(peak / 1e6).toFixed(1)} MB`);
  });

  it('last batch is short; breaking early closes the stream and the session keeps working', async () => {
    const sizes: number[] = [];
    for await (const b of DataFrame.range(25, undefined, 1, { session }).iterateBatches(10)) sizes.push(b.length);
    assert.deepEqual(sizes, [10, 10, 5]);
    for await (const b of DataFrame.range(1_000_000, undefined, 1, { session }).iterateBatches(100)) {
      assert.equal(b.length, 100);
      break;
    }
    assert.equal(await DataFrame.range(5, undefined, 1, { session }).count(), 5);
  });

  it('interleaves with other queries on the session', async () => {
    const df = DataFrame.range(5000, undefined, 1, { session });
    let n = 0;
    for await (const b of df.iterateBatches(1000)) {
      n += b.length;
      assert.equal(await df.count(), 5000);
    }
    assert.equal(n, 5000);
  });
});
