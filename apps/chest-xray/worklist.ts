/**
 * A worklist on disk, what `cxr review` serves: `worklist.json` (the studies, highest priority first,
 * with their probabilities, flags and image file) and `maps/<study id>.json` (the Grad-CAM maps of each
 * finding). Written by `evaluate` (the test split), `predict` and `explain` (new files).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CXR14_LABELS } from '../../src/data/datasets/chestxray14.js';
import { writeFileAtomic } from '../../src/util/atomic-write.js';

/** Study ids are names, never paths: letters, digits, '.', '_' and '-', not starting with '.'. */
export const STUDY_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

export interface Study {
  id: string;
  /** the image file (PNG, JPEG or DICOM) */
  file: string;
  patientId?: string | undefined;
  studyInstanceUid?: string | undefined;
  probabilities: number[];
  flags: string[];
  priority: number;
  /** the labels, when known (evaluation on a labelled split) */
  truth?: string[] | undefined;
  /** DICOM: the image is windowable (the page offers window/level) */
  dicom?: boolean | undefined;
}

export interface WorklistMeta {
  thresholds: number[];
  modelDir: string;
  source: string;
}

export interface Worklist extends WorklistMeta {
  labels: string[];
  createdAt: string;
  studies: Study[];
}

export interface HeatmapFile {
  h: number;
  w: number;
  /** one row-major h*w map per finding, in label order */
  maps: number[][];
  /** the part of the image the maps cover (the model's centre crop), normalised [x0, y0, x1, y1] */
  region?: [number, number, number, number];
}

/**
 * Writes the worklist (sorted by priority) and its heatmaps under `dir`; returns `dir`.
 *
 * @example
 * ```ts
 * writeWorklist('runs/cxr/worklist', studies, { thresholds, modelDir: 'runs/cxr/model', source: 'test split' });
 * ```
 */
export function writeWorklist(
  dir: string,
  studies: (Study & { heatmap?: HeatmapFile | undefined })[],
  meta: WorklistMeta,
): string {
  const sorted = [...studies].sort((a, b) => b.priority - a.priority);
  const seen = new Set<string>();
  for (const s of sorted) {
    if (!STUDY_ID.test(s.id)) throw new Error(`worklist: study id '${s.id}' is not a plain name`);
    if (seen.has(s.id)) throw new Error(`worklist: study id '${s.id}' appears twice`);
    seen.add(s.id);
    if (s.heatmap) writeFileAtomic(join(dir, 'maps', `${s.id}.json`), JSON.stringify(s.heatmap), { mkdir: true });
  }
  const list: Worklist = {
    ...meta,
    labels: [...CXR14_LABELS],
    createdAt: new Date().toISOString(),
    studies: sorted.map(({ heatmap: _h, ...s }) => s),
  };
  writeFileAtomic(join(dir, 'worklist.json'), JSON.stringify(list), { mkdir: true });
  return dir;
}

export function readWorklist(dir: string): Worklist {
  const path = join(dir, 'worklist.json');
  if (!existsSync(path))
    throw new Error(`no worklist in ${dir} (worklist.json missing): run 'tszoo cxr evaluate' or 'cxr predict' first`);
  const w = JSON.parse(readFileSync(path, 'utf8')) as Worklist;
  if (!Array.isArray(w.studies)) throw new Error(`${path}: no studies`);
  for (const s of w.studies)
    if (!STUDY_ID.test(s.id)) throw new Error(`${path}: study id '${s.id}' is not a plain name`);
  return w;
}
