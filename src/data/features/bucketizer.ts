/** Bucketizer (Spark ML): a numeric column to bucket indices by split points. */

import { checkChoice, checkOptions } from '../../util/options.js';
import type { DataFrame } from '../dataframe/index.js';
import { quoteIdent } from '../dataframe/index.js';
import { checkName, numericColumn, type SaveableTransformer, type SavedStage, sqlText } from './stage.js';

export interface BucketizerOptions {
  inputCol: string;
  outputCol: string;
  /** increasing split points, at least 3: bucket i is [splits[i], splits[i+1]), the last one closed; ±Infinity allowed */
  splits: number[];
  /** null or NaN input: 'error' (default), 'skip' (drop the row) or 'keep' (an extra bucket, splits.length - 1) */
  handleInvalid?: 'error' | 'skip' | 'keep';
}

const OPTIONS = ['inputCol', 'outputCol', 'splits', 'handleInvalid'];

/**
 * Maps values to bucket indices (DOUBLE, as in Spark). A value outside the splits is always an error.
 *
 * @example
 * ```ts
 * const ages = await new Bucketizer({ inputCol: 'age', outputCol: 'ageBucket', splits: [-Infinity, 18, 65, Infinity] }).transform(df);
 * ```
 */
export class Bucketizer implements SaveableTransformer {
  readonly stageName = 'Bucketizer';
  readonly options: Required<BucketizerOptions>;

  constructor(options: BucketizerOptions) {
    checkOptions('Bucketizer', options, OPTIONS, { required: true });
    const splits = options.splits;
    if (!Array.isArray(splits) || splits.length < 3)
      throw new RangeError('Bucketizer: splits must be an array of at least 3 increasing numbers');
    for (let i = 0; i < splits.length; i++) {
      const s = splits[i];
      if (typeof s !== 'number' || Number.isNaN(s)) throw new TypeError(`Bucketizer: splits[${i}] is not a number`);
      if (i > 0 && !(s > (splits[i - 1] as number)))
        throw new RangeError(`Bucketizer: splits must increase strictly; splits[${i}] = ${s} after ${splits[i - 1]}`);
    }
    this.options = {
      inputCol: checkName('Bucketizer', 'inputCol', options.inputCol),
      outputCol: checkName('Bucketizer', 'outputCol', options.outputCol),
      splits: [...splits],
      handleInvalid: checkChoice('Bucketizer', 'handleInvalid', options.handleInvalid ?? 'error', [
        'error',
        'skip',
        'keep',
      ]),
    };
  }

  async transform(frame: DataFrame): Promise<DataFrame> {
    const { inputCol, outputCol, splits, handleInvalid } = this.options;
    numericColumn('Bucketizer', await frame.schema(), inputCol);
    const x = `CAST(${quoteIdent(inputCol)} AS DOUBLE)`;
    const n = splits.length - 1;
    const invalid =
      handleInvalid === 'keep'
        ? `${n}::DOUBLE`
        : handleInvalid === 'skip'
          ? 'NULL::DOUBLE'
          : `error(${sqlText(`Bucketizer: column '${inputCol}' is null or NaN (handleInvalid 'skip' drops the row, 'keep' puts it in bucket ${n})`)})`;
    const values: unknown[] = [splits[0], splits[n]];
    const arms = [
      `WHEN ${x} IS NULL OR isnan(${x}) THEN ${invalid}`,
      `WHEN ${x} < ?::DOUBLE OR ${x} > ?::DOUBLE THEN error(${sqlText(`Bucketizer: a value of '${inputCol}' lies outside the splits [${splits[0]}, ${splits[n]}]: `)} || ${x}::VARCHAR)`,
    ];
    for (let i = 1; i < n; i++) {
      arms.push(`WHEN ${x} < ?::DOUBLE THEN ${i - 1}::DOUBLE`);
      values.push(splits[i]);
    }
    const out = frame.withColumn(outputCol, `CASE ${arms.join(' ')} ELSE ${n - 1}::DOUBLE END`, ...values);
    return handleInvalid === 'skip' ? out.filter(`${quoteIdent(outputCol)} IS NOT NULL`) : out;
  }

  saved(): SavedStage {
    // ±Infinity are not JSON: store the splits as a float64 array
    const { splits, ...params } = this.options;
    return { stage: this.stageName, params, arrays: { splits: Float64Array.from(splits) } };
  }
}
