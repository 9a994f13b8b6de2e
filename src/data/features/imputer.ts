/** Imputer (Spark ML): missing values of numeric columns replaced by the column's mean, median or mode. */

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
} from './stage.js';

export interface ImputerOptions {
  inputCol?: string;
  outputCol?: string;
  inputCols?: string[];
  outputCols?: string[];
  /** 'mean' (default), 'median' (exact, interpolated like numpy's) or 'mode' (the smallest of the most frequent) */
  strategy?: 'mean' | 'median' | 'mode';
  /** the value that counts as missing besides null (default NaN) */
  missingValue?: number;
}

const OPTIONS = ['inputCol', 'outputCol', 'inputCols', 'outputCols', 'strategy', 'missingValue'];

interface Resolved {
  pairs: [string, string][];
  strategy: 'mean' | 'median' | 'mode';
  missingValue: number;
}

function missing(column: string, missingValue: number): string {
  const c = `CAST(${quoteIdent(column)} AS DOUBLE)`;
  return Number.isNaN(missingValue)
    ? `(${c} IS NULL OR isnan(${c}))`
    : `(${c} IS NULL OR isnan(${c}) OR ${c} = ${String(missingValue)}::DOUBLE)`;
}

/**
 * Learns each column's surrogate (from its non-missing values) and fills the missing ones with it; the
 * output columns are DOUBLE.
 *
 * @example
 * ```ts
 * const imputer = await new Imputer({ inputCols: ['age', 'income'], outputCols: ['age', 'income'], strategy: 'median' }).fit(df);
 * imputer.surrogates; // [41, 52000]
 * ```
 */
export class Imputer implements FeatureEstimator<ImputerModel> {
  readonly stageName = 'Imputer';
  readonly #options: Resolved;

  constructor(options: ImputerOptions) {
    checkOptions('Imputer', options, OPTIONS, { required: true });
    const missingValue = options.missingValue ?? Number.NaN;
    if (typeof missingValue !== 'number')
      throw new TypeError(`Imputer: missingValue must be a number, got ${String(missingValue)}`);
    this.#options = {
      pairs: columnPairs('Imputer', options),
      strategy: checkChoice('Imputer', 'strategy', options.strategy ?? 'mean', ['mean', 'median', 'mode']),
      missingValue,
    };
  }

  async fit(frame: DataFrame): Promise<ImputerModel> {
    const schema = await frame.schema();
    const surrogates: number[] = [];
    const { strategy, missingValue } = this.#options;
    for (const [input] of this.#options.pairs) {
      numericColumn('Imputer', schema, input);
      const c = `CAST(${quoteIdent(input)} AS DOUBLE)`;
      const present = `NOT ${missing(input, missingValue)}`;
      const sql =
        strategy === 'mode'
          ? `SELECT ${c} AS s FROM t WHERE ${present} GROUP BY s ORDER BY count(*) DESC, s ASC LIMIT 1`
          : `SELECT ${strategy === 'mean' ? 'avg' : 'median'}(${c}) AS s FROM t WHERE ${present}`;
      const [r] = await queryRows(frame, sql);
      const s = r?.s;
      if (s === null || s === undefined)
        throw new Error(
          `Imputer: column '${input}' has only missing values (null, NaN or ${missingValue}); no surrogate`,
        );
      surrogates.push(Number(s));
    }
    return new ImputerModel(this.#options, Float64Array.from(surrogates));
  }
}

/** A fitted Imputer: `surrogates[k]` replaces the missing values of the k-th input column. */
export class ImputerModel implements SaveableTransformer {
  readonly stageName = 'ImputerModel';
  constructor(
    readonly options: Resolved,
    readonly surrogates: Float64Array,
  ) {}

  async transform(frame: DataFrame): Promise<DataFrame> {
    const schema = await frame.schema();
    let out = frame;
    this.options.pairs.forEach(([input, output], k) => {
      numericColumn('ImputerModel', schema, input);
      out = out.withColumn(
        output,
        `CASE WHEN ${missing(input, this.options.missingValue)} THEN ?::DOUBLE ELSE CAST(${quoteIdent(input)} AS DOUBLE) END`,
        this.surrogates[k],
      );
    });
    return out;
  }

  saved(): SavedStage {
    const { missingValue, ...rest } = this.options;
    // NaN is not JSON: store it as null
    return {
      stage: this.stageName,
      params: { ...rest, missingValue: Number.isNaN(missingValue) ? null : missingValue },
      arrays: { surrogates: this.surrogates },
    };
  }
}
