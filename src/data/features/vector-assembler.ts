/** VectorAssembler (Spark ML): numeric and vector columns concatenated into one DOUBLE[] column. */

import { checkChoice, checkOptions } from '../../util/options.js';
import type { DataFrame } from '../dataframe/index.js';
import { quoteIdent } from '../dataframe/index.js';
import {
  checkName,
  columnType,
  isNumericType,
  isVectorType,
  type SaveableTransformer,
  type SavedStage,
  sqlText,
} from './stage.js';

/** 'error': a null input fails the query; 'skip': rows with a null or NaN input are dropped; 'keep': null becomes NaN. */
export type HandleInvalid = 'error' | 'skip' | 'keep';

export interface VectorAssemblerOptions {
  inputCols: string[];
  outputCol?: string;
  /** default 'error' */
  handleInvalid?: HandleInvalid;
}

const OPTIONS = ['inputCols', 'outputCol', 'handleInvalid'];

/**
 * Concatenates numeric columns (and numeric vector columns, flattened in place) into one DOUBLE[] column.
 *
 * @example
 * ```ts
 * const assembled = await new VectorAssembler({ inputCols: ['age', 'income', 'cityVec'], outputCol: 'features' }).transform(df);
 * ```
 */
export class VectorAssembler implements SaveableTransformer {
  readonly stageName = 'VectorAssembler';
  readonly inputCols: string[];
  readonly outputCol: string;
  readonly handleInvalid: HandleInvalid;

  constructor(options: VectorAssemblerOptions) {
    checkOptions('VectorAssembler', options, OPTIONS, { required: true });
    if (!Array.isArray(options?.inputCols) || options.inputCols.length === 0)
      throw new TypeError('VectorAssembler: inputCols must be a non-empty array of column names');
    options.inputCols.forEach((c, i) => {
      checkName('VectorAssembler', `inputCols[${i}]`, c);
    });
    this.inputCols = [...options.inputCols];
    this.outputCol = checkName('VectorAssembler', 'outputCol', options.outputCol ?? 'features');
    this.handleInvalid = checkChoice('VectorAssembler', 'handleInvalid', options.handleInvalid ?? 'error', [
      'error',
      'skip',
      'keep',
    ]);
  }

  async transform(frame: DataFrame): Promise<DataFrame> {
    const schema = await frame.schema();
    const parts: string[] = [];
    const invalid: string[] = [];
    for (const c of this.inputCols) {
      const type = columnType('VectorAssembler', schema, c);
      const col = quoteIdent(c);
      const vector = isVectorType(type);
      if (!vector && !isNumericType(type))
        throw new Error(`VectorAssembler: column '${c}' is ${type}, not a number or a numeric vector`);
      let value = vector ? `CAST(${col} AS DOUBLE[])` : `[CAST(${col} AS DOUBLE)]`;
      if (this.handleInvalid === 'error') {
        value = `CASE WHEN ${col} IS NULL THEN error(${sqlText(`VectorAssembler: column '${c}' is null (handleInvalid 'skip' drops such rows, 'keep' gives NaN)`)}) ELSE ${value} END`;
      } else if (this.handleInvalid === 'keep') {
        if (vector) {
          value = `CASE WHEN ${col} IS NULL THEN error(${sqlText(`VectorAssembler: vector column '${c}' is null and its size is unknown`)}) ELSE ${value} END`;
        } else value = `[coalesce(CAST(${col} AS DOUBLE), 'NaN'::DOUBLE)]`;
      }
      parts.push(value);
      invalid.push(
        vector
          ? `${col} IS NULL OR list_bool_or(list_transform(CAST(${col} AS DOUBLE[]), x -> x IS NULL OR isnan(x)))`
          : `${col} IS NULL OR isnan(CAST(${col} AS DOUBLE))`,
      );
    }
    const input =
      this.handleInvalid === 'skip' ? frame.filter(`NOT (${invalid.map((s) => `(${s})`).join(' OR ')})`) : frame;
    return input.withColumn(
      this.outputCol,
      parts.length === 1 ? (parts[0] as string) : `list_concat(${parts.join(', ')})`,
    );
  }

  saved(): SavedStage {
    return {
      stage: this.stageName,
      params: { inputCols: this.inputCols, outputCol: this.outputCol, handleInvalid: this.handleInvalid },
    };
  }
}
