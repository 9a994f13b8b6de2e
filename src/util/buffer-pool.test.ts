import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BufferPool } from './buffer-pool.js';

describe('BufferPool', () => {
  it('hands back the smallest free buffer that fits, and allocates when none does', () => {
    const pool = new BufferPool(4);
    const big = pool.take(1000);
    const small = pool.take(100);
    assert.ok(big.length >= 1000 && small.length >= 100);
    pool.give(big);
    pool.give(small);
    assert.equal(pool.take(50), small, 'the smaller one fits 50');
    assert.equal(pool.take(50), big, 'then the bigger one');
    const fresh = pool.take(5000);
    assert.ok(fresh !== big && fresh !== small && fresh.length >= 5000);
  });

  it('keeps at most maxBuffers, and a buffer given twice once', () => {
    const pool = new BufferPool(2);
    const bs = [pool.take(10), pool.take(10), pool.take(10)];
    pool.give(bs[0] as Uint8Array);
    pool.give(bs[0] as Uint8Array);
    assert.equal(pool.size, 1);
    for (const b of bs) pool.give(b);
    assert.equal(pool.size, 2);
  });
});
