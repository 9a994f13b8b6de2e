/** SQL for joins on equal key columns. */
import type { DuckDBValue } from '@duckdb/node-api';
import { type Query, quoteIdent } from './sql.js';

/** Join kinds: SQL inner/left/right/full outer, and semi/anti (left rows with / without a match). */
export type JoinHow = 'inner' | 'left' | 'right' | 'outer' | 'semi' | 'anti';

/** Options of `DataFrame.join`. */
export interface JoinOptions {
  /** key column(s), present in both frames; the output has each key once */
  on: string | string[];
  /** default 'inner' */
  how?: JoinHow;
  /** appended to right-hand non-key columns whose name the left frame also has (default '_right') */
  suffix?: string;
}

const KEYWORD: Record<JoinHow, string> = {
  inner: 'INNER JOIN',
  left: 'LEFT JOIN',
  right: 'RIGHT JOIN',
  outer: 'FULL OUTER JOIN',
  semi: 'SEMI JOIN',
  anti: 'ANTI JOIN',
};

/** Builds the join of two queries whose column names are known. */
export function joinQuery(
  left: Query,
  leftCols: readonly string[],
  right: Query,
  rightCols: readonly string[],
  options: JoinOptions,
): Query {
  const how = options.how ?? 'inner';
  if (!(how in KEYWORD)) throw new Error(`DataFrame.join: unknown join kind ${JSON.stringify(how)}`);
  const keys = typeof options.on === 'string' ? [options.on] : options.on;
  if (keys.length === 0) throw new Error('DataFrame.join: no key columns');
  for (const k of keys) {
    if (!leftCols.includes(k))
      throw new Error(
        `DataFrame.join: key column "${k}" not found in the left frame (columns: ${leftCols.join(', ')})`,
      );
    if (!rightCols.includes(k))
      throw new Error(
        `DataFrame.join: key column "${k}" not found in the right frame (columns: ${rightCols.join(', ')})`,
      );
  }
  const suffix = options.suffix ?? '_right';
  const cond = keys.map((k) => `__l.${quoteIdent(k)} = __r.${quoteIdent(k)}`).join(' AND ');
  const from = `(${left.sql}) AS __l ${KEYWORD[how]} (${right.sql}) AS __r ON ${cond}`;
  const params: Record<string, DuckDBValue> = { ...left.params, ...right.params };
  if (how === 'semi' || how === 'anti') return { sql: `SELECT __l.* FROM ${from}`, params };
  const list: string[] = [];
  for (const k of keys) {
    const q = quoteIdent(k);
    if (how === 'outer') list.push(`COALESCE(__l.${q}, __r.${q}) AS ${q}`);
    else if (how === 'right') list.push(`__r.${q} AS ${q}`);
    else list.push(`__l.${q} AS ${q}`);
  }
  for (const c of leftCols) if (!keys.includes(c)) list.push(`__l.${quoteIdent(c)}`);
  for (const c of rightCols) {
    if (keys.includes(c)) continue;
    const name = leftCols.includes(c) ? `${c}${suffix}` : c;
    list.push(`__r.${quoteIdent(c)} AS ${quoteIdent(name)}`);
  }
  return { sql: `SELECT ${list.join(', ')} FROM ${from}`, params };
}
