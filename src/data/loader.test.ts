import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { torch } from '../index.js';
import { DataLoader, type Dataset, TensorDataset } from './loader.js';
import { epochIndices, permutation } from './sampler.js';

const ids = (n: number) => torch.keep(torch.arange(n, { dtype: 'int64' }));

async function collectIds(loader: DataLoader, epoch: number): Promise<number[][]> {
  const out: number[][] = [];
  for await (const b of loader.epoch(epoch)) {
    out.push((b.tensors[0] as torch.Tensor).toArray());
    b.dispose();
  }
  return out;
}

describe('sampler', () => {
  it('permutes deterministically for a seed, differently for another', () => {
    assert.deepEqual(permutation(100, 7), permutation(100, 7));
    assert.notDeepEqual(permutation(100, 7), permutation(100, 8));
    assert.deepEqual(
      [...permutation(1000, 3)].sort((a, b) => a - b),
      Array.from({ length: 1000 }, (_, i) => i),
    );
  });

  it('shards across 2..8 ranks: disjoint, equal, covering the data once per epoch when it divides', () => {
    for (let world = 2; world <= 8; world++) {
      const n = world * 13;
      const shards = Array.from({ length: world }, (_, rank) => [
        ...epochIndices(n, 3, { shuffle: true, seed: 5, rank, worldSize: world }),
      ]);
      assert.ok(shards.every((s) => s.length === 13));
      assert.deepEqual(
        shards.flat().sort((a, b) => a - b),
        Array.from({ length: n }, (_, i) => i),
        `worldSize ${world}`,
      );
    }
  });

  it('pads by wrapping around (or drops the tail) when the data does not divide evenly', () => {
    const padded = [0, 1, 2].map((rank) => [...epochIndices(10, 0, { rank, worldSize: 3 })]);
    assert.deepEqual(padded, [
      [0, 3, 6, 9],
      [1, 4, 7, 0],
      [2, 5, 8, 1],
    ]);
    const dropped = [0, 1, 2].map((rank) => [...epochIndices(10, 0, { rank, worldSize: 3, dropLast: true })]);
    assert.deepEqual(
      dropped.flat().sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8],
    );
    assert.throws(() => epochIndices(10, 0, { rank: 3, worldSize: 3 }), /rank must be in \[0, 3\)/);
  });
});

describe('DataLoader', () => {
  it('batches in order without shuffling, with a short last batch or none with dropLast', async () => {
    const x = ids(10);
    const loader = new DataLoader(new TensorDataset(x), { batchSize: 4 });
    assert.deepEqual(await collectIds(loader, 0), [
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    assert.equal(loader.length, 3);
    const dropping = new DataLoader(new TensorDataset(x), { batchSize: 4, dropLast: true });
    assert.deepEqual((await collectIds(dropping, 0)).flat(), [0, 1, 2, 3, 4, 5, 6, 7]);
    x.dispose();
  });

  it('shuffles per epoch with a seed: same seed and epoch give the same order, next epoch another', async () => {
    const x = ids(50);
    const a = new DataLoader(new TensorDataset(x), { batchSize: 8, shuffle: true, seed: 1 });
    const b = new DataLoader(new TensorDataset(x), { batchSize: 8, shuffle: true, seed: 1 });
    const e0 = await collectIds(a, 0);
    assert.deepEqual(e0, await collectIds(b, 0));
    assert.notDeepEqual(e0, await collectIds(a, 1));
    assert.deepEqual(
      e0.flat().sort((p, q) => p - q),
      Array.from({ length: 50 }, (_, i) => i),
    );
    x.dispose();
  });

  it('keeps features and labels aligned', async () => {
    const x = torch.keep(torch.scope(() => torch.arange(20, { dtype: 'float32' }).reshape([10, 2])));
    const y = ids(10);
    const loader = new DataLoader(new TensorDataset(x, y), { batchSize: 3, shuffle: true, seed: 9 });
    for await (const batch of loader.epoch(2)) {
      const [xb, yb] = batch.tensors as [torch.Tensor, torch.Tensor];
      torch.scope(() => assert.deepEqual(xb.select(1, 0).toArray(), yb.mul(2).toArray()));
      assert.deepEqual(yb.toArray(), [...batch.indices]);
      batch.dispose();
    }
    x.dispose();
    y.dispose();
  });

  it('prefetches batches concurrently and still yields them in order', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const slow: Dataset = {
      length: 12,
      async getBatch(indices) {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 30 - indices[0]! * 2)); // later batches finish sooner
        inFlight--;
        return [torch.tensor(indices, { dtype: 'int32' })];
      },
    };
    const loader = new DataLoader(slow, { batchSize: 2, prefetch: 3 });
    const seen = await collectIds(loader, 0);
    assert.deepEqual(
      seen.flat(),
      Array.from({ length: 12 }, (_, i) => i),
    );
    assert.ok(maxInFlight >= 3, `batches loaded concurrently: ${maxInFlight}`);
  });

  it('frees prefetched batches when an epoch is left early, and leaks nothing', async () => {
    const x = ids(100);
    const before = torch.memory().tensors;
    const loader = new DataLoader(new TensorDataset(x), { batchSize: 10, prefetch: 4 });
    for await (const batch of loader.epoch(0)) {
      batch.dispose();
      if (batch.index === 2) break;
    }
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(torch.memory().tensors, before);
    x.dispose();
  });

  it('shards give each rank its own disjoint batches', async () => {
    const x = ids(40);
    const base = new DataLoader(new TensorDataset(x), { batchSize: 5, shuffle: true, seed: 4 });
    const r0 = (await collectIds(base.shard(0, 2), 1)).flat();
    const r1 = (await collectIds(base.shard(1, 2), 1)).flat();
    assert.equal(r0.length, 20);
    assert.deepEqual(
      [...r0, ...r1].sort((a, b) => a - b),
      Array.from({ length: 40 }, (_, i) => i),
    );
    x.dispose();
  });

  it('rejects bad options and mismatched tensors', () => {
    const x = ids(4);
    assert.throws(() => new DataLoader(new TensorDataset(x), { batchSize: 0 }), /batchSize must be a positive integer/);
    torch.scope(() => assert.throws(() => new TensorDataset(x, torch.zeros([3])), /first dimensions differ/));
    x.dispose();
  });
});
