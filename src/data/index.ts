/**
 * Data: datasets, IDX files, and the DataLoader that feeds models (DataFrames, image and DICOM readers
 * and preprocessing chains come with the rest of issue 5).
 */
export {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_ROOT,
  type FashionMnist,
  loadFashionMnist,
} from './datasets/fashion-mnist.js';
export { decodeIdx, readIdx } from './idx.js';
export { type Batch, DataLoader, type DataLoaderOptions, type Dataset, TensorDataset } from './loader.js';
export { epochIndices, permutation, type SamplerOptions, seededRandom } from './sampler.js';
