/** StandardScaler (Spark ML): each element of a vector column centred and/or divided by its sample std. */

import { checkOptions } from '../../util/options.js';
import type { DataFrame } from '../dataframe/index.js';
import { quoteIdent } from '../dataframe/index.js';
import { checkName, type FeatureEstimator, type SaveableTransformer, type SavedStage, vectorColumn } from './stage.js';
import { vectorStats } from './vector-stats.js';

export interface StandardScalerOptions {
  inputCol: string;
  outputCol: string;
  /** subtract the mean (default false, as in Spark) */
  withMean?: boolean;
  /** divide by the sample standard deviation (default true); an element with std 0 becomes 0 */
  withStd?: boolean;
}

const OPTIONS = ['inputCol', 'outputCol', 'withMean', 'withStd'];

function flag(name: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new TypeError(`StandardScaler: ${name} must be true or false, got ${String(v)}`);
  return v;
}

/**
 * Learns each element's mean and sample standard deviation (Spark's StandardScaler; scikit-learn's uses the
 * population std).
 *
 * @example
 * ```ts
 * const scaler = await new StandardScaler({ inputCol: 'features', outputCol: 'scaled', withMean: true }).fit(train);
 * const scaled = await scaler.transform(test); // scaler.mean, scaler.std
 * ```
 */
export class StandardScaler implements FeatureEstimator<StandardScalerModel> {
  readonly stageName = 'StandardScaler';
  readonly options: Required<StandardScalerOptions>;

  constructor(options: StandardScalerOptions) {
    checkOptions('StandardScaler', options, OPTIONS, { required: true });
    this.options = {
      inputCol: checkName('StandardScaler', 'inputCol', options?.inputCol),
      outputCol: checkName('StandardScaler', 'outputCol', options?.outputCol),
      withMean: flag('withMean', options.withMean, false),
      withStd: flag('withStd', options.withStd, true),
    };
  }

  async fit(frame: DataFrame): Promise<StandardScalerModel> {
    vectorColumn('StandardScaler', await frame.schema(), this.options.inputCol);
    const stats = await vectorStats('StandardScaler', frame, this.options.inputCol);
    return new StandardScalerModel(this.options, stats.mean, stats.std);
  }
}

/** A fitted StandardScaler: `(x - mean) / std` per element (each part as withMean / withStd say). */
export class StandardScalerModel implements SaveableTransformer {
  readonly stageName = 'StandardScalerModel';
  constructor(
    readonly options: Required<StandardScalerOptions>,
    readonly mean: Float64Array,
    readonly std: Float64Array,
  ) {}

  async transform(frame: DataFrame): Promise<DataFrame> {
    const { inputCol, outputCol, withMean, withStd } = this.options;
    const type = vectorColumn('StandardScalerModel', await frame.schema(), inputCol);
    const n = this.mean.length;
    const col = `CAST(${quoteIdent(inputCol)} AS DOUBLE[])`;
    const centred = withMean ? '(x - (?::DOUBLE[])[i])' : 'x';
    const scaled = withStd
      ? `CASE WHEN (?::DOUBLE[])[i] = 0 THEN 0.0::DOUBLE ELSE ${centred} / (?::DOUBLE[])[i] END`
      : centred;
    const values: unknown[] = [];
    if (withStd) values.push([...this.std]);
    if (withMean) values.push([...this.mean]);
    if (withStd) values.push([...this.std]);
    const check = `CASE WHEN len(${quoteIdent(inputCol)}) <> ${n} THEN error('StandardScalerModel: column ''${inputCol.replaceAll("'", "''")}'' (${type}) has a vector whose size is not ${n}') END`;
    return frame.withColumn(outputCol, `coalesce(${check}, list_transform(${col}, (x, i) -> ${scaled}))`, ...values);
  }

  saved(): SavedStage {
    return { stage: this.stageName, params: { ...this.options }, arrays: { mean: this.mean, std: this.std } };
  }
}
