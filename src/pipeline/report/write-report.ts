/** Writes a run's HTML report atomically (util/atomic-write: temporary file, fsync, rename). */
import { writeFileAtomic } from '../../util/atomic-write.js';
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
  writeFileAtomic(path, renderReport(run), { mkdir: true });
  return path;
}
