import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { torch } from '../index.js';
import { blobEstimator, blobFrame, blobModel, weightsOf } from './estimator.fixture.js';
import type { TrainingEvent } from './events.js';
import { runInWorker } from './worker-run.js';

const recipe = new URL('./worker-recipe.fixture.js', import.meta.url);

describe('runInWorker', () => {
  it('trains in a worker thread, relays its events, and leaves the caller free', async () => {
    const events: TrainingEvent[] = [];
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const started = performance.now();
    const result = await runInWorker<{ epochs: number }, { weights: Record<string, number[]>; isMainThread: boolean }>(
      recipe,
      { data: { epochs: 3 }, onEvent: (e) => events.push(e), progress: false },
    );
    const ms = performance.now() - started;
    clearInterval(timer);
    assert.equal(result.isMainThread, false);
    assert.equal(events.filter((e) => e.type === 'iteration').length, 3 * 15);
    assert.equal(events.at(-1)?.type, 'end');
    // the interval kept firing while the worker trained (at least a third of the ideal count)
    assert.ok(ticks > ms / 5 / 3, `${ticks} ticks in ${ms.toFixed(0)} ms`);
    // the same recipe on this thread gives the same weights, bit for bit: the same ops on the same shapes
    // with the same intra-op thread count (each thread sets it when it loads the addon), in one process
    torch.manualSeed(11);
    const model = blobModel();
    await blobEstimator(model, null, 3).fit(blobFrame(240, 3));
    assert.deepEqual(result.weights, weightsOf(model));
  });

  it("relays the recipe's own messages (ctx.send) in order with its events", async () => {
    const seen: string[] = [];
    const result = await runInWorker<undefined, string>(recipe, {
      exportName: 'announcing',
      onEvent: (e) => seen.push(e.type),
      onMessage: (m) => seen.push(`message ${(m as { stage: string }).stage}`),
      progress: false,
    });
    assert.equal(result, 'done');
    assert.equal(seen[0], 'message before');
    assert.equal(seen.at(-1), 'message after');
    assert.equal(seen.at(-2), 'end');
    assert.equal(seen.filter((s) => s === 'iteration').length, 3, '48 rows in batches of 16');
  });

  it('rejects with the recipe error, and names a missing export', async () => {
    await assert.rejects(
      runInWorker(recipe, { exportName: 'failing', progress: false }),
      /the recipe failed on purpose/,
    );
    await assert.rejects(
      runInWorker(recipe, { exportName: 'nothing', progress: false }),
      /has no function export 'nothing'/,
    );
  });
});
