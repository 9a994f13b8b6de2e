/**
 * Test fixture: recipes for runInWorker. The default trains the blob task; `announcing` also sends messages
 * around its events; `failing` throws.
 */

import { torch } from '../index.js';
import { blobEstimator, blobFrame, blobModel, weightsOf } from './estimator.fixture.js';
import type { RecipeContext } from './worker-run.js';

export default async function train({ data, emit }: RecipeContext<{ epochs: number }>) {
  torch.manualSeed(11);
  const model = blobModel();
  await blobEstimator(model, null, data.epochs).onEvent(emit).fit(blobFrame(240, 3));
  return { weights: weightsOf(model), isMainThread: (await import('node:worker_threads')).isMainThread };
}

export async function announcing({ emit, send }: RecipeContext<undefined>) {
  send({ stage: 'before' });
  torch.manualSeed(12);
  await blobEstimator(blobModel(), null, 1).onEvent(emit).fit(blobFrame(48, 4));
  send({ stage: 'after' });
  return 'done';
}

export async function failing(): Promise<never> {
  throw new Error('the recipe failed on purpose');
}
