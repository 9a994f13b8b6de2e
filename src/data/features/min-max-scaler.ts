/** MinMaxScaler (Spark ML): each element of a vector column rescaled linearly to [min, max]. */

import { checkOptions } from '../../util/options.js';
import type { DataFrame } from '../dataframe/index.js';
import { quoteIdent } from '../dataframe/index.js';
import { checkName, type FeatureEstimator, type SaveableTransformer, type SavedStage, vectorColumn } from './stage.js';
import { vectorStats } from './vector-stats.js';

export interface MinMaxScalerOptions {
  inputCol: string;
  outputCol: string;
  /** lower bound of the output (default 0) */
  min?: number;
  /** upper bound of the output (default 1) */
  max?: number;
}

const OPTIONS = ['inputCol', 'outputCol', 'min', 'max'];

/**
 * Learns each element's minimum and maximum; the model maps them to `min` and `max` (an element that is
 * constant in the training data maps to their midpoint, as in Spark).
 *
 * @example
 * ```ts
 * const model = await new MinMaxScaler({ inputCol: 'features', outputCol: 'scaled' }).fit(train);
 * console.log(model.originalMin, model.originalMax);
 * ```
 */
export class MinMaxScaler implements FeatureEstimator<MinMaxScalerModel> {
  readonly stageName = 'MinMaxScaler';
  readonly options: Required<MinMaxScalerOptions>;

  constructor(options: MinMaxScalerOptions) {
    checkOptions('MinMaxScaler', options, OPTIONS, { required: true });
    const min = options.min ?? 0;
    const max = options.max ?? 1;
    if (
      typeof min !== 'number' ||
      typeof max !== 'number' ||
      !Number.isFinite(min) ||
      !Number.isFinite(max) ||
      min >= max
    )
      throw new RangeError(`MinMaxScaler: min must be below max (finite numbers), got min ${min}, max ${max}`);
    this.options = {
      inputCol: checkName('MinMaxScaler', 'inputCol', options.inputCol),
      outputCol: checkName('MinMaxScaler', 'outputCol', options.outputCol),
      min,
      max,
    };
  }

  async fit(frame: DataFrame): Promise<MinMaxScalerModel> {
    vectorColumn('MinMaxScaler', await frame.schema(), this.options.inputCol);
    const stats = await vectorStats('MinMaxScaler', frame, this.options.inputCol);
    return new MinMaxScalerModel(this.options, stats.min, stats.max);
  }
}

/** A fitted MinMaxScaler. */
export class MinMaxScalerModel implements SaveableTransformer {
  readonly stageName = 'MinMaxScalerModel';
  constructor(
    readonly options: Required<MinMaxScalerOptions>,
    readonly originalMin: Float64Array,
    readonly originalMax: Float64Array,
  ) {}

  async transform(frame: DataFrame): Promise<DataFrame> {
    const { inputCol, outputCol, min, max } = this.options;
    vectorColumn('MinMaxScalerModel', await frame.schema(), inputCol);
    const n = this.originalMin.length;
    const col = quoteIdent(inputCol);
    const lo = '(?::DOUBLE[])[i]';
    const hi = '(?::DOUBLE[])[i]';
    const expr = `CASE WHEN ${hi} = ${lo} THEN ?::DOUBLE ELSE (x - ${lo}) / (${hi} - ${lo}) * ?::DOUBLE + ?::DOUBLE END`;
    const omin = [...this.originalMin];
    const omax = [...this.originalMax];
    const values = [omax, omin, 0.5 * (max + min), omin, omax, omin, max - min, min];
    const check = `CASE WHEN len(${col}) <> ${n} THEN error('MinMaxScalerModel: a vector in ''${inputCol.replaceAll("'", "''")}'' does not have ${n} values') END`;
    return frame.withColumn(
      outputCol,
      `coalesce(${check}, list_transform(CAST(${col} AS DOUBLE[]), (x, i) -> ${expr}))`,
      ...values,
    );
  }

  saved(): SavedStage {
    return {
      stage: this.stageName,
      params: { ...this.options },
      arrays: { originalMin: this.originalMin, originalMax: this.originalMax },
    };
  }
}
