/**
 * SQL text helpers: identifier quoting, string literals, `?` placeholders rewritten to unique named
 * parameters, and JS-to-DuckDB parameter values. Every user value reaches DuckDB as a bound parameter.
 */
import { type DuckDBValue, jsToDuckDBValue, listValue, TIMESTAMP } from '@duckdb/node-api';

/** A SQL text with its named parameters (`$p12` in the text is `params.p12`). */
export interface Query {
  sql: string;
  params: Record<string, DuckDBValue>;
}

/** Quotes an identifier for DuckDB: `Patient ID` becomes `"Patient ID"`, embedded quotes are doubled. */
export function quoteIdent(name: string): string {
  if (name.includes('\0')) throw new Error(`invalid column name ${JSON.stringify(name)}: contains NUL`);
  return `"${name.replaceAll('"', '""')}"`;
}

/** A SQL string literal; used only where DuckDB accepts no parameter (column names inside read_csv options). */
export function sqlString(text: string): string {
  if (text.includes('\0')) throw new Error(`invalid text ${JSON.stringify(text)}: contains NUL`);
  return `'${text.replaceAll("'", "''")}'`;
}

const TYPE_NAME = /^[A-Za-z][A-Za-z0-9_ ]*(\(\s*\d+\s*(,\s*\d+\s*)?\))?(\[\d*\])*$/;

/** Checks a SQL type name such as `INTEGER`, `DECIMAL(10,2)` or `FLOAT[]` and returns it. */
export function checkTypeName(type: string): string {
  if (!TYPE_NAME.test(type.trim())) throw new Error(`invalid SQL type name ${JSON.stringify(type)}`);
  return type.trim();
}

let paramCounter = 0;

/** A fresh parameter name, unique in the process, so that queries nest without collisions. */
export function freshParam(): string {
  paramCounter += 1;
  return `p${paramCounter}`;
}

/** Converts a JS value to a value DuckDB can bind: Dates become timestamps, arrays become lists. */
export function toParam(value: unknown): DuckDBValue {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return jsToDuckDBValue(value, TIMESTAMP);
  if (Array.isArray(value)) return listValue(value.map(toParam));
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean' || typeof value === 'bigint')
    return value;
  throw new Error(`cannot bind a parameter of type ${typeof value}: ${String(value)}`);
}

/**
 * Binds `?` placeholders of a user expression to fresh named parameters. Question marks inside
 * string literals, quoted identifiers and comments are left alone. The count of `?` must equal
 * the count of values.
 */
export function bindPlaceholders(expr: string, values: readonly unknown[]): Query {
  const params: Record<string, DuckDBValue> = {};
  let out = '';
  let used = 0;
  let i = 0;
  while (i < expr.length) {
    const ch = expr[i]!;
    if (ch === "'" || ch === '"') {
      let j = i + 1;
      while (j < expr.length) {
        if (expr[j] === ch) {
          if (expr[j + 1] === ch) j += 2;
          else break;
        } else j += 1;
      }
      out += expr.slice(i, j + 1);
      i = j + 1;
    } else if (ch === '-' && expr[i + 1] === '-') {
      const end = expr.indexOf('\n', i);
      const j = end < 0 ? expr.length : end;
      out += expr.slice(i, j);
      i = j;
    } else if (ch === '?') {
      if (used >= values.length) throw new Error(`expression ${JSON.stringify(expr)} has more '?' than values`);
      const name = freshParam();
      params[name] = toParam(values[used]);
      used += 1;
      out += `$${name}`;
      i += 1;
    } else {
      out += ch;
      i += 1;
    }
  }
  if (used !== values.length)
    throw new Error(`expression ${JSON.stringify(expr)} has ${used} '?' placeholder(s) but ${values.length} value(s)`);
  return { sql: out, params };
}

/** Binds one value to a fresh parameter and returns its `$name` reference. */
export function bindValue(params: Record<string, DuckDBValue>, value: unknown): string {
  const name = freshParam();
  params[name] = toParam(value);
  return `$${name}`;
}
