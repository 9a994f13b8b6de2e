/**
 * Writes a TensorBoard event file: `events.out.tfevents.<seconds>.<host>` in a directory, a
 * file-version record first, then scalar summaries. Records are buffered and written whole (so a
 * crash can at most cut the last one, which readers skip) every `flushIntervalMs`, when the buffer
 * grows past 64 KiB, on flush() and close(), and at process exit.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { encodeEvent, FILE_VERSION, type TfEvent } from './event.js';
import { encodeRecord } from './tfrecord.js';

export interface EventFileWriterOptions {
  /** longest time a record waits in memory (default 1000 ms, as BigDL's writer) */
  flushIntervalMs?: number;
  /** appended to the file name, e.g. '.train' */
  filenameSuffix?: string;
}

const MAX_PENDING_BYTES = 64 * 1024;
const open = new Set<EventFileWriter>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const writer of open) writer.flush();
  });
}

/** Opens `<dir>/<base>`, or `<base>.1`, `<base>.2`, ... when another writer made it in the same second. */
function createUnique(dir: string, base: string): { fd: number; path: string } {
  for (let k = 0; ; k++) {
    const path = join(dir, k === 0 ? base : `${base}.${k}`);
    try {
      return { fd: openSync(path, 'wx'), path };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || k > 1000) throw e;
    }
  }
}

/**
 * @example
 * ```ts
 * const writer = new EventFileWriter('runs/exp1/train');
 * writer.addScalar('loss', 0.42, 100);
 * writer.close();
 * ```
 */
export class EventFileWriter {
  /** the event file */
  readonly path: string;
  private fd: number | null;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly flushIntervalMs: number;

  constructor(
    readonly dir: string,
    options: EventFileWriterOptions = {},
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
    mkdirSync(dir, { recursive: true });
    const seconds = Math.floor(Date.now() / 1000);
    const file = createUnique(dir, `events.out.tfevents.${seconds}.${hostname()}${options.filenameSuffix ?? ''}`);
    this.fd = file.fd;
    this.path = file.path;
    open.add(this);
    installExitHook();
    this.addEvent({ wallTime: Date.now() / 1000, step: 0, fileVersion: FILE_VERSION });
    this.flush();
  }

  /** Queues one event. */
  addEvent(event: TfEvent): void {
    if (this.fd === null) throw new Error(`EventFileWriter: ${this.path} is closed`);
    this.#rethrow();
    const record = encodeRecord(encodeEvent(event));
    this.pending.push(record);
    this.pendingBytes += record.length;
    if (this.pendingBytes >= MAX_PENDING_BYTES) this.flush();
    else if (!this.timer) {
      // a timer's exception would end the process: keep it for the next call instead
      this.timer = setTimeout(() => {
        try {
          this.flush();
        } catch (e) {
          this.#failed = e as Error;
        }
      }, this.flushIntervalMs);
      this.timer.unref();
    }
  }

  /**
   * Logs scalars under their tags at `step`, in one event.
   *
   * @param wallTime seconds since the epoch (default now)
   */
  addScalars(values: Record<string, number>, step: number, wallTime = Date.now() / 1000): void {
    if (!Number.isInteger(step) || step < 0)
      throw new Error(`EventFileWriter: step must be an integer >= 0, got ${step}`);
    const value = Object.entries(values).map(([tag, v]) => {
      if (typeof v !== 'number') throw new Error(`EventFileWriter: value of ${tag} is ${typeof v}, not a number`);
      return { tag, simpleValue: v };
    });
    this.addEvent({ wallTime, step, summary: { value } });
  }

  /** Logs one scalar. */
  addScalar(tag: string, value: number, step: number, wallTime?: number): void {
    this.addScalars({ [tag]: value }, step, wallTime);
  }

  /** Writes the queued records to the file (whole records, in one write). */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.#rethrow();
    if (this.fd === null || this.pending.length === 0) return;
    const data = Buffer.concat(this.pending);
    let written = 0;
    try {
      while (written < data.length) written += writeSync(this.fd, data, written);
    } finally {
      // what was not written stays queued (the file holds a prefix of the record stream, never a gap)
      this.pending = written < data.length ? [data.subarray(written)] : [];
      this.pendingBytes = data.length - written;
    }
  }

  #failed: Error | null = null;

  /** Reports a write that failed in the background flush, once. */
  #rethrow(): void {
    const e = this.#failed;
    if (!e) return;
    this.#failed = null;
    throw new Error(`EventFileWriter: writing ${this.path} failed: ${e.message}`);
  }

  /** Flushes, syncs to disk and closes the file; later writes throw. */
  close(): void {
    if (this.fd === null) return;
    this.flush();
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = null;
    open.delete(this);
  }
}
