/**
 * What every feature stage shares (Spark ML's contract): a Transformer maps a DataFrame to a DataFrame, a
 * FeatureEstimator fits one on a DataFrame. Fitted state is plain data (`saved()`): JSON parameters plus
 * named float64 arrays, so a fitted pipeline is saved and loaded without code.
 */
import { type ColumnInfo, DataFrame, type Row } from '../dataframe/index.js';

/** A fitted or parameter-only stage: `transform` adds its output column(s), computed inside DuckDB. */
export interface Transformer {
  /** Spark's class name, e.g. 'StandardScalerModel'; the key its saved form is loaded by */
  readonly stageName: string;
  transform(frame: DataFrame): Promise<DataFrame>;
}

/** A stage that learns from data (means, vocabularies) and returns the Transformer that applies it. */
export interface FeatureEstimator<M extends Transformer = Transformer> {
  readonly stageName: string;
  fit(frame: DataFrame): Promise<M>;
}

/** A stage as data: parameters (JSON) and fitted numeric state (float64 arrays, stored as safetensors). */
export interface SavedStage {
  stage: string;
  params: Record<string, unknown>;
  arrays?: Record<string, Float64Array>;
}

/** A Transformer that can be written as data. */
export interface SaveableTransformer extends Transformer {
  saved(): SavedStage;
}

/** Runs `sql` over `frame` (named `t` in the query) and returns the rows. */
export async function queryRows(frame: DataFrame, sql: string, values: readonly unknown[] = []): Promise<Row[]> {
  return DataFrame.sql(sql, { t: frame }, values).collect();
}

/** The column's DuckDB type; throws naming the stage and the columns there are. */
export function columnType(where: string, schema: readonly ColumnInfo[], column: string): string {
  const c = schema.find((s) => s.name === column);
  if (!c) throw new Error(`${where}: column '${column}' not found (columns: ${schema.map((s) => s.name).join(', ')})`);
  return c.type;
}

const NUMERIC =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL(\(\d+,\s*\d+\))?|BOOLEAN)$/;

/** Whether a DuckDB type is a number (or boolean). */
export function isNumericType(type: string): boolean {
  return NUMERIC.test(type);
}

/** Whether a DuckDB type is a list or fixed array of numbers (a vector column). */
export function isVectorType(type: string): boolean {
  const m = /^(.*)\[\d*\]$/.exec(type);
  return m !== null && isNumericType(m[1] as string);
}

/** Checks that a column holds numeric vectors; returns its type. */
export function vectorColumn(where: string, schema: readonly ColumnInfo[], column: string): string {
  const type = columnType(where, schema, column);
  if (!isVectorType(type))
    throw new Error(`${where}: column '${column}' is ${type}, not a numeric vector (assemble it with VectorAssembler)`);
  return type;
}

/** Checks that a column holds numbers; returns its type. */
export function numericColumn(where: string, schema: readonly ColumnInfo[], column: string): string {
  const type = columnType(where, schema, column);
  if (!isNumericType(type)) throw new Error(`${where}: column '${column}' is ${type}, not a number`);
  return type;
}

/**
 * The single (`inputCol`/`outputCol`) or multiple (`inputCols`/`outputCols`) column form of a stage, as
 * pairs; exactly one form must be given and the lists must have equal lengths.
 */
export function columnPairs(
  where: string,
  o: { inputCol?: string; outputCol?: string; inputCols?: string[]; outputCols?: string[] },
  defaultSuffix?: string,
): [string, string][] {
  if (o.inputCol !== undefined && o.inputCols !== undefined)
    throw new Error(`${where}: give inputCol or inputCols, not both`);
  if (o.inputCol !== undefined) {
    checkName(where, 'inputCol', o.inputCol);
    const out = o.outputCol ?? (defaultSuffix ? `${o.inputCol}${defaultSuffix}` : undefined);
    if (out === undefined) throw new Error(`${where}: outputCol is required`);
    checkName(where, 'outputCol', out);
    return [[o.inputCol, out]];
  }
  if (o.inputCols !== undefined) {
    if (!Array.isArray(o.inputCols) || o.inputCols.length === 0)
      throw new Error(`${where}: inputCols must be a non-empty array of column names`);
    o.inputCols.forEach((c, i) => {
      checkName(where, `inputCols[${i}]`, c);
    });
    const outs = o.outputCols ?? (defaultSuffix ? o.inputCols.map((c) => `${c}${defaultSuffix}`) : undefined);
    if (outs === undefined) throw new Error(`${where}: outputCols is required`);
    if (!Array.isArray(outs) || outs.length !== o.inputCols.length)
      throw new Error(`${where}: outputCols must name one column per input column (${o.inputCols.length})`);
    outs.forEach((c, i) => {
      checkName(where, `outputCols[${i}]`, c);
    });
    return o.inputCols.map((c, i) => [c, outs[i] as string]);
  }
  throw new Error(`${where}: inputCol (or inputCols) is required`);
}

/** Throws unless `value` is a non-empty string. */
export function checkName(where: string, option: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new TypeError(`${where}: ${option} must be a non-empty column name, got ${JSON.stringify(value)}`);
  return value;
}

/** A SQL string literal for a message inside `error(...)` (single quotes doubled). */
export function sqlText(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** A JS array as a float64 array, checking that each value is a finite number. */
export function float64Of(where: string, name: string, values: readonly unknown[]): Float64Array {
  return Float64Array.from(values, (v, i) => {
    const n = Number(v);
    if (v === null || v === undefined || Number.isNaN(n)) throw new Error(`${where}: ${name}[${i}] is ${String(v)}`);
    return n;
  });
}
