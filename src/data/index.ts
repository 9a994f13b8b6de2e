/**
 * Data: DataFrames on DuckDB, image and DICOM decoding, preprocessing transforms, datasets (Fashion-MNIST,
 * ChestX-ray14 layout, synthetic CXR), IDX files, and the DataLoader that feeds models.
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
export * as features from './features/index.js';
export {
  type FeatureSource,
  FrameDataset,
  type FrameDatasetOptions,
  type Label,
  type LabelKind,
  type LoadedBatch,
} from './frame-dataset.js';
export { decodeIdx, readIdx } from './idx.js';
export * from './image/index.js';
export {
  type Batch,
  type BatchPosition,
  DataLoader,
  type DataLoaderOptions,
  type Dataset,
  TensorDataset,
} from './loader.js';
export {
  type DecodedFrameOptions,
  type ImageListOptions,
  openCvMode,
  readImages,
  readImagesDecoded,
} from './read-images.js';
export { type SampleError, SkippedSamplesError } from './sample-error.js';
export { epochIndices, permutation, type SamplerOptions, seededRandom } from './sampler.js';
