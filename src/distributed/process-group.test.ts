import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { firstSlurmHost, workerPlace } from './env.js';
import { freePort, lastJson, startWorkers } from './workers.testutil.js';

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'collectives.fixture.js');

describe('workerPlace', () => {
  it('reads torchrun, Kubeflow (no LOCAL_RANK), Slurm and explicit options', () => {
    const torchrun = workerPlace(
      {},
      { RANK: '3', WORLD_SIZE: '4', LOCAL_RANK: '1', LOCAL_WORLD_SIZE: '2', MASTER_ADDR: 'h0', MASTER_PORT: '1234' },
    );
    assert.deepEqual(
      [
        torchrun.rank,
        torchrun.worldSize,
        torchrun.localRank,
        torchrun.localWorldSize,
        torchrun.masterAddr,
        torchrun.masterPort,
        torchrun.source,
      ],
      [3, 4, 1, 2, 'h0', 1234, 'torchrun'],
    );
    const kf = workerPlace({}, { RANK: '2', WORLD_SIZE: '3', MASTER_ADDR: 'job-master-0', MASTER_PORT: '23456' });
    assert.deepEqual([kf.rank, kf.localRank, kf.localWorldSize, kf.source], [2, 0, 1, 'kubeflow']);
    const slurm = workerPlace(
      {},
      {
        SLURM_PROCID: '5',
        SLURM_NTASKS: '8',
        SLURM_LOCALID: '1',
        SLURM_NTASKS_PER_NODE: '2',
        SLURM_NODELIST: 'gpu[07-10],cpu1',
      },
    );
    assert.deepEqual(
      [slurm.rank, slurm.worldSize, slurm.localRank, slurm.masterAddr, slurm.masterPort, slurm.source],
      [5, 8, 1, 'gpu07', 29500, 'slurm'],
    );
    const ex = workerPlace({ rank: 1, worldSize: 2, masterPort: 999 }, { RANK: '0', WORLD_SIZE: '1' });
    assert.deepEqual([ex.rank, ex.worldSize, ex.masterPort, ex.source], [1, 2, 999, 'explicit']);
    assert.equal(workerPlace({}, {}).source, 'single');
    assert.equal(firstSlurmHost('n1'), 'n1');
    assert.equal(firstSlurmHost('node[3,5-6]'), 'node3');
  });

  it('rejects inconsistent places with a message naming the variable', () => {
    assert.throws(() => workerPlace({}, { RANK: '0' }), /WORLD_SIZE/);
    assert.throws(() => workerPlace({}, { RANK: '2', WORLD_SIZE: '2' }), /rank must be in \[0, 2\)/);
    assert.throws(() => workerPlace({}, { RANK: 'x', WORLD_SIZE: '2' }), /RANK must be a non-negative integer/);
  });
});

describe('ProcessGroup (2 processes on loopback, real Gloo)', () => {
  it('runs allReduce (sum, avg, max), broadcast, allGather, reduceScatter, barrier and the store', async () => {
    const workers = startWorkers(fixture, 2, await freePort(), ['all']);
    const codes = await Promise.all(workers.map((w) => w.exited));
    assert.deepEqual(codes, [0, 0], workers.map((w) => w.stderr).join('\n'));
    for (const [rank, w] of workers.entries()) {
      const r = lastJson<Record<string, unknown>>(w, 'result ');
      assert.equal(r.rank, rank);
      assert.equal(r.source, 'torchrun');
      assert.deepEqual(r.sum, [3, 30]);
      assert.deepEqual(r.avg, [1.5]);
      assert.deepEqual(r.max, [4]);
      assert.deepEqual(r.broadcast, [42, 1]);
      assert.deepEqual(r.gather, [
        [0, 0],
        [1, 1],
      ]);
      // inputs [1,2]*(r+1) and [3,4]*(r+1): summed over ranks x3; rank 0 gets the first, rank 1 the second
      assert.deepEqual(r.reduceScatter, rank === 0 ? [3, 6] : [9, 12]);
      assert.equal(r.store, `from ${(rank + 1) % 2}`);
      assert.equal(r.missing, null);
      assert.match(String(r.badInput), /allReduce: expected a contiguous dense CPU tensor/);
    }
  });

  it('SyncBatchNorm syncs in training only: statistics over both ranks, no collective in eval mode', async () => {
    const workers = startWorkers(fixture, 2, await freePort(), ['syncbn-eval']);
    const codes = await Promise.all(workers.map((w) => w.exited));
    assert.deepEqual(codes, [0, 0], workers.map((w) => w.stderr).join('\n'));
    const [r0, r1] = workers.map((w) => lastJson<{ mean: number; runningMean: number }>(w, 'result '));
    assert.ok(r0 && r1);
    // inputs centred near 0 on rank 0 and 5 on rank 1: normalised together, rank 0's outputs are negative
    assert.ok(r0.mean < -0.5 && r1.mean > 0.5, `${r0.mean} ${r1.mean}`);
    assert.ok(Math.abs(r0.runningMean - r1.runningMean) < 1e-6);
    assert.ok(Math.abs(r0.runningMean - 0.25) < 0.1, `running mean ${r0.runningMean}`); // 0.1 x the global mean 2.5
  });

  it('a peer killed with SIGKILL makes the other fail (not hang), naming the lost rank, and exit 1', async () => {
    for (const victim of [1, 0]) {
      const workers = startWorkers(fixture, 2, await freePort(), ['loop'], { TEST_TIMEOUT_MS: '15000' });
      await Promise.all(workers.map((w) => w.waitFor('looping')));
      const dead = workers[victim];
      const survivor = workers[1 - victim];
      assert.ok(dead && survivor);
      dead.child.kill('SIGKILL');
      assert.equal(await dead.exited, 'SIGKILL');
      assert.equal(await survivor.exited, 1, survivor.stderr);
      assert.match(survivor.stderr, new RegExp(`allReduce failed on rank ${1 - victim} of 2: rank ${victim} is gone`));
    }
  });

  it('a peer that stops answering (SIGSTOP) makes the other fail within the timeout', async () => {
    const workers = startWorkers(fixture, 2, await freePort(), ['loop'], { TEST_TIMEOUT_MS: '3000' });
    await Promise.all(workers.map((w) => w.waitFor('looping')));
    const [survivor, hung] = workers;
    assert.ok(survivor && hung);
    hung.child.kill('SIGSTOP');
    try {
      assert.equal(await survivor.exited, 1, survivor.stderr);
      assert.match(survivor.stderr, /allReduce failed on rank 0 of 2: rank 1 is gone/);
    } finally {
      hung.child.kill('SIGKILL');
    }
  });
});
