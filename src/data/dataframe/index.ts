/**
 * DataFrames on an embedded DuckDB: lazy, immutable relations read from CSV/Parquet/JSON or JS data,
 * transformed with SQL expressions, split reproducibly (at random or by group) and streamed in batches.
 *
 * @example
 * ```ts
 * import { data } from 'tszoo';
 * const { DataFrame, CXR14_LABELS } = data;
 *
 * const entries = DataFrame.readCsv('Data_Entry_2017_v2020.csv'); // OriginalImage_Width, OriginalImage_Height, ...
 * const labelled = entries.multiHot('Finding Labels', CXR14_LABELS); // + labels: FLOAT[14]
 * const [train, val, test] = labelled.splitByGroup('Patient ID', [0.7, 0.1, 0.2], { seed: 1 });
 * for await (const batch of train.select('Image Index', 'labels').iterateBatches(256)) {
 *   // batch: { 'Image Index': string, labels: number[] }[]
 * }
 * const perView = await entries.groupBy('View Position').agg({ n: 'count(*)' }).orderBy('n DESC').collect();
 * ```
 *
 * Values come back as plain JS: numbers (64-bit integers as `number` when |v| <= 2^53 - 1, else `bigint`),
 * strings, booleans, `Date`, arrays, objects and null. User values always reach DuckDB as bound parameters
 * (`df.filter('"Patient Age" > ?', 60)`); column names are quoted.
 */
export { type ColumnInfo, DataFrame, GroupedData, type Row, type SortKey, type SourceOptions } from './dataframe.js';
export type { JoinHow, JoinOptions } from './join.js';
export { type MultiHotOptions, NO_FINDING } from './multihot.js';
export type { CsvOptions, JsonOptions } from './readers.js';
export { getDefaultSession, Session } from './session.js';
export { quoteIdent } from './sql.js';
