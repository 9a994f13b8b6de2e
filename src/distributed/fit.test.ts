import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, maxDiff, results, startProcess, startWorkers } from './workers.testutil.js';

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fit.fixture.js');
describe('Estimator.fit inside a process group (2 processes)', () => {
  it('trains like one process with the global batch; validation over the whole set equals the single figure', async () => {
    const [single] = await results([
      startProcess(process.execPath, [fixture, 'single', '2', '8'], { TSZOO_NUM_THREADS: '1' }),
    ]);
    const workers = startWorkers(fixture, 2, await freePort(), ['ddp', '2', '8']);
    const [r0, r1] = await results(workers);
    assert.ok(single && r0 && r1);
    assert.match(workers[0]?.stderr ?? '', /batch 8 per worker, global batch 16/);
    assert.equal(r0.iterations, single.iterations); // 96 rows / 16 per step x 2 epochs
    assert.ok(maxDiff(r0.weights, r1.weights) <= 1e-7);
    assert.ok(maxDiff(r0.weights, single.weights) <= 1e-5, `weights differ by ${maxDiff(r0.weights, single.weights)}`);
    for (const [e, v] of single.validations.entries()) {
      for (const r of [r0, r1]) {
        const got = r.validations[e] as Record<string, number>;
        assert.deepEqual(Object.keys(got).sort(), Object.keys(v).sort());
        for (const k of Object.keys(v))
          assert.ok(Math.abs((got[k] as number) - (v[k] as number)) <= 1e-5, `${k}: ${got[k]} vs ${v[k]}`);
      }
    }
    for (const [e, l] of single.epochs.entries())
      assert.ok(Math.abs((r1.epochs[e] as number) - l) <= 1e-5, `epoch loss ${e}`);
  });
});
