/**
 * Data: DataFrames on DuckDB, datasets, IDX files, and the DataLoader that feeds models (image and DICOM
 * readers and preprocessing chains come with the rest of issue 5).
 */

export {
  type ColumnInfo,
  type CsvOptions,
  DataFrame,
  GroupedData,
  getDefaultSession,
  type JoinHow,
  type JoinOptions,
  type JsonOptions,
  type MultiHotOptions,
  NO_FINDING,
  type Row,
  Session,
  type SortKey,
} from './dataframe/index.js';
export {
  type ChestXray14Layout,
  CXR14_LABELS,
  type Cxr14Label,
  cxr14MultiHot,
  cxr14PatientOf,
  findChestXray14,
} from './datasets/chestxray14.js';
export {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_ROOT,
  type FashionMnist,
  loadFashionMnist,
} from './datasets/fashion-mnist.js';
export {
  generateSyntheticCxr,
  SYNTHETIC_PREVALENCE,
  type SyntheticCxrOptions,
  type SyntheticCxrRow,
} from './datasets/synthetic-cxr.js';
export { decodeIdx, readIdx } from './idx.js';
export { type Batch, DataLoader, type DataLoaderOptions, type Dataset, TensorDataset } from './loader.js';
export { epochIndices, permutation, type SamplerOptions, seededRandom } from './sampler.js';
