/**
 * Feature transformers and estimators on DataFrames, with Spark ML's names and semantics, computed inside
 * DuckDB: VectorAssembler, StandardScaler, MinMaxScaler, StringIndexer, OneHotEncoder, Imputer,
 * Bucketizer, SQLTransformer. Chain them (and the NN Estimator) with `pipeline.Pipeline`.
 *
 * @example
 * ```ts
 * import { data } from 'tszoo';
 * const { StringIndexer, VectorAssembler } = data.features;
 * const indexed = await (await new StringIndexer({ inputCol: 'city', outputCol: 'cityIndex' }).fit(df)).transform(df);
 * const assembled = await new VectorAssembler({ inputCols: ['age', 'cityIndex'], outputCol: 'features' }).transform(indexed);
 * ```
 */
export { Bucketizer, type BucketizerOptions } from './bucketizer.js';
export { Imputer, ImputerModel, type ImputerOptions } from './imputer.js';
export { MinMaxScaler, MinMaxScalerModel, type MinMaxScalerOptions } from './min-max-scaler.js';
export { OneHotEncoder, OneHotEncoderModel, type OneHotEncoderOptions } from './one-hot-encoder.js';
export { FEATURE_STAGES, loadFeatureStage } from './registry.js';
export { SQLTransformer, type SQLTransformerOptions } from './sql-transformer.js';
export type { FeatureEstimator, SaveableTransformer, SavedStage, Transformer } from './stage.js';
export { StandardScaler, StandardScalerModel, type StandardScalerOptions } from './standard-scaler.js';
export {
  StringIndexer,
  StringIndexerModel,
  type StringIndexerOptions,
  type StringOrderType,
} from './string-indexer.js';
export { type HandleInvalid, VectorAssembler, type VectorAssemblerOptions } from './vector-assembler.js';
