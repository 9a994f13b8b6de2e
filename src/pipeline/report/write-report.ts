/** Writes a run's HTML report atomically (temporary file, then rename). */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { renderReport } from './render.js';
import type { RunRecord } from './run-record.js';

/**
 * Renders `run` to a self-contained HTML file at `path` and returns the path.
 *
 * @example
 * ```ts
 * writeReport('runs/fashion-mnist/report.html', run);
 * ```
 */
export function writeReport(path: string, run: RunRecord): string {
  if (!run || typeof run.title !== 'string' || !Array.isArray(run.train) || !Array.isArray(run.validation)) {
    throw new Error(`writeReport(${path}): run needs a title, a train array and a validation array`);
  }
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, renderReport(run));
  renameSync(temporary, path);
  return path;
}
