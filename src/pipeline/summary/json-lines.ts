/**
 * A JSON-lines log: one JSON object per line, appended with one write each, so that a crash can cut
 * at most the last line, which the reader then skips. Non-finite numbers (a NaN loss, say) are kept
 * as the strings "NaN", "Infinity" and "-Infinity" and read back as numbers.
 */
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

const NON_FINITE = new Set(['NaN', 'Infinity', '-Infinity']);

function replacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

function reviver(_key: string, value: unknown): unknown {
  return typeof value === 'string' && NON_FINITE.has(value) ? Number(value) : value;
}

/**
 * @example
 * ```ts
 * const log = new JsonLinesWriter('runs/exp1/log.jsonl');
 * log.write({ event: 'iteration', iteration: 1, loss: 0.69 });
 * log.close();
 * ```
 */
export class JsonLinesWriter {
  private fd: number | null;

  /** Opens `path` for appending (creating its directory); `truncate` starts the file anew. */
  constructor(
    readonly path: string,
    options: { truncate?: boolean } = {},
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, options.truncate ? 'w' : 'a');
  }

  write(record: Record<string, unknown>): void {
    if (this.fd === null) throw new Error(`JsonLinesWriter: ${this.path} is closed`);
    const line = Buffer.from(`${JSON.stringify(record, replacer)}\n`);
    let written = 0;
    while (written < line.length) written += writeSync(this.fd, line, written);
  }

  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }
}

/** The records of a JSON-lines file; a cut last line (no newline) is left out; a bad line throws with its number. */
export function readJsonLines(path: string): Record<string, unknown>[] {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  lines.pop(); // after the last newline: empty, or a line cut by a crash
  return lines.map((line, i) => {
    try {
      return JSON.parse(line, reviver) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`${path}: line ${i + 1} is not JSON: ${(e as Error).message}`);
    }
  });
}
