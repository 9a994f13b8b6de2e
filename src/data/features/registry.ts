/** Rebuilds saved feature stages from their data (parameters and arrays): no code is stored or run. */
import { Bucketizer } from './bucketizer.js';
import { ImputerModel } from './imputer.js';
import { MinMaxScalerModel } from './min-max-scaler.js';
import { OneHotEncoderModel } from './one-hot-encoder.js';
import { SQLTransformer } from './sql-transformer.js';
import type { SaveableTransformer, SavedStage } from './stage.js';
import { StandardScalerModel } from './standard-scaler.js';
import { StringIndexerModel } from './string-indexer.js';
import { VectorAssembler } from './vector-assembler.js';

type Params = Record<string, unknown>;

function array(saved: SavedStage, name: string): Float64Array {
  const a = saved.arrays?.[name];
  if (!(a instanceof Float64Array)) throw new Error(`${saved.stage}: saved state has no array '${name}'`);
  return a;
}

const LOADERS: Record<string, (s: SavedStage) => SaveableTransformer> = {
  VectorAssembler: (s) => new VectorAssembler(s.params as never),
  SQLTransformer: (s) => new SQLTransformer(s.params as never),
  Bucketizer: (s) => new Bucketizer({ ...(s.params as Params), splits: [...array(s, 'splits')] } as never),
  StandardScalerModel: (s) => new StandardScalerModel(s.params as never, array(s, 'mean'), array(s, 'std')),
  MinMaxScalerModel: (s) => new MinMaxScalerModel(s.params as never, array(s, 'originalMin'), array(s, 'originalMax')),
  StringIndexerModel: (s) => {
    const { labels, ...options } = s.params as Params & { labels: string[][] };
    return new StringIndexerModel(options as never, labels);
  },
  OneHotEncoderModel: (s) => {
    const { categorySizes, ...options } = s.params as Params & { categorySizes: number[] };
    return new OneHotEncoderModel(options as never, categorySizes);
  },
  ImputerModel: (s) => {
    const { missingValue, ...options } = s.params as Params & { missingValue: number | null };
    return new ImputerModel({ ...options, missingValue: missingValue ?? Number.NaN } as never, array(s, 'surrogates'));
  },
};

/** The names of the stages `loadFeatureStage` rebuilds. */
export const FEATURE_STAGES: readonly string[] = Object.keys(LOADERS);

/** Rebuilds a fitted feature stage from `saved()` data. */
export function loadFeatureStage(saved: SavedStage): SaveableTransformer {
  const load = LOADERS[saved.stage];
  if (!load) throw new Error(`unknown feature stage '${saved.stage}' (known: ${FEATURE_STAGES.join(', ')})`);
  return load(saved);
}
