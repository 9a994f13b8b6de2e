/**
 * Indexes a ChestX-ray14 copy (NIH's, or `generateSyntheticCxr`'s) into one row per image with its
 * labels, patient and split, tolerating what real copies have: the 2017 CSV's quirks (trailing comma,
 * ages like '058Y', impossible ages like '412Y'), archives only partly unpacked (rows whose image is
 * absent are counted per split and left out), unknown labels (an error, or mapped by option).
 * Splits are always by patient: the official lists, with validation carved from train_val by patient,
 * or a seeded random 70/10/20 patient split as CheXNet did; never by image.
 */
import { existsSync, readFileSync } from 'node:fs';
import { CXR14_LABELS, type Cxr14Label, scanChestXray14 } from '../../src/data/datasets/chestxray14.js';
import { seededRandom } from '../../src/data/sampler.js';

export type Split = 'train' | 'val' | 'test';

export interface CxrRow {
  imageIndex: string;
  /** absolute path of the image */
  path: string;
  patientId: string;
  /** 14 zeros and ones in CXR14_LABELS order */
  labels: number[];
  split: Split;
  age: number | null;
  sex: string;
  view: string;
}

/** A data problem found while indexing: shown as a table, never as a stack trace. */
export interface DataProblem {
  kind:
    | 'bad-age'
    | 'unknown-label'
    | 'missing-image'
    | 'not-in-lists'
    | 'bad-row'
    | 'missing-file'
    | 'unreadable-file'
    | 'no-patient'
    | 'patient-mismatch'
    | 'duplicate';
  imageIndex: string;
  detail: string;
}

export interface CxrIndex {
  root: string;
  /** NIH's labels CSV version, or 'dicom' for a folder of DICOM files with a labels CSV (dicom-dataset.ts) */
  csvVersion: '2017' | '2020' | 'dicom';
  rows: CxrRow[];
  problems: DataProblem[];
  /** listed images whose file is absent, per official list */
  missing: { trainVal: number; test: number };
  /** image folders found (images/ or images_NNN/images/) */
  imageFolders: string[];
  /** a DICOM folder: its labels CSV, the DICOM files under it and how many of them the CSV does not list */
  dicom?: { labelsCsv: string; files: number; unlabelled: number };
}

export interface IndexOptions {
  split?: 'official' | 'random-patient';
  /** share of train_val patients kept for validation (official split) */
  valFraction?: number;
  seed?: number;
  /** maps unknown label tokens to known ones (e.g. { Infiltrate: 'Infiltration' }) or '' to drop them */
  labelMap?: Record<string, string>;
}

/** Age in years from '58', '058Y', '006M', '010D'; null (with a problem) when impossible (> 120 years). */
export function parseAge(text: string): { age: number | null; problem?: string } {
  const m = /^(\d+)([YMD]?)$/.exec(text.trim());
  if (!m) return { age: null, problem: `age '${text}' is not a number` };
  const n = Number(m[1]);
  const years = m[2] === 'M' ? n / 12 : m[2] === 'D' ? n / 365 : n;
  if (years > 120) return { age: null, problem: `impossible age '${text}'` };
  return { age: years };
}

/**
 * NIH's 'Finding Labels' cell ('No Finding' or findings joined by '|') as 14 zeros and ones in
 * CXR14_LABELS order; tokens neither known nor mapped by `labelMap` are returned in `unknown`.
 */
export function parseFindingLabels(
  text: string,
  labelMap: Record<string, string> = {},
): { labels: number[]; unknown: string[] } {
  const found = new Set<Cxr14Label>();
  const unknown: string[] = [];
  for (const raw of text.split('|').map((t) => t.trim())) {
    const t = raw in labelMap ? (labelMap[raw] as string) : raw;
    if (t === '' || t === 'No Finding') continue;
    if ((CXR14_LABELS as readonly string[]).includes(t)) found.add(t as Cxr14Label);
    else unknown.push(raw);
  }
  return { labels: CXR14_LABELS.map((l) => (found.has(l) ? 1 : 0)), unknown };
}

/** Stable patient -> [0, 1) draw for a seed, so a patient lands in the same part whatever the order. */
function patientDraw(seed: number, patient: string): number {
  let h = 2166136261 ^ seed;
  for (let i = 0; i < patient.length; i++) h = Math.imul(h ^ patient.charCodeAt(i), 16777619);
  return seededRandom(h >>> 0)();
}

/**
 * Indexes the copy under `root`.
 *
 * @example
 * ```ts
 * const index = indexChestXray14('/data/nih', { split: 'official', valFraction: 0.1, seed: 7 });
 * index.rows.filter((r) => r.split === 'test').length; // 25,596 on a complete copy
 * ```
 */
export function indexChestXray14(root: string, options: IndexOptions = {}): CxrIndex {
  if (!existsSync(root)) throw new Error(`ChestX-ray14: no folder ${root}`);
  const files = scanChestXray14(root);
  const { labelsCsv: csvPath, imagePaths: paths, imageFolders: folders } = files;
  const trainVal = new Set(files.trainValList);
  const test = new Set(files.testList);
  for (const f of test)
    if (trainVal.has(f)) throw new Error(`ChestX-ray14: ${f} is in both train_val_list.txt and test_list.txt`);
  const lines = readFileSync(csvPath, 'utf8').split(/\r?\n/);
  const header = (lines[0] ?? '').split(',');
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`ChestX-ray14: ${csvPath} has no '${name}' column`);
    return i;
  };
  const [cImage, cLabels, cPatient, cAge, cSex, cView] = [
    col('Image Index'),
    col('Finding Labels'),
    col('Patient ID'),
    col('Patient Age'),
    col('Patient Gender'),
    col('View Position'),
  ];
  const problems: DataProblem[] = [];
  const missing = { trainVal: 0, test: 0 };
  const labelMap = options.labelMap ?? {};
  const rows: CxrRow[] = [];
  for (let li = 1; li < lines.length; li++) {
    const line = lines[li] as string;
    if (line.trim() === '') continue;
    const cells = line.split(',');
    const imageIndex = cells[cImage]?.trim() ?? '';
    if (!/^[\w.-]+\.png$/.test(imageIndex) || cells.length < header.length - 1) {
      problems.push({
        kind: 'bad-row',
        imageIndex: imageIndex || `line ${li + 1}`,
        detail: `line ${li + 1} is malformed`,
      });
      continue;
    }
    const inTest = test.has(imageIndex);
    if (!inTest && !trainVal.has(imageIndex)) {
      problems.push({ kind: 'not-in-lists', imageIndex, detail: 'in the CSV but in neither list' });
      continue;
    }
    const path = paths.get(imageIndex);
    if (!path) {
      if (inTest) missing.test++;
      else missing.trainVal++;
      continue;
    }
    const { labels, unknown } = parseFindingLabels(cells[cLabels] ?? '', labelMap);
    for (const raw of unknown) problems.push({ kind: 'unknown-label', imageIndex, detail: `unknown label '${raw}'` });
    if (unknown.length > 0) continue;
    const { age, problem } = parseAge(cells[cAge] ?? '');
    if (problem) problems.push({ kind: 'bad-age', imageIndex, detail: problem });
    rows.push({
      imageIndex,
      path,
      patientId: String(Number(cells[cPatient])),
      labels,
      split: inTest ? 'test' : 'train',
      age,
      sex: cells[cSex]?.trim() ?? '',
      view: cells[cView]?.trim() ?? '',
    });
  }
  assignSplits(rows, options);
  const listed = [...trainVal, ...test].filter((f) => !paths.has(f)).length;
  if (rows.length === 0) {
    throw new Error(`ChestX-ray14: no usable image under ${root} (${listed} listed images are absent)`);
  }
  return { root, csvVersion: files.csvVersion, rows, problems, missing, imageFolders: folders };
}

/** Official: validation carved from train_val by patient. random-patient: 70/10/20 by patient, lists ignored. */
export function assignSplits(rows: CxrRow[], options: IndexOptions): void {
  const seed = options.seed ?? 7;
  const valFraction = options.valFraction ?? 0.1;
  for (const r of rows) {
    const u = patientDraw(seed, r.patientId);
    if (options.split === 'random-patient') r.split = u < 0.7 ? 'train' : u < 0.8 ? 'val' : 'test';
    else if (r.split !== 'test') r.split = u < valFraction ? 'val' : 'train';
  }
  // an official list that puts one patient on both sides is reported, not silently used
  const sides = new Map<string, Set<Split>>();
  for (const r of rows) {
    let s = sides.get(r.patientId);
    if (!s) sides.set(r.patientId, (s = new Set()));
    s.add(r.split);
  }
  for (const [patient, s] of sides) {
    if (s.size > 1)
      throw new Error(`ChestX-ray14: patient ${patient} is in ${[...s].join(' and ')}: the split must be by patient`);
  }
}

/** Counts per finding and split, as printed by `cxr prepare`. */
export function countsBySplit(rows: readonly CxrRow[]): { label: string; train: number; val: number; test: number }[] {
  const out = [...CXR14_LABELS, 'No Finding', 'images', 'patients'].map((label) => ({
    label,
    train: 0,
    val: 0,
    test: 0,
  }));
  const patients = { train: new Set<string>(), val: new Set<string>(), test: new Set<string>() };
  for (const r of rows) {
    r.labels.forEach((v, k) => {
      if (v) (out[k] as { [s in Split]: number })[r.split]++;
    });
    if (!r.labels.some((v) => v)) (out[14] as { [s in Split]: number })[r.split]++;
    (out[15] as { [s in Split]: number })[r.split]++;
    patients[r.split].add(r.patientId);
  }
  const p = out[16] as { [s in Split]: number };
  for (const s of ['train', 'val', 'test'] as const) p[s] = patients[s].size;
  return out;
}
