/**
 * Fashion-MNIST (Zalando): 60,000 training and 10,000 test images of 28x28 grey clothing, 10 classes.
 * Debian ships it as dataset-fashion-mnist (installed by `npm run setup`).
 */
import { join } from 'node:path';
import type { Tensor } from '../../tensor/index.js';
import { checkChoice } from '../../util/options.js';
import { readIdx } from '../idx.js';

export const FASHION_MNIST_ROOT = '/usr/share/datasets/fashion-mnist';

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

export interface FashionMnist {
  /** [N, 1, 28, 28] uint8 */
  images: Tensor;
  /** [N] int64 class indices into FASHION_MNIST_CLASSES */
  labels: Tensor;
}

/**
 * Loads one split as tensors (about 47 MB for train).
 *
 * @example
 * ```ts
 * const { images, labels } = await loadFashionMnist('train');
 * const x = images.float().div(255);          // [60000, 1, 28, 28] in [0, 1]
 * ```
 */
export async function loadFashionMnist(split: 'train' | 'test', root = FASHION_MNIST_ROOT): Promise<FashionMnist> {
  checkChoice('loadFashionMnist', 'split', split, ['train', 'test']);
  const prefix = split === 'train' ? 'train' : 't10k';
  const [images, labels] = await Promise.all([
    readIdx(join(root, `${prefix}-images-idx3-ubyte.gz`)),
    readIdx(join(root, `${prefix}-labels-idx1-ubyte.gz`)),
  ]);
  if (images.ndim !== 3 || labels.ndim !== 1 || images.size(0) !== labels.size(0)) {
    const shapes = `images [${images.shape}], labels [${labels.shape}]`;
    images.dispose();
    labels.dispose();
    throw new Error(`Fashion-MNIST ${split} in ${root}: unexpected shapes ${shapes}`);
  }
  const n = images.size(0);
  const result = { images: images.reshape([n, 1, 28, 28]), labels: labels.long() };
  images.dispose();
  labels.dispose();
  return result;
}
