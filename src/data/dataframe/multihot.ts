/**
 * SQL for multi-hot encoding of a delimited label column (`'Effusion|Mass'`) in a fixed label order.
 * Tokens are trimmed; a NULL or empty cell, and a token `No Finding` when it is not one of the labels,
 * give all zeros (ChestX-ray14's convention).
 */
import type { DuckDBValue } from '@duckdb/node-api';
import { bindValue, type Query, quoteIdent } from './sql.js';

/** Options of `DataFrame.multiHot`. */
export interface MultiHotOptions {
  /** token delimiter (default '|') */
  delimiter?: string;
  /** name of the output list column (default 'labels'); ignored with `asColumns` */
  outputColumn?: string;
  /** one FLOAT column per label, named `prefix + label`, instead of one FLOAT[] list column */
  asColumns?: boolean;
  /** prefix of the per-label columns (default '') */
  prefix?: string;
  /** a token that is not a label (nor 'No Finding'): 'error' (default) fails the query naming it; 'ignore' */
  unknown?: 'error' | 'ignore';
  /** keep the source column (default true) */
  keepSource?: boolean;
}

/** The label token that means "no label" in ChestX-ray14. */
export const NO_FINDING = 'No Finding';

/** Builds the multi-hot projection over `input` (whose columns are `cols`). */
export function multiHotQuery(
  input: Query,
  cols: readonly string[],
  column: string,
  labels: readonly string[],
  options: MultiHotOptions = {},
): Query {
  if (!cols.includes(column))
    throw new Error(`DataFrame.multiHot: column "${column}" not found (columns: ${cols.join(', ')})`);
  if (labels.length === 0) throw new Error('DataFrame.multiHot: no labels');
  if (new Set(labels).size !== labels.length) throw new Error('DataFrame.multiHot: duplicate labels');
  const params: Record<string, DuckDBValue> = { ...input.params };
  const delim = bindValue(params, options.delimiter ?? '|');
  const src = quoteIdent(column);
  const tokens = `list_filter(list_transform(string_split(coalesce(${src}, ''), ${delim}), lambda x: trim(x)), lambda x: x <> '')`;
  const flags = labels.map((l) => `CAST(list_contains(__tszoo_tok, ${bindValue(params, l)}) AS FLOAT)`);
  const outputs: string[] = [];
  if (options.asColumns) {
    const prefix = options.prefix ?? '';
    labels.forEach((l, i) => {
      outputs.push(`${flags[i]} AS ${quoteIdent(prefix + l)}`);
    });
  } else outputs.push(`[${flags.join(', ')}]::FLOAT[] AS ${quoteIdent(options.outputColumn ?? 'labels')}`);
  let tokExpr = tokens;
  if ((options.unknown ?? 'error') === 'error') {
    const known = bindValue(params, [...labels, NO_FINDING]);
    const msg = bindValue(params, `DataFrame.multiHot: unknown label in column "${column}": `);
    const bad = `list_filter(__tszoo_raw, lambda x: NOT list_contains(${known}, x))`;
    tokExpr = `CASE WHEN len(${bad}) > 0 THEN error(${msg} || ${bad}[1]) ELSE __tszoo_raw END`;
  }
  const keep = options.keepSource ?? true;
  const outNames = options.asColumns
    ? labels.map((l) => (options.prefix ?? '') + l)
    : [options.outputColumn ?? 'labels'];
  const base = cols.filter((c) => (keep || c !== column) && !outNames.includes(c)).map(quoteIdent);
  const raw = `SELECT *, ${tokens} AS __tszoo_raw FROM (${input.sql}) AS __in`;
  const inner = `SELECT *, ${tokExpr} AS __tszoo_tok FROM (${raw}) AS __r`;
  return { sql: `SELECT ${[...base, ...outputs].join(', ')} FROM (${inner}) AS __t`, params };
}
