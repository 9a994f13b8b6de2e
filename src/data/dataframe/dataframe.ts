/**
 * DataFrame: an immutable, lazily evaluated relation over an embedded DuckDB database.
 * Each operation returns a new DataFrame wrapping a SQL query; nothing runs until an action
 * (`collect`, `count`, `iterateBatches`, `write*`, ...).
 */
import { readFileSync } from 'node:fs';
import type { DuckDBValue } from '@duckdb/node-api';
import { type Table, tableFromIPC, tableToIPC } from 'apache-arrow';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { arrowToColumns, columnsToArrow } from './arrow.js';
import { toJS } from './convert.js';
import { formatSchema, formatTable } from './display.js';
import { type JoinOptions, joinQuery } from './join.js';
import { type MultiHotOptions, multiHotQuery } from './multihot.js';
import {
  type CsvOptions,
  createTableFromColumns,
  csvQuery,
  inferColumnTypes,
  type JsonOptions,
  jsonQuery,
  parquetQuery,
  rangeQuery,
  rowsToColumns,
} from './readers.js';
import { getDefaultSession, type Session, type TableHandle } from './session.js';
import { cumulativeBounds, groupSplitQuery, randomSplitQuery } from './splits.js';
import { bindPlaceholders, bindValue, type Query, quoteIdent, sqlString } from './sql.js';

/** A row as plain JS values (see `collect`). */
export type Row = Record<string, unknown>;

/** A column's name and DuckDB type, e.g. `{ name: 'Patient ID', type: 'BIGINT' }`. */
export interface ColumnInfo {
  name: string;
  type: string;
}

/** Options for sources: the session to use (default: the process-wide in-memory session). */
export interface SourceOptions {
  session?: Session;
}

/** An `orderBy` key: a column name or expression, optionally descending. */
export type SortKey = string | { column: string; descending?: boolean; nulls?: 'first' | 'last' };

function cleanMessage(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n\nLINE ')[0]!.trim();
}

function wrap(op: string, err: unknown): Error {
  const msg = cleanMessage(err);
  // an error of an earlier step is passed on as it is (not wrapped again at every derived frame)
  if (msg.startsWith('DataFrame') && err instanceof Error) return err;
  return new Error(`DataFrame.${op}: ${msg}`, { cause: err });
}

const NUMERIC_TYPE =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL.*)$/;

function sub(q: Query): string {
  return `(${q.sql}) AS __t`;
}

/**
 * An immutable, lazy table. Build one from a file, JS rows or SQL, transform it with chainable
 * operations, and run it with an action.
 *
 * @example
 * ```ts
 * const entries = DataFrame.readCsv('Data_Entry_2017_v2020.csv');
 * const labelled = entries
 *   .filter('"View Position" = ?', 'PA')
 *   .multiHot('Finding Labels', CXR14_LABELS);
 * const [train, test] = labelled.splitByGroup('Patient ID', [0.8, 0.2], { seed: 42 });
 * console.log(await train.count(), (await test.limit(2).collect())[0]);
 * ```
 */
export class DataFrame {
  private memo: Promise<Query> | null = null;
  private schemaMemo: Promise<ColumnInfo[]> | null = null;
  private knownSchema: ColumnInfo[] | null = null;

  private constructor(
    /** the session this frame runs in */
    readonly session: Session,
    private readonly build: () => Promise<Query>,
    /** tables this frame reads; kept alive while the frame is */
    private readonly deps: readonly TableHandle[],
  ) {}

  // ---------------------------------------------------------------- sources

  /**
   * Reads a CSV file. The header is normalised: bracket groups split by the delimiter are expanded
   * (`OriginalImage[Width`,`Height]` gives `OriginalImage_Width`, `OriginalImage_Height`), empty header
   * cells (a trailing comma) are dropped, names are trimmed. Types are sniffed unless given in `types`.
   * A missing file fails with `DataFrame.readCsv: file not found: <path>` when the frame runs.
   */
  static readCsv(path: string, options: CsvOptions & SourceOptions = {}): DataFrame {
    return new DataFrame(options.session ?? getDefaultSession(), () => csvQuery(path, options), []);
  }

  /** Reads Parquet file(s) (a path or glob). */
  static readParquet(path: string, options: SourceOptions = {}): DataFrame {
    return new DataFrame(options.session ?? getDefaultSession(), () => parquetQuery(path), []);
  }

  /** Reads JSON: JSON lines or a top-level array of objects (`format` 'auto' detects either). */
  static readJson(path: string, options: JsonOptions & SourceOptions = {}): DataFrame {
    return new DataFrame(options.session ?? getDefaultSession(), () => jsonQuery(path, options), []);
  }

  /**
   * A frame from JS columns of equal length. Types are inferred: safe integers BIGINT, other numbers DOUBLE,
   * strings VARCHAR, booleans BOOLEAN, Dates TIMESTAMP, number arrays DOUBLE[], all-null VARCHAR.
   * The data is copied into a session table when the frame first runs.
   */
  static fromColumns(columns: Record<string, readonly unknown[]>, options: SourceOptions = {}): DataFrame {
    const session = options.session ?? getDefaultSession();
    const handle = session.newTable('rows');
    const copy = { ...columns };
    inferColumnTypes(copy); // fail now on ragged or mixed-type columns
    return new DataFrame(session, async () => {
      handle.created ??= createTableFromColumns(session, handle, copy);
      await handle.created;
      return { sql: `SELECT * FROM ${quoteIdent(handle.name)}`, params: {} };
    }, [handle]);
  }

  /** A frame from row objects (columns: the union of keys in first-seen order; missing keys are null). */
  static fromRows(rows: readonly Row[], options: SourceOptions = {}): DataFrame {
    if (rows.length === 0) throw new Error('DataFrame.fromRows: no rows (use fromColumns for an empty frame)');
    return DataFrame.fromColumns(rowsToColumns(rows), options);
  }

  /**
   * A frame from an Apache Arrow table or Arrow IPC bytes (stream or file format), with the DuckDB types
   * that the Arrow types name (Int32 INTEGER, Float32 FLOAT, Utf8 and dictionary-encoded strings VARCHAR,
   * Timestamp TIMESTAMP, List<number> T[], ...); nulls stay null. The data is copied.
   *
   * @example
   * ```ts
   * import { tableFromArrays } from 'apache-arrow';
   * const df = DataFrame.fromArrow(tableFromArrays({ id: Int32Array.from([1, 2]), score: [0.5, 0.9] }));
   * ```
   */
  static fromArrow(input: Table | Uint8Array, options: SourceOptions = {}): DataFrame {
    let table: Table;
    try {
      table = input instanceof Uint8Array ? tableFromIPC(input) : input;
    } catch (e) {
      throw new Error(`DataFrame.fromArrow: not Arrow IPC data (${(e as Error).message})`);
    }
    if (table.schema.fields.length === 0) {
      throw new Error(
        `DataFrame.fromArrow: ${input instanceof Uint8Array ? 'not Arrow IPC data (no schema found)' : 'a table without columns'}`,
      );
    }
    const { columns, types } = arrowToColumns(table);
    const casts = Object.entries(types).map(([name, t]) => `CAST(${quoteIdent(name)} AS ${t}) AS ${quoteIdent(name)}`);
    return DataFrame.fromColumns(columns, options).select(...casts);
  }

  /** Reads an Arrow IPC file (`.arrow`, `.feather` v2) or stream; see {@link DataFrame.fromArrow}. */
  static readArrow(path: string, options: SourceOptions = {}): DataFrame {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      throw new Error(`DataFrame.readArrow: cannot read ${path}: ${(e as Error).message}`);
    }
    try {
      return DataFrame.fromArrow(bytes, options);
    } catch (e) {
      throw new Error(`${(e as Error).message.replace('DataFrame.fromArrow', 'DataFrame.readArrow')} in ${path}`);
    }
  }

  /** One BIGINT column `id`: `start, start+step, ...` below `end` (`range(n)` is 0..n-1). */
  static range(startOrEnd: number, end?: number, step = 1, options: SourceOptions = {}): DataFrame {
    const q = end === undefined ? rangeQuery(0, startOrEnd, step) : rangeQuery(startOrEnd, end, step);
    return new DataFrame(options.session ?? getDefaultSession(), async () => q, []);
  }

  /**
   * A frame from a SQL query. `tables` names DataFrames the query reads (as common table expressions);
   * views registered with `createOrReplaceTempView` are visible too. `?` placeholders bind `values`.
   *
   * @example
   * ```ts
   * const df = DataFrame.sql('SELECT a.k, b.v FROM a JOIN b USING (k) WHERE b.v > ?', { a, b }, [10]);
   * ```
   */
  static sql(
    query: string,
    tables: Record<string, DataFrame> = {},
    values: readonly unknown[] = [],
    options: SourceOptions = {},
  ): DataFrame {
    const frames = Object.values(tables);
    const session = options.session ?? frames[0]?.session ?? getDefaultSession();
    const bound = bindPlaceholders(query, values);
    const deps: TableHandle[] = frames.flatMap((f) => [...f.deps]);
    const views = [...session.views.entries()].filter(
      ([name]) => !(name in tables) && new RegExp(`\\b${name.replace(/\W/g, '\\$&')}\\b`, 'i').test(query),
    );
    for (const [, v] of views) deps.push(...(v.deps as TableHandle[]));
    return new DataFrame(
      session,
      async () => {
        const ctes: string[] = [];
        const params: Record<string, DuckDBValue> = {};
        for (const [name, v] of views) {
          ctes.push(`${quoteIdent(name)} AS (${v.sql})`);
          Object.assign(params, v.params);
        }
        for (const [name, f] of Object.entries(tables)) {
          if (f.session !== session) throw new Error(`DataFrame.sql: table "${name}" belongs to another session`);
          const q = await f.query();
          ctes.push(`${quoteIdent(name)} AS (${q.sql})`);
          Object.assign(params, q.params);
        }
        Object.assign(params, bound.params);
        if (ctes.length === 0) return { sql: bound.sql, params };
        const m = /^\s*WITH\s+/i.exec(bound.sql);
        const sql = m
          ? `WITH ${ctes.join(', ')}, ${bound.sql.slice(m[0].length)}`
          : `WITH ${ctes.join(', ')} ${bound.sql}`;
        return { sql, params };
      },
      deps,
    );
  }

  // ---------------------------------------------------------------- plumbing

  /** The SQL and parameters of this frame (built once). */
  async query(): Promise<Query> {
    if (!this.memo) {
      this.memo = this.build();
      this.memo.catch(() => {
        this.memo = null;
      });
    }
    return this.memo;
  }

  private derive(op: string, fn: (q: Query, cols: string[]) => Query | Promise<Query>, more: DataFrame[] = []) {
    const deps = [...this.deps, ...more.flatMap((f) => f.deps)];
    for (const f of more)
      if (f.session !== this.session) throw new Error(`DataFrame.${op}: the frames belong to different sessions`);
    return new DataFrame(
      this.session,
      async () => {
        try {
          const q = await this.query();
          return await fn(q, fn.length >= 2 ? await this.columns() : []);
        } catch (err) {
          throw wrap(op, err);
        }
      },
      deps,
    );
  }

  private async action<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw wrap(op, err);
    }
  }

  /** Column names and DuckDB types. */
  schema(): Promise<ColumnInfo[]> {
    if (!this.schemaMemo) {
      this.schemaMemo = this.action('schema', async () => {
        const q = await this.query();
        const res = await this.session.run(`DESCRIBE ${q.sql}`, q.params);
        const rows = await res.getRowObjectsJS();
        const schema = rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
        this.knownSchema = schema;
        return schema;
      });
      this.schemaMemo.catch(() => {
        this.schemaMemo = null;
      });
    }
    return this.schemaMemo;
  }

  /** Column names in order. */
  async columns(): Promise<string[]> {
    return (await this.schema()).map((c) => c.name);
  }

  private static checkColumns(op: string, cols: readonly string[], wanted: readonly string[]): void {
    for (const w of wanted)
      if (!cols.includes(w)) throw new Error(`DataFrame.${op}: column "${w}" not found (columns: ${cols.join(', ')})`);
  }

  /** A column name in `cols` becomes a quoted identifier; anything else is a SQL expression. */
  private static ref(cols: readonly string[], s: string): string {
    return cols.includes(s) ? quoteIdent(s) : s;
  }

  // ---------------------------------------------------------------- transformations

  /**
   * Projects columns or SQL expressions: a string equal to a column name selects that column
   * (`'Patient ID'`), anything else is an expression (`'"Patient Age" * 12 AS months'`).
   */
  select(...columns: string[]): DataFrame {
    if (columns.length === 0) throw new Error('DataFrame.select: no columns');
    return this.derive('select', (q, cols) => ({
      sql: `SELECT ${columns.map((c) => DataFrame.ref(cols, c)).join(', ')} FROM ${sub(q)}`,
      params: q.params,
    }));
  }

  /** Keeps rows where the SQL condition holds; `?` placeholders bind `values`. */
  filter(condition: string, ...values: unknown[]): DataFrame {
    const b = bindPlaceholders(condition, values);
    return this.derive('filter', (q) => ({
      sql: `SELECT * FROM ${sub(q)} WHERE ${b.sql}`,
      params: { ...q.params, ...b.params },
    }));
  }

  /** Alias of `filter`. */
  where(condition: string, ...values: unknown[]): DataFrame {
    return this.filter(condition, ...values);
  }

  /** Adds (or replaces, in place) a column computed by a SQL expression; `?` binds `values`. */
  withColumn(name: string, expression: string, ...values: unknown[]): DataFrame {
    const b = bindPlaceholders(expression, values);
    return this.derive('withColumn', (q, cols) => ({
      sql: cols.includes(name)
        ? `SELECT * REPLACE ((${b.sql}) AS ${quoteIdent(name)}) FROM ${sub(q)}`
        : `SELECT *, (${b.sql}) AS ${quoteIdent(name)} FROM ${sub(q)}`,
      params: { ...q.params, ...b.params },
    }));
  }

  /** Renames a column (error if it does not exist). */
  withColumnRenamed(from: string, to: string): DataFrame {
    return this.derive('withColumnRenamed', (q, cols) => {
      DataFrame.checkColumns('withColumnRenamed', cols, [from]);
      const list = cols.map((c) => (c === from ? `${quoteIdent(c)} AS ${quoteIdent(to)}` : quoteIdent(c)));
      return { sql: `SELECT ${list.join(', ')} FROM ${sub(q)}`, params: q.params };
    });
  }

  /** Removes columns (error if one does not exist). */
  drop(...columns: string[]): DataFrame {
    return this.derive('drop', (q, cols) => {
      DataFrame.checkColumns('drop', cols, columns);
      const rest = cols.filter((c) => !columns.includes(c));
      if (rest.length === 0) throw new Error('DataFrame.drop: cannot drop every column');
      return { sql: `SELECT ${rest.map(quoteIdent).join(', ')} FROM ${sub(q)}`, params: q.params };
    });
  }

  /**
   * Joins on equal key column(s). The output has each key once, then the left columns, then the right
   * columns (renamed with `suffix`, default `_right`, when the left has the same name). `semi` and `anti`
   * keep the left rows with / without a match.
   */
  join(other: DataFrame, options: JoinOptions): DataFrame {
    return this.derive(
      'join',
      async (q, cols) => joinQuery(q, cols, await other.query(), await other.columns(), options),
      [other],
    );
  }

  /** Groups by columns (or expressions) for `agg` / `count`. */
  groupBy(...columns: string[]): GroupedData {
    return new GroupedData(this, columns);
  }

  /** @internal used by GroupedData */
  aggregate(keys: readonly string[], aggs: Record<string, string>): DataFrame {
    return this.derive('groupBy', (q, cols) => {
      const keyRefs = keys.map((k) => DataFrame.ref(cols, k));
      const list = [...keyRefs, ...Object.entries(aggs).map(([name, e]) => `${e} AS ${quoteIdent(name)}`)];
      const group = keys.length > 0 ? ` GROUP BY ${keyRefs.join(', ')}` : '';
      return { sql: `SELECT ${list.join(', ')} FROM ${sub(q)}${group}`, params: q.params };
    });
  }

  /**
   * Sorts rows. A key is a column name, an expression, `'col DESC'`, or `{ column, descending, nulls }`.
   */
  orderBy(...keys: SortKey[]): DataFrame {
    return this.derive('orderBy', (q, cols) => {
      const parts = keys.map((k) => {
        if (typeof k === 'string') {
          if (cols.includes(k)) return quoteIdent(k);
          const m = /^(.*?)\s+(asc|desc)(\s+nulls\s+(first|last))?$/i.exec(k);
          if (m && cols.includes(m[1]!)) return `${quoteIdent(m[1]!)} ${k.slice(m[1]!.length).trim()}`;
          return k;
        }
        const nulls = k.nulls ? ` NULLS ${k.nulls === 'first' ? 'FIRST' : 'LAST'}` : '';
        return `${DataFrame.ref(cols, k.column)} ${k.descending ? 'DESC' : 'ASC'}${nulls}`;
      });
      return { sql: `SELECT * FROM ${sub(q)} ORDER BY ${parts.join(', ')}`, params: q.params };
    });
  }

  /** Alias of `orderBy`. */
  sort(...keys: SortKey[]): DataFrame {
    return this.orderBy(...keys);
  }

  /** The first `n` rows (after skipping `offset`). */
  limit(n: number, offset = 0): DataFrame {
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`DataFrame.limit: bad count ${n}`);
    if (!Number.isSafeInteger(offset) || offset < 0) throw new Error(`DataFrame.limit: bad offset ${offset}`);
    return this.derive('limit', (q) => {
      const params = { ...q.params };
      const sql = `SELECT * FROM ${sub(q)} LIMIT ${bindValue(params, BigInt(n))} OFFSET ${bindValue(params, BigInt(offset))}`;
      return { sql, params };
    });
  }

  /** Distinct rows. */
  distinct(): DataFrame {
    return this.derive('distinct', (q) => ({ sql: `SELECT DISTINCT * FROM ${sub(q)}`, params: q.params }));
  }

  /**
   * Rows of both frames. By default columns are matched by name (missing ones are null) and duplicates kept;
   * `byName: false` matches by position, `distinct: true` removes duplicates.
   */
  union(other: DataFrame, options: { byName?: boolean; distinct?: boolean } = {}): DataFrame {
    const op = `UNION${options.distinct ? '' : ' ALL'}${options.byName === false ? '' : ' BY NAME'}`;
    return this.derive(
      'union',
      async (q) => {
        const o = await other.query();
        return { sql: `SELECT * FROM (${q.sql}) ${op} SELECT * FROM (${o.sql})`, params: { ...q.params, ...o.params } };
      },
      [other],
    );
  }

  /**
   * Multi-hot encodes a delimited label column in the order of `labels`: by default a FLOAT[] column
   * `labels` of 0/1 (or one FLOAT column per label with `asColumns`). `No Finding` (when not a label),
   * NULL and empty cells give all zeros; another unknown token fails the query (or is ignored with
   * `unknown: 'ignore'`).
   *
   * @example
   * ```ts
   * df.multiHot('Finding Labels', ['Atelectasis', 'Cardiomegaly', 'Effusion']);
   * // 'Effusion|Atelectasis' -> labels [1, 0, 1]; 'No Finding' -> [0, 0, 0]
   * ```
   */
  multiHot(column: string, labels: readonly string[], options: MultiHotOptions = {}): DataFrame {
    return this.derive('multiHot', (q, cols) => multiHotQuery(q, cols, column, labels, options));
  }

  /**
   * Splits rows at random into parts sized by `weights` (normalised), reproducibly for a `seed`.
   * Sizes are exact up to rounding, every row is in exactly one part, and each part keeps the input order.
   * Reproducibility assumes a deterministic input order (files, `fromRows`, or an `orderBy`).
   */
  randomSplit(weights: readonly number[], options: { seed?: number } = {}): DataFrame[] {
    const bounds = cumulativeBounds(weights);
    const seed = options.seed ?? 0;
    return weights.map((_, i) => this.derive('randomSplit', (q) => randomSplitQuery(q, bounds, i, seed)));
  }

  /**
   * Splits by group (e.g. `'Patient ID'`): every row of a group lands in the same part, so no group is in
   * two parts; groups are shuffled with `seed` and parts are as close to `weights` as group sizes allow.
   */
  splitByGroup(groupColumn: string, weights: readonly number[], options: { seed?: number } = {}): DataFrame[] {
    const bounds = cumulativeBounds(weights);
    const seed = options.seed ?? 0;
    return weights.map((_, i) =>
      this.derive('splitByGroup', (q, cols) => {
        DataFrame.checkColumns('splitByGroup', cols, [groupColumn]);
        return groupSplitQuery(q, groupColumn, bounds, i, seed);
      }),
    );
  }

  /** Registers this frame under `name` for `DataFrame.sql` queries in the same session. */
  async createOrReplaceTempView(name: string): Promise<void> {
    const q = await this.action('createOrReplaceTempView', () => this.query());
    this.session.views.set(name, { sql: q.sql, params: q.params, deps: this.deps });
  }

  // ---------------------------------------------------------------- actions

  /**
   * The first `n` rows as a text table (Spark's `show()` layout); `truncate`: cells cut to 20 characters
   * (true, the default), to a number of characters, or not at all (false).
   */
  showString(n = 20, truncate: boolean | number = true): Promise<string> {
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`DataFrame.show: bad row count ${n}`);
    return this.action('show', async () => {
      const [schema, rows] = await Promise.all([this.schema(), this.limit(n + 1).collect()]);
      return formatTable(
        schema.map((c) => c.name),
        rows.slice(0, n),
        truncate,
        rows.length > n,
      );
    });
  }

  /**
   * Prints the first `n` rows as a table, as Spark's `df.show()`.
   *
   * @example
   * ```ts
   * await DataFrame.fromRows([{ city: 'Paris', n: 3 }]).show();
   * // +-----+-+
   * // | city|n|
   * // +-----+-+
   * // |Paris|3|
   * // +-----+-+
   * ```
   */
  async show(n = 20, truncate: boolean | number = true): Promise<void> {
    process.stdout.write(await this.showString(n, truncate));
  }

  /** Prints the column names and types as a tree, as Spark's `printSchema()`. */
  async printSchema(): Promise<void> {
    process.stdout.write(formatSchema(await this.schema()));
  }

  /**
   * Summary statistics, as Spark's `describe()`: one row per statistic (`count`, `mean`, `stddev` (sample),
   * `min`, `max`) in column `summary`, one column per input column (all numeric and text columns when none are
   * named; mean and stddev are null for text). Values are text, as in Spark.
   */
  describe(...columns: string[]): DataFrame {
    return this.derive('describe', async (q) => {
      const schema = await this.schema();
      const chosen =
        columns.length > 0
          ? columns.map((c) => {
              const info = schema.find((s) => s.name === c);
              if (!info)
                throw new Error(
                  `DataFrame.describe: column "${c}" not found (columns: ${schema.map((s) => s.name).join(', ')})`,
                );
              return info;
            })
          : schema.filter((c) => NUMERIC_TYPE.test(c.type) || c.type === 'VARCHAR');
      if (chosen.length === 0) throw new Error('DataFrame.describe: no numeric or text column');
      const stat = (fn: string) =>
        chosen.map((c) => {
          const col = quoteIdent(c.name);
          const numeric = NUMERIC_TYPE.test(c.type);
          const value =
            fn === 'count'
              ? `count(${col})`
              : fn === 'min' || fn === 'max'
                ? `${fn}(${col})`
                : numeric
                  ? `${fn === 'mean' ? 'avg' : 'stddev_samp'}(${col})`
                  : 'NULL';
          return `CAST(${value} AS VARCHAR) AS ${col}`;
        });
      const parts = ['count', 'mean', 'stddev', 'min', 'max'].map(
        (fn, i) => `SELECT ${i} AS __i, '${fn}' AS summary, ${stat(fn).join(', ')} FROM ${sub(q)}`,
      );
      const cols = ['summary', ...chosen.map((c) => quoteIdent(c.name))].join(', ');
      return { sql: `SELECT ${cols} FROM (${parts.join(' UNION ALL ')}) ORDER BY __i`, params: q.params };
    });
  }

  /** Aggregates the whole frame into one row, as Spark's `df.agg(...)`: `{ n: 'count(*)', meanAge: 'avg(age)' }`. */
  agg(aggregations: Record<string, string>): DataFrame {
    if (Object.keys(aggregations).length === 0) throw new Error('DataFrame.agg: no aggregations');
    return this.aggregate([], aggregations);
  }

  /**
   * `DataFrame[name: TYPE, ...]` once the schema is known (any action, `schema()` or `show()` has run),
   * else a note that the frame is lazy. For rows, `await df.show()`.
   */
  toString(): string {
    const cols = this.knownSchema;
    return cols
      ? `DataFrame[${cols.map((c) => `${c.name}: ${c.type}`).join(', ')}]`
      : 'DataFrame[lazy: not run yet; await df.show() or df.printSchema()]';
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  /** Number of rows. */
  count(): Promise<number> {
    return this.action('count', async () => {
      const q = await this.query();
      const res = await this.session.run(`SELECT count(*) AS n FROM ${sub(q)}`, q.params);
      const rows = await res.convertRows(toJS);
      return rows[0]![0] as number;
    });
  }

  /**
   * All rows as objects of JS values: numbers (64-bit integers as `number` when safe, else `bigint`),
   * strings, booleans, `Date` (DATE, TIMESTAMP), `Uint8Array` (BLOB), arrays (LIST), objects (STRUCT), null.
   */
  collect(): Promise<Row[]> {
    return this.action('collect', async () => {
      const q = await this.query();
      const res = await this.session.run(q.sql, q.params);
      return (await res.convertRowObjects(toJS)) as Row[];
    });
  }

  /** All data by column: `{ name: values[] }`. */
  toColumns(): Promise<Record<string, unknown[]>> {
    return this.action('toColumns', async () => {
      const q = await this.query();
      const res = await this.session.run(q.sql, q.params);
      return (await res.convertColumnsObject(toJS)) as Record<string, unknown[]>;
    });
  }

  /** The first `n` rows. */
  take(n: number): Promise<Row[]> {
    return this.limit(n).collect();
  }

  /**
   * Streams the rows in batches of `batchSize` (the last may be shorter), reading DuckDB's result chunk by
   * chunk on a connection of its own: memory stays bounded by a batch. Breaking out of the loop ends the query.
   *
   * @example
   * ```ts
   * for await (const batch of DataFrame.range(200_000).iterateBatches(10_000)) console.log(batch.length);
   * ```
   */
  async *iterateBatches(batchSize: number): AsyncGenerator<Row[], void, undefined> {
    if (!Number.isSafeInteger(batchSize) || batchSize <= 0)
      throw new Error(`DataFrame.iterateBatches: bad batch size ${batchSize}`);
    const q = await this.action('iterateBatches', () => this.query());
    const { result, close } = await this.action('iterateBatches', () => this.session.stream(q.sql, q.params));
    try {
      const names = result.deduplicatedColumnNames();
      let batch: Row[] = [];
      for (;;) {
        const chunk = await this.action('iterateBatches', () => result.fetchChunk());
        if (!chunk || chunk.rowCount === 0) break;
        for (const values of chunk.convertRows(toJS)) {
          const row: Row = {};
          for (let i = 0; i < names.length; i++) row[names[i]!] = values[i];
          batch.push(row);
          if (batch.length === batchSize) {
            yield batch;
            batch = [];
          }
        }
      }
      if (batch.length > 0) yield batch;
    } finally {
      close();
    }
  }

  /** Writes a Parquet file (overwriting it). */
  writeParquet(path: string): Promise<void> {
    return this.action('writeParquet', async () => {
      const q = await this.query();
      const params = { ...q.params };
      await this.session.run(`COPY (${q.sql}) TO ${bindValue(params, path)} (FORMAT parquet)`, params);
    });
  }

  /**
   * The frame as an Apache Arrow table (runs the query). Integers, floats, strings, booleans, blobs, dates,
   * timestamps and numeric lists map to their Arrow types; other DuckDB types are an error naming the
   * column (cast them first).
   */
  toArrow(): Promise<Table> {
    return this.action('toArrow', async () => {
      const [schema, columns] = await Promise.all([this.schema(), this.toColumns()]);
      return columnsToArrow(columns, schema);
    });
  }

  /** Writes an Arrow IPC file (atomically: a crash leaves the old file or the whole new one). */
  writeArrow(path: string): Promise<void> {
    return this.action('writeArrow', async () => {
      writeFileAtomic(path, tableToIPC(await this.toArrow(), 'file'));
    });
  }

  /** Writes a CSV file with a header (overwriting it). */
  writeCsv(path: string, options: { delimiter?: string; header?: boolean } = {}): Promise<void> {
    return this.action('writeCsv', async () => {
      const q = await this.query();
      const params = { ...q.params };
      const delim = sqlString(options.delimiter ?? ',');
      const header = (options.header ?? true) ? 'true' : 'false';
      await this.session.run(
        `COPY (${q.sql}) TO ${bindValue(params, path)} (FORMAT csv, HEADER ${header}, DELIMITER ${delim})`,
        params,
      );
    });
  }

  /**
   * Runs the query now and stores the result in a session table; the returned frame reads that table.
   * The table is dropped when no frame uses it any more, or at once with `unpersist()`.
   */
  cache(): Promise<DataFrame> {
    return this.action('cache', async () => {
      const q = await this.query();
      const handle = this.session.newTable('cache');
      handle.created = this.session.run(`CREATE TABLE ${quoteIdent(handle.name)} AS ${q.sql}`, q.params).then(() => {});
      await handle.created;
      const sql = `SELECT * FROM ${quoteIdent(handle.name)}`;
      return new DataFrame(this.session, async () => ({ sql, params: {} }), [handle]);
    });
  }

  /** Drops the tables this frame owns (from `cache()`, `fromRows`); the frame is unusable afterwards. */
  async unpersist(): Promise<void> {
    for (const h of this.deps) {
      if (h.dropped) continue;
      h.dropped = true;
      await this.session.run(`DROP TABLE IF EXISTS ${quoteIdent(h.name)}`);
    }
  }
}

/** The result of `groupBy`: aggregate it with `agg` or `count`. */
export class GroupedData {
  constructor(
    private readonly frame: DataFrame,
    private readonly keys: readonly string[],
  ) {}

  /**
   * One row per group: the key columns, then one column per entry of `aggregations`
   * (`{ n: 'count(*)', meanAge: 'avg("Patient Age")' }`).
   */
  agg(aggregations: Record<string, string>): DataFrame {
    if (Object.keys(aggregations).length === 0) throw new Error('GroupedData.agg: no aggregations');
    return this.frame.aggregate(this.keys, aggregations);
  }

  /** One row per group with its row count in column `count`. */
  count(): DataFrame {
    return this.agg({ count: 'count(*)' });
  }
}
