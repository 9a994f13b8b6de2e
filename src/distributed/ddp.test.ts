import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, lastJson, startProcess, startWorkers, type Worker } from './workers.testutil.js';

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'ddp-equivalence.fixture.js');
type Result = { state: Record<string, number[]>; grads: Record<string, string | null>; buckets: number };

async function finish(workers: Worker[]): Promise<Result[]> {
  const codes = await Promise.all(workers.map((w) => w.exited));
  assert.deepEqual(
    codes,
    workers.map(() => 0),
    workers.map((w) => w.stderr).join('\n'),
  );
  return workers.map((w) => lastJson<Result>(w, 'result '));
}

function maxDiff(a: Record<string, number[]>, b: Record<string, number[]>): number {
  assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort());
  let m = 0;
  for (const [k, v] of Object.entries(a)) {
    const w = b[k] as number[];
    assert.equal(v.length, w.length, k);
    for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs((v[i] as number) - (w[i] as number)));
  }
  return m;
}

describe('DistributedDataParallel (2 processes, real Gloo) against one process with batch 2B', () => {
  for (const kind of ['bn', 'frozen']) {
    it(`${kind === 'bn' ? 'CNN with SyncBatchNorm' : 'frozen backbone and an unused layer'}: same weights within 1e-5 after 20 steps`, async () => {
      const args = [kind, '20', '4', '0.00005']; // buckets of 52 bytes: several per step
      const single = startProcess(process.execPath, [fixture, 'single', ...args], { TSZOO_NUM_THREADS: '1' });
      const [reference] = await finish([single]);
      const [r0, r1] = await finish(startWorkers(fixture, 2, await freePort(), ['ddp', ...args]));
      assert.ok(reference && r0 && r1);
      assert.ok(r0.buckets > 1, `small buckets expected, got ${r0.buckets}`);
      // the two ranks apply the same averaged gradients to the same broadcast weights
      assert.ok(maxDiff(r0.state, r1.state) <= 1e-7, `ranks differ by ${maxDiff(r0.state, r1.state)}`);
      const d = maxDiff(r0.state, reference.state);
      assert.ok(d <= 1e-5, `distributed vs single process: max difference ${d}`);
      if (kind === 'frozen') {
        assert.equal(r0.grads['unused.weight'], null);
        assert.equal(r0.grads['body.0.weight'], null);
      }
    });
  }
});
