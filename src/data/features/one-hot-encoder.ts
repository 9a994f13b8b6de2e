/** OneHotEncoder (Spark ML 3): category indices to 0/1 vectors, the last category dropped by default. */

import { checkChoice, checkOptions } from '../../util/options.js';
import type { DataFrame } from '../dataframe/index.js';
import { quoteIdent } from '../dataframe/index.js';
import {
  columnPairs,
  type FeatureEstimator,
  numericColumn,
  queryRows,
  type SaveableTransformer,
  type SavedStage,
  sqlText,
} from './stage.js';

export interface OneHotEncoderOptions {
  inputCol?: string;
  outputCol?: string;
  inputCols?: string[];
  outputCols?: string[];
  /** leave out the last category, so that the vectors of n categories have n - 1 values (default true) */
  dropLast?: boolean;
  /** an index not seen in fit (or null): 'error' (default), or 'keep' (an extra category, last) */
  handleInvalid?: 'error' | 'keep';
}

const OPTIONS = ['inputCol', 'outputCol', 'inputCols', 'outputCols', 'dropLast', 'handleInvalid'];

interface Resolved {
  pairs: [string, string][];
  dropLast: boolean;
  handleInvalid: 'error' | 'keep';
}

/**
 * Learns the number of categories of each index column (its maximum + 1; indices must be non-negative
 * integers, e.g. from StringIndexer).
 *
 * @example
 * ```ts
 * const encoder = await new OneHotEncoder({ inputCol: 'cityIndex', outputCol: 'cityVec' }).fit(indexed);
 * // 3 cities: 0 -> [1, 0], 1 -> [0, 1], 2 -> [0, 0] (dropLast)
 * ```
 */
export class OneHotEncoder implements FeatureEstimator<OneHotEncoderModel> {
  readonly stageName = 'OneHotEncoder';
  readonly #options: Resolved;

  constructor(options: OneHotEncoderOptions) {
    checkOptions('OneHotEncoder', options, OPTIONS, { required: true });
    if (options.dropLast !== undefined && typeof options.dropLast !== 'boolean')
      throw new TypeError(`OneHotEncoder: dropLast must be true or false, got ${String(options.dropLast)}`);
    this.#options = {
      pairs: columnPairs('OneHotEncoder', options),
      dropLast: options.dropLast ?? true,
      handleInvalid: checkChoice('OneHotEncoder', 'handleInvalid', options.handleInvalid ?? 'error', ['error', 'keep']),
    };
  }

  async fit(frame: DataFrame): Promise<OneHotEncoderModel> {
    const schema = await frame.schema();
    const sizes: number[] = [];
    for (const [input] of this.#options.pairs) {
      numericColumn('OneHotEncoder', schema, input);
      const c = quoteIdent(input);
      const [r] = await queryRows(
        frame,
        `SELECT max(${c}) AS hi, count(*) FILTER (WHERE ${c} < 0 OR ${c} <> floor(${c}) OR isnan(${c}::DOUBLE)) AS bad FROM t`,
      );
      const { hi, bad } = r as { hi: number | null; bad: number };
      if (bad > 0)
        throw new Error(`OneHotEncoder: column '${input}' has ${bad} value(s) that are not non-negative integers`);
      if (hi === null) throw new Error(`OneHotEncoder: column '${input}' has no non-null value to learn from`);
      sizes.push(Number(hi) + 1);
    }
    return new OneHotEncoderModel(this.#options, sizes);
  }
}

/** A fitted OneHotEncoder: `categorySizes[k]` categories for the k-th input column. */
export class OneHotEncoderModel implements SaveableTransformer {
  readonly stageName = 'OneHotEncoderModel';
  constructor(
    readonly options: Resolved,
    readonly categorySizes: number[],
  ) {}

  /** The length of each output vector. */
  get outputSizes(): number[] {
    const { dropLast, handleInvalid } = this.options;
    return this.categorySizes.map((n) => n + (handleInvalid === 'keep' ? 1 : 0) - (dropLast ? 1 : 0));
  }

  async transform(frame: DataFrame): Promise<DataFrame> {
    const schema = await frame.schema();
    let out = frame;
    this.options.pairs.forEach(([input, output], k) => {
      numericColumn('OneHotEncoderModel', schema, input);
      const n = this.categorySizes[k] as number;
      const size = this.outputSizes[k] as number;
      const c = `CAST(${quoteIdent(input)} AS DOUBLE)`;
      const bad = `${c} IS NULL OR isnan(${c}) OR ${c} < 0 OR ${c} >= ${n} OR ${c} <> floor(${c})`;
      const index =
        this.options.handleInvalid === 'keep'
          ? `CASE WHEN ${bad} THEN ${n} ELSE CAST(${c} AS BIGINT) END`
          : `CASE WHEN ${bad} THEN error(${sqlText(`OneHotEncoder: column '${input}' has a category outside 0..${n - 1} or null (handleInvalid 'keep' gives it a category of its own): `)} || coalesce(CAST(${c} AS VARCHAR), 'NULL')) ELSE CAST(${c} AS BIGINT) END`;
      const tmp = `__onehot_${k}_${output}`;
      out = out
        .withColumn(tmp, index)
        .withColumn(
          output,
          `list_transform(range(${size}), j -> CASE WHEN j = ${quoteIdent(tmp)} THEN 1.0::DOUBLE ELSE 0.0::DOUBLE END)`,
        )
        .drop(tmp);
    });
    return out;
  }

  saved(): SavedStage {
    return {
      stage: this.stageName,
      params: { ...this.options, categorySizes: this.categorySizes },
    };
  }
}
