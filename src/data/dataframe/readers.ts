/**
 * Builders for DataFrame sources: files (CSV, Parquet, JSON), JS rows and columns, ranges.
 * Each returns the SQL of the source; nothing is read until the DataFrame runs.
 */
import { stat } from 'node:fs/promises';
import {
  BIGINT,
  BLOB,
  BOOLEAN,
  DOUBLE,
  DuckDBDataChunk,
  type DuckDBType,
  type DuckDBValue,
  JSToDuckDBValueConverter,
  LIST,
  TIMESTAMP,
  VARCHAR,
} from '@duckdb/node-api';
import { normaliseHeader, readFirstLine, splitCsvLine } from './csv-header.js';
import type { Session, TableHandle } from './session.js';
import { bindValue, checkTypeName, type Query, quoteIdent, sqlString } from './sql.js';

/** Options of `DataFrame.readCsv`. */
export interface CsvOptions {
  /** the first line holds column names (default true) */
  header?: boolean;
  /** field delimiter (default ','; DuckDB sniffs it when `'auto'`) */
  delimiter?: string;
  /** SQL types by (normalised) column name, e.g. `{ 'Patient ID': 'INTEGER', 'Patient Age': 'VARCHAR' }` */
  types?: Record<string, string>;
  /** column names to use instead of the header (or for a file without one) */
  names?: string[];
  /** keep columns whose header cell is empty (named `column<i>`); default false: they are dropped */
  keepEmptyColumns?: boolean;
  /** strings read as NULL (default: only the empty field) */
  nullStrings?: string[];
}

/** Options of `DataFrame.readJson`. */
export interface JsonOptions {
  /** `'newline_delimited'` (JSON lines), `'array'` (one top-level array) or `'auto'` (default) */
  format?: 'auto' | 'newline_delimited' | 'array';
}

async function checkFile(path: string, what: string): Promise<void> {
  if (/[*?[]/.test(path) || /^[a-z][a-z0-9+]*:\/\//i.test(path)) return; // globs and URLs: DuckDB reports
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new Error(`${what}: not a file: ${path}`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${what}: file not found: ${path}`);
    throw err;
  }
}

/** SQL for a CSV file, with the header normalised (see `csv-header.ts`). */
export async function csvQuery(path: string, options: CsvOptions = {}): Promise<Query> {
  await checkFile(path, 'DataFrame.readCsv');
  const header = options.header ?? true;
  const delimiter = options.delimiter ?? ',';
  const params: Record<string, DuckDBValue> = {};
  const args = [bindValue(params, path)];
  let keep: string[] | null = null;
  let names = options.names;
  if (!names && header) {
    if (delimiter === 'auto') throw new Error('DataFrame.readCsv: delimiter "auto" needs header: false or names');
    const cols = normaliseHeader(splitCsvLine(await readFirstLine(path), delimiter));
    names = cols.map((c) => c.name);
    if (!options.keepEmptyColumns && cols.some((c) => c.empty)) keep = cols.filter((c) => !c.empty).map((c) => c.name);
  }
  args.push(`header = ${header ? 'true' : 'false'}`);
  if (delimiter !== 'auto') args.push(`delim = ${bindValue(params, delimiter)}`);
  if (names) args.push(`names = [${names.map(sqlString).join(', ')}]`, 'null_padding = true');
  if (options.types) {
    const entries = Object.entries(options.types).map(([k, v]) => `${sqlString(k)}: ${sqlString(checkTypeName(v))}`);
    args.push(`types = {${entries.join(', ')}}`);
  }
  if (options.nullStrings) args.push(`nullstr = [${options.nullStrings.map((s) => bindValue(params, s)).join(', ')}]`);
  const from = `read_csv(${args.join(', ')})`;
  const list = keep ? keep.map(quoteIdent).join(', ') : '*';
  return { sql: `SELECT ${list} FROM ${from}`, params };
}

/** SQL for Parquet file(s). */
export async function parquetQuery(path: string): Promise<Query> {
  await checkFile(path, 'DataFrame.readParquet');
  const params: Record<string, DuckDBValue> = {};
  return { sql: `SELECT * FROM read_parquet(${bindValue(params, path)})`, params };
}

/** SQL for a JSON file: JSON lines or one array of objects. */
export async function jsonQuery(path: string, options: JsonOptions = {}): Promise<Query> {
  await checkFile(path, 'DataFrame.readJson');
  const params: Record<string, DuckDBValue> = {};
  const format = options.format ?? 'auto';
  return {
    sql: `SELECT * FROM read_json(${bindValue(params, path)}, format = ${bindValue(params, format)})`,
    params,
  };
}

/** SQL for `range(n)`: one BIGINT column `id` = 0 .. n-1. */
export function rangeQuery(start: number, end: number, step: number): Query {
  for (const v of [start, end, step])
    if (!Number.isSafeInteger(v)) throw new Error(`DataFrame.range: ${v} is not a safe integer`);
  if (step === 0) throw new Error('DataFrame.range: step must not be 0');
  const params: Record<string, DuckDBValue> = {};
  const a = bindValue(params, BigInt(start));
  const b = bindValue(params, BigInt(end));
  const c = bindValue(params, BigInt(step));
  return { sql: `SELECT range AS id FROM range(${a}::BIGINT, ${b}::BIGINT, ${c}::BIGINT)`, params };
}

/** The JS kind of a value as a column holds it: a scalar kind, or `list<kind>` (nested lists nest). */
type Kind = string;

const SCALAR_SQL: Record<string, { type: DuckDBType; sql: string }> = {
  double: { type: DOUBLE, sql: 'DOUBLE' },
  bigint: { type: BIGINT, sql: 'BIGINT' },
  string: { type: VARCHAR, sql: 'VARCHAR' },
  boolean: { type: BOOLEAN, sql: 'BOOLEAN' },
  date: { type: TIMESTAMP, sql: 'TIMESTAMP' },
  blob: { type: BLOB, sql: 'BLOB' },
};

const WHAT =
  'a DataFrame column holds numbers, bigints, strings, booleans, Dates, bytes (Uint8Array) or lists of one of them';

function describeKind(k: Kind): string {
  if (k.startsWith('list<')) return `lists of ${describeKind(k.slice(5, -1))}`;
  return k === 'double' || k === 'int' ? 'numbers' : `${k}s`;
}

/** Two kinds that may share a column: whole numbers and bigints are integers, any other mix of numbers is double. */
function unify(name: string, a: Kind | null, b: Kind): Kind {
  if (a === null || a === '' || a === b) return b;
  if (b === '') return a;
  const ints = new Set(['int', 'bigint']);
  if (ints.has(a) && ints.has(b)) return 'bigint';
  const nums = new Set(['int', 'bigint', 'double']);
  if (nums.has(a) && nums.has(b)) return 'double';
  if (a.startsWith('list<') && b.startsWith('list<')) {
    const inner = [a.slice(5, -1), b.slice(5, -1)] as const;
    const ints = new Set(['int', 'bigint', 'double']);
    const lists = inner[0].startsWith('list<') && inner[1].startsWith('list<');
    if (
      lists ||
      inner[0] === '' ||
      inner[1] === '' ||
      inner[0] === inner[1] ||
      (ints.has(inner[0]) && ints.has(inner[1]))
    )
      return `list<${unify(name, inner[0], inner[1])}>`;
  }
  throw new Error(`DataFrame.fromRows: column "${name}" mixes ${describeKind(a)} and ${describeKind(b)}; ${WHAT}`);
}

function kindOf(name: string, v: unknown): Kind | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isSafeInteger(v) ? 'int' : 'double';
  if (typeof v === 'bigint') return 'bigint';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  if (v instanceof Date) return 'date';
  if (v instanceof Uint8Array) return 'blob';
  if (ArrayBuffer.isView(v))
    return v instanceof BigInt64Array || v instanceof BigUint64Array ? 'list<bigint>' : 'list<double>';
  if (Array.isArray(v)) {
    let element: Kind | null = null;
    for (const e of v) {
      const k = kindOf(name, e);
      if (k !== null) element = unify(name, element, k);
    }
    return `list<${element ?? ''}>`;
  }
  const shown = typeof v === 'object' ? `an object (${Object.keys(v).slice(0, 3).join(', ')})` : `a ${typeof v}`;
  throw new Error(
    `DataFrame.fromRows: column "${name}" has ${shown}; ${WHAT} (flatten objects into columns or JSON.stringify them)`,
  );
}

function sqlOf(k: Kind): { type: DuckDBType; sql: string } {
  if (k.startsWith('list<')) {
    const inner = sqlOf(k.slice(5, -1) || 'double');
    return { type: LIST(inner.type), sql: `${inner.sql}[]` };
  }
  // whole numbers: BIGINT (a column of floats and whole numbers is DOUBLE; see unify)
  return SCALAR_SQL[k === 'int' ? 'bigint' : k] as { type: DuckDBType; sql: string };
}

function inferType(name: string, values: readonly unknown[]): { type: DuckDBType; sql: string } {
  let kind: Kind | null = null;
  for (const v of values) {
    const k = kindOf(name, v);
    if (k !== null) kind = unify(name, kind, k);
  }
  // integers in number lists stay DOUBLE (feature vectors); bigint lists are BIGINT[]
  const listsAsDouble = (k: Kind): Kind => (k.startsWith('list<') ? `list<${listsAsDouble(k.slice(5, -1))}>` : k);
  const resolved =
    kind === null
      ? 'string'
      : kind.startsWith('list<')
        ? listsAsDouble(kind).replace(/list<int>/g, 'list<double>')
        : kind;
  return sqlOf(resolved);
}

/** A JS value as the appender takes it for a column of SQL type `sql`. */
function normaliseValue(v: unknown, sql: string): unknown {
  if (v === undefined || v === null) return null;
  if (sql.endsWith('[]')) {
    const inner = sql.slice(0, -2);
    const items = Array.isArray(v) ? v : Array.from(v as ArrayLike<unknown>);
    return items.map((e) => normaliseValue(e, inner));
  }
  if (sql === 'BIGINT') return typeof v === 'bigint' ? v : BigInt(v as number);
  if (sql === 'DOUBLE') return Number(v);
  return v;
}

/** Checks that columns have equal lengths and one JS type each; returns their DuckDB types. */
export function inferColumnTypes(columns: Record<string, readonly unknown[]>): { type: DuckDBType; sql: string }[] {
  const names = Object.keys(columns);
  if (names.length === 0) throw new Error('DataFrame.fromColumns: no columns');
  const n = columns[names[0]!]!.length;
  for (const name of names)
    if (columns[name]!.length !== n)
      throw new Error(`DataFrame.fromColumns: column "${name}" has ${columns[name]!.length} values, expected ${n}`);
  return names.map((name) => inferType(name, columns[name]!));
}

/**
 * Creates the session table of `handle` from columns of JS values (types inferred: safe integers BIGINT,
 * other numbers DOUBLE, strings VARCHAR, booleans, Dates TIMESTAMP, Uint8Array/Buffer BLOB, other number
 * arrays DOUBLE[], string arrays VARCHAR[]; all-null VARCHAR).
 */
export async function createTableFromColumns(
  session: Session,
  handle: TableHandle,
  columns: Record<string, readonly unknown[]>,
): Promise<void> {
  const names = Object.keys(columns);
  const n = columns[names[0]!]?.length ?? 0;
  const types = inferColumnTypes(columns);
  const ddl = names.map((name, i) => `${quoteIdent(name)} ${types[i]!.sql}`).join(', ');
  await session.run(`CREATE TABLE ${quoteIdent(handle.name)} (${ddl})`);
  const conn = await session.connect();
  const appender = await conn.createAppender(handle.name);
  try {
    const CHUNK = 2048;
    for (let start = 0; start < n; start += CHUNK) {
      const end = Math.min(n, start + CHUNK);
      const chunk = DuckDBDataChunk.create(
        types.map((t) => t.type),
        end - start,
      );
      const cols = names.map((name, ci) =>
        columns[name]!.slice(start, end).map((v) => normaliseValue(v, types[ci]!.sql)),
      );
      chunk.setColumnsConverted(cols as never, JSToDuckDBValueConverter);
      appender.appendDataChunk(chunk);
    }
  } finally {
    appender.closeSync();
  }
}

/** Converts row objects to columns (the union of keys, in first-seen order; missing keys are null). */
export function rowsToColumns(rows: readonly Record<string, unknown>[]): Record<string, unknown[]> {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const row of rows)
    for (const k of Object.keys(row))
      if (!seen.has(k)) {
        seen.add(k);
        names.push(k);
      }
  const cols: Record<string, unknown[]> = {};
  for (const name of names) cols[name] = rows.map((r) => r[name] ?? null);
  return cols;
}
