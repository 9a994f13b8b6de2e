/**
 * A Session owns one embedded DuckDB database and the connection DataFrames run on. A default
 * in-memory session is created on first use; tests and applications may create their own.
 */
import { type DuckDBConnection, DuckDBInstance, type DuckDBResult, type DuckDBValue } from '@duckdb/node-api';
import { quoteIdent } from './sql.js';

let tableCounter = 0;

/**
 * A table the session created (for `fromRows`, `cache()`). DataFrames that read it keep a reference;
 * when none is left the table is dropped (`DataFrame.unpersist()` drops it at once).
 */
export class TableHandle {
  /** @internal */
  created: Promise<void> | null = null;
  dropped = false;
  constructor(
    readonly session: Session,
    readonly name: string,
  ) {}
}

const dropper = new FinalizationRegistry<{ session: Session; name: string }>(({ session, name }) => {
  session.dropTableQuietly(name);
});

/** One embedded DuckDB database (in memory by default) with its main connection. */
export class Session {
  private connection: Promise<DuckDBConnection> | null = null;
  private instancePromise: Promise<DuckDBInstance> | null = null;
  private closed = false;

  /**
   * @param path database file, or `':memory:'` (default)
   * @param config DuckDB options such as `{ threads: '2', memory_limit: '1GB' }`
   */
  constructor(
    readonly path = ':memory:',
    readonly config: Record<string, string> = {},
  ) {}

  /** The DuckDB instance, created on first use. */
  instance(): Promise<DuckDBInstance> {
    if (this.closed) return Promise.reject(new Error('DataFrame session is closed'));
    this.instancePromise ??= DuckDBInstance.create(this.path, this.config);
    return this.instancePromise;
  }

  /** The session's main connection, created on first use. */
  connect(): Promise<DuckDBConnection> {
    this.connection ??= this.instance().then((inst) => inst.connect());
    return this.connection;
  }

  /** Runs a statement on the main connection and returns the materialised result. */
  async run(sql: string, params: Record<string, DuckDBValue> = {}): Promise<DuckDBResult> {
    const conn = await this.connect();
    return Object.keys(params).length > 0 ? conn.run(sql, params) : conn.run(sql);
  }

  /**
   * Opens a streaming result on a connection of its own (a stream on the main connection would be
   * invalidated by the next statement). Call the returned `close` when done.
   */
  async stream(
    sql: string,
    params: Record<string, DuckDBValue> = {},
  ): Promise<{ result: DuckDBResult; close: () => void }> {
    const conn = await (await this.instance()).connect();
    try {
      const result = Object.keys(params).length > 0 ? await conn.stream(sql, params) : await conn.stream(sql);
      return { result, close: () => conn.closeSync() };
    } catch (err) {
      conn.closeSync();
      throw err;
    }
  }

  /** Reserves a name for a session-owned table, dropped once no DataFrame references `owner`. */
  newTable(prefix: string): TableHandle {
    tableCounter += 1;
    const handle = new TableHandle(this, `__tszoo_${prefix}_${tableCounter}`);
    dropper.register(handle, { session: this, name: handle.name });
    return handle;
  }

  /** Temporary views registered with `DataFrame.createOrReplaceTempView`, visible to `DataFrame.sql`. */
  readonly views = new Map<string, { sql: string; params: Record<string, DuckDBValue>; deps: readonly object[] }>();

  /** @internal */
  dropTableQuietly(name: string): void {
    if (this.closed || this.connection === null) return;
    this.run(`DROP TABLE IF EXISTS ${quoteIdent(name)}`).catch(() => {});
  }

  /** Closes the database; DataFrames of this session fail afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    const conn = this.connection;
    const inst = this.instancePromise;
    this.closed = true;
    this.connection = null;
    this.instancePromise = null;
    if (conn) (await conn).closeSync();
    if (inst) (await inst).closeSync();
  }
}

let defaultSession: Session | null = null;

/** The process-wide default session (an in-memory database), created on first use. */
export function getDefaultSession(): Session {
  defaultSession ??= new Session();
  return defaultSession;
}
