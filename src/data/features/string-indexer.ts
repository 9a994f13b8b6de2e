/** StringIndexer (Spark ML): a column of labels to indices 0..n-1, most frequent first by default. */

import { checkChoice, checkOptions } from '../../util/options.js';
import type { DataFrame } from '../dataframe/index.js';
import { quoteIdent } from '../dataframe/index.js';
import {
  columnPairs,
  columnType,
  type FeatureEstimator,
  queryRows,
  type SaveableTransformer,
  type SavedStage,
  sqlText,
} from './stage.js';

/** Spark's orders; ties in frequency are broken alphabetically (ascending). */
export type StringOrderType = 'frequencyDesc' | 'frequencyAsc' | 'alphabetDesc' | 'alphabetAsc';

export interface StringIndexerOptions {
  inputCol?: string;
  outputCol?: string;
  inputCols?: string[];
  outputCols?: string[];
  /** default 'frequencyDesc' */
  stringOrderType?: StringOrderType;
  /** unseen labels and nulls: 'error' (default) fails the query, 'skip' drops the row, 'keep' gives index n */
  handleInvalid?: 'error' | 'skip' | 'keep';
}

const OPTIONS = ['inputCol', 'outputCol', 'inputCols', 'outputCols', 'stringOrderType', 'handleInvalid'];
const ORDERS: StringOrderType[] = ['frequencyDesc', 'frequencyAsc', 'alphabetDesc', 'alphabetAsc'];
const ORDER_SQL: Record<StringOrderType, string> = {
  frequencyDesc: 'n DESC, v ASC',
  frequencyAsc: 'n ASC, v ASC',
  alphabetDesc: 'v DESC',
  alphabetAsc: 'v ASC',
};

interface Resolved {
  pairs: [string, string][];
  stringOrderType: StringOrderType;
  handleInvalid: 'error' | 'skip' | 'keep';
}

function resolve(where: string, options: StringIndexerOptions): Resolved {
  checkOptions(where, options, OPTIONS, { required: true });
  return {
    pairs: columnPairs(where, options),
    stringOrderType: checkChoice(where, 'stringOrderType', options.stringOrderType ?? 'frequencyDesc', ORDERS),
    handleInvalid: checkChoice(where, 'handleInvalid', options.handleInvalid ?? 'error', ['error', 'skip', 'keep']),
  };
}

/**
 * Learns the labels of a column (numbers are indexed by their text, as in Spark); the model maps each to its
 * index as a DOUBLE.
 *
 * @example
 * ```ts
 * const indexer = await new StringIndexer({ inputCol: 'city', outputCol: 'cityIndex' }).fit(train);
 * indexer.labels; // [['Paris', 'Lyon', ...]] most frequent first
 * ```
 */
export class StringIndexer implements FeatureEstimator<StringIndexerModel> {
  readonly stageName = 'StringIndexer';
  readonly #options: Resolved;

  constructor(options: StringIndexerOptions) {
    this.#options = resolve('StringIndexer', options);
  }

  async fit(frame: DataFrame): Promise<StringIndexerModel> {
    const schema = await frame.schema();
    const labels: string[][] = [];
    for (const [input] of this.#options.pairs) {
      columnType('StringIndexer', schema, input);
      const rows = await queryRows(
        frame,
        `SELECT CAST(${quoteIdent(input)} AS VARCHAR) AS v, count(*) AS n FROM t WHERE ${quoteIdent(input)} IS NOT NULL
         GROUP BY v ORDER BY ${ORDER_SQL[this.#options.stringOrderType]}`,
      );
      if (rows.length === 0) throw new Error(`StringIndexer: column '${input}' has no non-null value to learn from`);
      labels.push(rows.map((r) => String(r.v)));
    }
    return new StringIndexerModel(this.#options, labels);
  }
}

/** A fitted StringIndexer: `labels[k]` is the vocabulary of the k-th input column, in index order. */
export class StringIndexerModel implements SaveableTransformer {
  readonly stageName = 'StringIndexerModel';
  constructor(
    readonly options: Resolved,
    readonly labels: string[][],
  ) {}

  async transform(frame: DataFrame): Promise<DataFrame> {
    const schema = await frame.schema();
    const { pairs, handleInvalid } = this.options;
    let out = frame;
    const invalid: string[] = [];
    pairs.forEach(([input, output], k) => {
      columnType('StringIndexerModel', schema, input);
      const labels = this.labels[k] as string[];
      const text = `CAST(${quoteIdent(input)} AS VARCHAR)`;
      const position = `list_position(?::VARCHAR[], ${text})`;
      const bad = `${quoteIdent(input)} IS NULL OR ${position} IS NULL`;
      const message = sqlText(
        `StringIndexer: column '${input}' has a label not seen in fit or null (handleInvalid 'skip' drops the row, 'keep' indexes it as ${labels.length}): `,
      );
      const onInvalid =
        handleInvalid === 'keep'
          ? `${labels.length}::DOUBLE`
          : handleInvalid === 'skip'
            ? 'NULL::DOUBLE'
            : `error(${message} || coalesce(${text}, 'NULL'))`;
      out = out.withColumn(
        output,
        `CASE WHEN ${bad} THEN ${onInvalid} ELSE CAST(${position} - 1 AS DOUBLE) END`,
        labels,
        labels,
      );
      if (handleInvalid === 'skip') invalid.push(quoteIdent(output));
    });
    return invalid.length > 0 ? out.filter(invalid.map((c) => `${c} IS NOT NULL`).join(' AND ')) : out;
  }

  saved(): SavedStage {
    return { stage: this.stageName, params: { ...this.options, labels: this.labels } };
  }
}
