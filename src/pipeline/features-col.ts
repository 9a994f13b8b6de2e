/** Several feature columns given to the Estimator or Model: assembled into one vector column first. */
import type { DataFrame } from '../data/dataframe/index.js';
import { VectorAssembler } from '../data/features/index.js';

/** The column the assembled features go to when `featuresCol` names several columns. */
export const ASSEMBLED_FEATURES = '__features';

/**
 * The frame and the one feature column to read: `featuresCol` itself, or, for a list of numeric (or vector)
 * columns, a DOUBLE[] column assembled from them in order (as VectorAssembler does).
 */
export async function withFeatureColumn(
  frame: DataFrame,
  featuresCol: string | readonly string[],
): Promise<{ frame: DataFrame; column: string }> {
  if (typeof featuresCol === 'string') return { frame, column: featuresCol };
  const assembler = new VectorAssembler({ inputCols: [...featuresCol], outputCol: ASSEMBLED_FEATURES });
  return { frame: await assembler.transform(frame), column: ASSEMBLED_FEATURES };
}
