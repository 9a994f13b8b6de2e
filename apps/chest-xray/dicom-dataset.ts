/**
 * Indexes a folder of DICOM files with a labels CSV into the same rows as a NIH copy (dataset.ts), so
 * that train, evaluate and the Parquet index treat both alike.
 *
 * The labels CSV (default `<DIR>/labels.csv`, comma-separated, double quotes allowed, one row per image):
 * - `File`: the DICOM file's path relative to DIR (`/` between folders), or `SOPInstanceUID`: the
 *   image's SOP Instance UID (0008,0018), looked up among the `.dcm`/`.dicom` files under DIR; one of the two;
 * - `Finding Labels`: NIH's form, `No Finding` or findings joined by `|` (`Effusion|Mass`);
 * - `Patient ID` (optional): when absent or empty, the file's PatientID (0010,0020);
 * - `Split` (optional): `train_val` or `test`, NIH's two lists; `--split official` carves validation
 *   from train_val by patient, as for NIH. Without it, use `--split random-patient` (70/10/20 by patient);
 * - `Patient Age`, `Patient Gender`, `View Position` (optional): else PatientAge, PatientSex, ViewPosition.
 * Data problems (files in the CSV missing on disk, unreadable files, unknown labels, rows without a
 * patient, a CSV patient that differs from the file's) are listed, and those rows left out (a differing
 * patient is only reported: the CSV wins).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, relative, resolve, sep } from 'node:path';
import { splitCsvLine } from '../../src/data/dataframe/csv-header.js';
import { DICOM_EXTENSIONS } from '../../src/data/image/decode-file.js';
import { readFileHeader } from '../../src/data/image/dicom/header.js';
import {
  assignSplits,
  type CxrIndex,
  type CxrRow,
  type DataProblem,
  type IndexOptions,
  parseAge,
  parseFindingLabels,
} from './dataset.js';

/** The labels file looked for in a DICOM folder when none is named. */
export const DICOM_LABELS_CSV = 'labels.csv';

export interface DicomIndexOptions extends IndexOptions {
  /** the labels CSV (default `<root>/labels.csv`) */
  labelsCsv?: string;
}

/** The header fields the index uses; throws (a message naming the problem) when the file is not readable DICOM. */
function readIds(path: string): { patientId: string; sopInstanceUid: string; age: string; sex: string; view: string } {
  const ds = readFileHeader(path).dataSet;
  const text = (tag: string) => (ds.string(tag) ?? '').replace(/\0/g, '').trim();
  return {
    patientId: text('x00100020'),
    sopInstanceUid: text('x00080018'),
    age: text('x00101010'),
    sex: text('x00100040'),
    view: text('x00185101'),
  };
}

/** Every `.dcm` / `.dicom` file under `root` (hidden folders skipped), as absolute paths, sorted. */
function listDicomFiles(root: string): string[] {
  const out: string[] = [];
  const visit = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith('.')) continue;
      const p = join(dir, name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (st?.isDirectory()) visit(p);
      else if (st?.isFile() && DICOM_EXTENSIONS.includes(extname(name).toLowerCase())) out.push(p);
    }
  };
  visit(root);
  return out;
}

const posix = (p: string) => p.split(sep).join('/');

/**
 * Indexes the DICOM folder `root` with its labels CSV.
 *
 * @example
 * ```ts
 * const index = indexDicomFolder('/data/hospital-cr', { split: 'random-patient', seed: 7 });
 * index.problems; // [{ kind: 'missing-file', imageIndex: 'p12/a.dcm', detail: 'in labels.csv but not on disk' }]
 * ```
 */
export function indexDicomFolder(folder: string, options: DicomIndexOptions = {}): CxrIndex {
  const root = resolve(folder);
  if (!existsSync(root)) throw new Error(`DICOM folder: no folder ${root}`);
  const csvPath = resolve(options.labelsCsv ?? join(root, DICOM_LABELS_CSV));
  if (!existsSync(csvPath)) throw new Error(`DICOM folder: no labels CSV ${csvPath}`);
  const lines = readFileSync(csvPath, 'utf8')
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? '', ',').map((h) => h.trim());
  const at = (name: string) => header.indexOf(name);
  const [cFile, cUid, cLabels, cPatient, cSplit, cAge, cSex, cView] = [
    'File',
    'SOPInstanceUID',
    'Finding Labels',
    'Patient ID',
    'Split',
    'Patient Age',
    'Patient Gender',
    'View Position',
  ].map(at) as number[];
  if ((cFile as number) < 0 && (cUid as number) < 0)
    throw new Error(`DICOM folder: ${csvPath} needs a 'File' or a 'SOPInstanceUID' column`);
  if ((cLabels as number) < 0) throw new Error(`DICOM folder: ${csvPath} has no 'Finding Labels' column`);
  if (options.split !== 'random-patient' && (cSplit as number) < 0) {
    throw new Error(
      `DICOM folder: ${csvPath} has no 'Split' column (train_val or test) for the official split: add one, or use --split random-patient`,
    );
  }
  const byUid = new Map<string, string>();
  const files = listDicomFiles(root);
  const problems: DataProblem[] = [];
  const headers = new Map<string, ReturnType<typeof readIds> | Error>();
  const headerOf = (path: string) => {
    let h = headers.get(path);
    if (h === undefined) {
      try {
        h = readIds(path);
      } catch (e) {
        h = new Error(e instanceof Error ? e.message : String(e));
      }
      headers.set(path, h);
    }
    return h;
  };
  if ((cFile as number) < 0) {
    for (const f of files) {
      const h = headerOf(f);
      if (!(h instanceof Error) && h.sopInstanceUid) byUid.set(h.sopInstanceUid, f);
    }
  }
  const labelMap = options.labelMap ?? {};
  const rows: CxrRow[] = [];
  const used = new Set<string>();
  for (let li = 1; li < lines.length; li++) {
    const line = lines[li] as string;
    if (line.trim() === '') continue;
    const cells = splitCsvLine(line, ',').map((c) => c.trim());
    const cell = (i: number) => (i >= 0 ? (cells[i] ?? '') : '');
    const key = (cFile as number) >= 0 ? cell(cFile as number) : cell(cUid as number);
    const name = key || `line ${li + 1}`;
    let path: string | undefined;
    if ((cFile as number) >= 0) {
      const full = resolve(root, key);
      if (
        key === '' ||
        relative(root, full).startsWith('..') ||
        !DICOM_EXTENSIONS.includes(extname(key).toLowerCase())
      ) {
        problems.push({
          kind: 'bad-row',
          imageIndex: name,
          detail: `line ${li + 1}: 'File' must be a .dcm or .dicom path inside the folder`,
        });
        continue;
      }
      if (existsSync(full)) path = full;
    } else path = byUid.get(key);
    if (!path) {
      problems.push({ kind: 'missing-file', imageIndex: name, detail: `in ${basename(csvPath)} but not on disk` });
      continue;
    }
    const imageIndex = posix(relative(root, path));
    if (used.has(path)) {
      problems.push({
        kind: 'duplicate',
        imageIndex,
        detail: `line ${li + 1}: the file is listed twice (first row kept)`,
      });
      continue;
    }
    used.add(path);
    const h = headerOf(path);
    if (h instanceof Error) {
      problems.push({ kind: 'unreadable-file', imageIndex, detail: h.message });
      continue;
    }
    const { labels, unknown } = parseFindingLabels(cell(cLabels as number), labelMap);
    for (const raw of unknown) problems.push({ kind: 'unknown-label', imageIndex, detail: `unknown label '${raw}'` });
    if (unknown.length > 0) continue;
    const csvPatient = cell(cPatient as number);
    const patientId = csvPatient || h.patientId;
    if (!patientId) {
      problems.push({ kind: 'no-patient', imageIndex, detail: 'no Patient ID in the CSV nor PatientID in the file' });
      continue;
    }
    if (csvPatient && h.patientId && csvPatient !== h.patientId) {
      problems.push({
        kind: 'patient-mismatch',
        imageIndex,
        detail: `CSV patient '${csvPatient}', file PatientID '${h.patientId}' (the CSV's kept)`,
      });
    }
    let split: CxrRow['split'] = 'train';
    if ((cSplit as number) >= 0 && options.split !== 'random-patient') {
      const s = cell(cSplit as number).toLowerCase();
      if (s !== 'train_val' && s !== 'test') {
        problems.push({
          kind: 'bad-row',
          imageIndex,
          detail: `line ${li + 1}: Split '${cell(cSplit as number)}' is not train_val or test`,
        });
        continue;
      }
      split = s === 'test' ? 'test' : 'train';
    }
    const ageText = cell(cAge as number) || h.age;
    const { age, problem } = ageText ? parseAge(ageText) : { age: null };
    if (problem) problems.push({ kind: 'bad-age', imageIndex, detail: problem });
    rows.push({
      imageIndex,
      path,
      patientId,
      labels,
      split,
      age,
      sex: cell(cSex as number) || h.sex,
      view: cell(cView as number) || h.view,
    });
  }
  if (rows.length === 0) {
    const why = problems
      .slice(0, 5)
      .map((p) => `\n  ${p.kind}: ${p.imageIndex}: ${p.detail}`)
      .join('');
    const more = problems.length > 5 ? `\n  ... and ${problems.length - 5} more problems` : '';
    throw new Error(`DICOM folder: no usable image listed in ${csvPath} under ${root}${why}${more}`);
  }
  assignSplits(rows, options);
  return {
    root,
    csvVersion: 'dicom',
    rows,
    problems,
    missing: { trainVal: 0, test: 0 },
    imageFolders: [],
    dicom: { labelsCsv: csvPath, files: files.length, unlabelled: files.filter((f) => !used.has(f)).length },
  };
}
