/** Per-element statistics of a numeric vector column, computed in one DuckDB query. */
import type { DataFrame } from '../dataframe/index.js';
import { quoteIdent } from '../dataframe/index.js';
import { float64Of, queryRows } from './stage.js';

export interface VectorStats {
  count: number;
  mean: Float64Array;
  /** sample standard deviation (n - 1), as Spark's StandardScaler uses */
  std: Float64Array;
  min: Float64Array;
  max: Float64Array;
}

/** Mean, sample std, min and max of each element of `column`; throws on nulls, NaN and ragged vectors. */
export async function vectorStats(where: string, frame: DataFrame, column: string): Promise<VectorStats> {
  const col = quoteIdent(column);
  const [shape] = await queryRows(
    frame,
    `SELECT count(*) AS n, count(${col}) AS present, min(len(${col})) AS lo, max(len(${col})) AS hi,
       count(*) FILTER (WHERE list_bool_or(list_transform(CAST(${col} AS DOUBLE[]), x -> x IS NULL OR isnan(x)))) AS bad
     FROM t`,
  );
  const { n, present, lo, hi, bad } = shape as Record<string, number>;
  if (n === 0) throw new Error(`${where}: cannot fit on an empty frame`);
  if (present !== n) throw new Error(`${where}: column '${column}' has ${n - present} null row(s)`);
  if (lo !== hi)
    throw new Error(`${where}: column '${column}' has vectors of sizes ${lo} to ${hi}; they must be equal`);
  if (bad > 0) throw new Error(`${where}: column '${column}' has ${bad} row(s) with null or NaN values`);
  const rows = await queryRows(
    frame,
    `SELECT i, avg(x) AS mean, coalesce(stddev_samp(x), 0) AS std, min(x) AS lo, max(x) AS hi
     FROM (SELECT unnest(range(len(${col}))) AS i, unnest(CAST(${col} AS DOUBLE[])) AS x FROM t)
     GROUP BY i ORDER BY i`,
  );
  return {
    count: n,
    mean: float64Of(
      where,
      'mean',
      rows.map((r) => r.mean),
    ),
    std: float64Of(
      where,
      'std',
      rows.map((r) => r.std),
    ),
    min: float64Of(
      where,
      'min',
      rows.map((r) => r.lo),
    ),
    max: float64Of(
      where,
      'max',
      rows.map((r) => r.hi),
    ),
  };
}
