/**
 * Reads TensorBoard event files back: every record's CRCs checked, scalars grouped by tag.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { decodeEvent, type TfEvent } from './event.js';
import { decodeRecords } from './tfrecord.js';

/** One logged scalar. */
export interface ScalarPoint {
  step: number;
  value: number;
  /** seconds since the epoch */
  wallTime: number;
}

/** Scalars of one run (directory), by tag, in the order written. */
export type ScalarsByTag = Record<string, ScalarPoint[]>;

/** The events of one file (a cut last record, from a writer still writing or killed, is left out). */
export function readEventFile(path: string): TfEvent[] {
  return decodeRecords(readFileSync(path), path).records.map((record, i) => {
    try {
      return decodeEvent(record);
    } catch (e) {
      throw new Error(`${path}: record ${i} is not an Event: ${(e as Error).message}`);
    }
  });
}

/** Event files directly in `dir`, oldest name first (TensorBoard's order). */
export function eventFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.includes('tfevents') && statSync(join(dir, name)).isFile())
    .sort()
    .map((name) => join(dir, name));
}

/**
 * Scalars logged in the event files directly in `dir`.
 *
 * @example
 * ```ts
 * const scalars = readScalars('runs/exp1/train');
 * scalars.Loss?.map((p) => p.value);
 * ```
 */
export function readScalars(dir: string): ScalarsByTag {
  const out: ScalarsByTag = {};
  for (const file of eventFiles(dir)) {
    for (const event of readEventFile(file)) {
      for (const v of event.summary?.value ?? []) {
        if (v.simpleValue === undefined) continue;
        const points = out[v.tag] ?? [];
        out[v.tag] = points;
        points.push({ step: event.step, value: v.simpleValue, wallTime: event.wallTime });
      }
    }
  }
  return out;
}

/**
 * Scalars of every run under `logDir`: each directory holding event files is a run, named by its
 * path relative to logDir ('.' for logDir itself), e.g. { train: {...}, validation: {...} }.
 */
export function readRuns(logDir: string): Record<string, ScalarsByTag> {
  const runs: Record<string, ScalarsByTag> = {};
  const visit = (dir: string) => {
    if (eventFiles(dir).length > 0) runs[relative(logDir, dir) || '.'] = readScalars(dir);
    for (const name of readdirSync(dir).sort()) {
      if (statSync(join(dir, name)).isDirectory()) visit(join(dir, name));
    }
  };
  visit(logDir);
  return runs;
}
