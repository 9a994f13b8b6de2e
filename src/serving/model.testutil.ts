/** Test helper: a tiny image classifier saved with Model.save (grey 16x16 in, 3 classes out). */
import { ToTensor } from '../data/image/photometric.js';
import { Conv2d, GlobalAvgPool2d, Linear, ReLU, Sequential } from '../nn/index.js';
import { Model } from '../pipeline/model.js';
import * as torch from '../tensor/index.js';

export const TINY_CLASSES = ['cat', 'dog', 'bird'];
export const TINY_SHAPE = [1, 16, 16];

/** The tiny classifier's architecture (random weights from `seed`). */
export function tinyModule(seed = 3): Sequential {
  torch.manualSeed(seed);
  return new Sequential(
    new Conv2d(1, 4, 3, { padding: 1 }),
    new ReLU(),
    new Conv2d(4, 6, 3, { stride: 2 }),
    new ReLU(),
    new GlobalAvgPool2d(),
    new Linear(6, 3),
  );
}

/** Saves the tiny classifier to `dir` (with ToTensor as its transform) and returns the in-process Model. */
export async function saveTinyModel(dir: string, seed = 3): Promise<Model> {
  const model = new Model(tinyModule(seed), {
    task: 'multi-class',
    classNames: TINY_CLASSES,
    transform: ToTensor(),
    featureShape: TINY_SHAPE,
    decode: { colour: 'grey', resize: [16, 16] },
  });
  await model.save(dir);
  return model;
}

/** `n` deterministic grey samples [n, 1, 16, 16] in [0, 1). */
export function tinyInputs(n: number, offset = 0): Float32Array {
  const size = 16 * 16;
  return Float32Array.from({ length: n * size }, (_, i) => (Math.sin((i + offset * size) * 0.731) + 1) / 2);
}
