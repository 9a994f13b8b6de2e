/**
 * SQL for seeded splits. Both are deterministic for a seed and a deterministic input order, and
 * need no materialisation: each part is a lazy query.
 *
 * - `randomSplitQuery`: rows are numbered in input order, ranked by `hash(row number, seed)`, and the
 *   ranking is cut at `round(cumulative weight * n)`: part sizes are exact (up to rounding), and the parts
 *   partition the rows. Each part keeps the input order.
 * - `groupSplitQuery`: groups (NULL is one group) are ordered by `hash(group, seed)`; a group goes to the part
 *   whose cumulative share contains the middle of the group's rows in that order, so no group is in two
 *   parts and each part's size is within about half a group of its target.
 */
import type { DuckDBValue } from '@duckdb/node-api';
import { bindValue, type Query, quoteIdent } from './sql.js';

/** Normalises weights to cumulative bounds `[0, c1, ..., 1]`. */
export function cumulativeBounds(weights: readonly number[]): number[] {
  if (weights.length === 0) throw new Error('split: no weights');
  for (const w of weights)
    if (!Number.isFinite(w) || w < 0) throw new Error(`split: weights must be finite and >= 0, got ${w}`);
  const total = weights.reduce((a, b) => a + b, 0);
  if (total <= 0) throw new Error('split: the weights sum to 0');
  const bounds = [0];
  let acc = 0;
  for (const w of weights) {
    acc += w;
    bounds.push(acc / total);
  }
  bounds[bounds.length - 1] = 1;
  return bounds;
}

function checkSeed(seed: number): bigint {
  if (!Number.isSafeInteger(seed)) throw new Error(`split: seed must be a safe integer, got ${seed}`);
  return BigInt(seed);
}

/** One part of a random split. */
export function randomSplitQuery(input: Query, bounds: readonly number[], part: number, seed: number): Query {
  const params: Record<string, DuckDBValue> = { ...input.params };
  const s = bindValue(params, checkSeed(seed));
  const lo = bindValue(params, bounds[part]!);
  const hi = bindValue(params, bounds[part + 1]!);
  const sql = `SELECT * EXCLUDE (__tszoo_rn, __tszoo_k, __tszoo_n) FROM (
  SELECT *, row_number() OVER (ORDER BY hash(__tszoo_rn, ${s}), __tszoo_rn) AS __tszoo_k, count(*) OVER () AS __tszoo_n
  FROM (SELECT *, row_number() OVER () AS __tszoo_rn FROM (${input.sql}) AS __src) AS __numbered
) AS __ranked
WHERE __tszoo_k > round(${lo} * __tszoo_n) AND __tszoo_k <= round(${hi} * __tszoo_n)
ORDER BY __tszoo_rn`;
  return { sql, params };
}

/** One part of a group-wise split on column `group`. */
export function groupSplitQuery(
  input: Query,
  group: string,
  bounds: readonly number[],
  part: number,
  seed: number,
): Query {
  const params: Record<string, DuckDBValue> = { ...input.params };
  const s = bindValue(params, checkSeed(seed));
  const lo = bindValue(params, bounds[part]!);
  const hi = bindValue(params, bounds[part + 1]!);
  const g = quoteIdent(group);
  const last = part === bounds.length - 2;
  const sql = `WITH __src AS (SELECT *, row_number() OVER () AS __tszoo_rn FROM (${input.sql}) AS __in),
__groups AS (SELECT ${g} AS __tszoo_g, count(*) AS __tszoo_c FROM __src GROUP BY ${g}),
__placed AS (
  SELECT __tszoo_g, (sum(__tszoo_c) OVER (ORDER BY hash(__tszoo_g, ${s}), __tszoo_g ROWS UNBOUNDED PRECEDING)
    - __tszoo_c / 2.0) / sum(__tszoo_c) OVER () AS __tszoo_mid
  FROM __groups
)
SELECT __src.* EXCLUDE (__tszoo_rn) FROM __src JOIN __placed ON __src.${g} IS NOT DISTINCT FROM __placed.__tszoo_g
WHERE __tszoo_mid >= ${lo} AND ${last ? `__tszoo_mid <= ${hi}` : `__tszoo_mid < ${hi}`}
ORDER BY __tszoo_rn`;
  return { sql, params };
}
