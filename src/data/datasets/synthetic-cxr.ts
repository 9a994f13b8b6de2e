/**
 * Writes a small synthetic ChestX-ray14 in exactly the NIH layout (PNG images, Data_Entry CSV, the
 * patient-wise train_val/test lists, and BBox_List_2017.csv with where every finding was drawn), so the
 * whole pipeline can run and be tested without the real 45 GB set. Findings are drawn to follow the
 * labels (see synthetic-cxr-render.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { checkChoice, checkInt, checkOptions } from '../../util/options.js';
import { seededRandom } from '../sampler.js';
import { CXR14_LABELS, type Cxr14Label } from './chestxray14.js';
import { type FindingRegion, renderCxrWithRegions } from './synthetic-cxr-render.js';

/** Prevalence of each finding in the synthetic set: NIH's order of magnitude, raised so rare ones occur. */
export const SYNTHETIC_PREVALENCE: Record<Cxr14Label, number> = {
  Atelectasis: 0.12,
  Cardiomegaly: 0.07,
  Effusion: 0.13,
  Infiltration: 0.17,
  Mass: 0.06,
  Nodule: 0.07,
  Pneumonia: 0.04,
  Pneumothorax: 0.06,
  Consolidation: 0.05,
  Edema: 0.04,
  Emphysema: 0.04,
  Fibrosis: 0.04,
  Pleural_Thickening: 0.04,
  Hernia: 0.02,
};

export interface SyntheticCxrOptions {
  /** number of images */
  count?: number;
  /** image side in pixels (NIH's are 1024) */
  size?: number;
  seed?: number;
  /** fraction of patients in test_list.txt */
  testFraction?: number;
  /** '2020' writes Data_Entry_2017_v2020.csv; '2017' the original file's quirks (trailing comma, 058Y) */
  csvVersion?: '2017' | '2020';
  /** put images in images_001/images, images_002/images, ... with this many per folder */
  imagesPerFolder?: number;
}

export interface SyntheticCxrRow {
  imageIndex: string;
  findings: Cxr14Label[];
  patientId: number;
  followUp: number;
  /** where each finding was drawn (normalised boxes), filled in when the image is written */
  regions: FindingRegion[];
}

/**
 * Generates the data set under `root` and returns its rows.
 *
 * @example
 * ```ts
 * await generateSyntheticCxr('data/cxr-synthetic', { count: 500, size: 256, seed: 1 });
 * const layout = findChestXray14('data/cxr-synthetic');
 * ```
 */
export async function generateSyntheticCxr(
  root: string,
  options: SyntheticCxrOptions = {},
): Promise<SyntheticCxrRow[]> {
  if (typeof root !== 'string' || root === '') throw new TypeError('generateSyntheticCxr: root must be a folder path');
  checkOptions('generateSyntheticCxr', options, [
    'count',
    'size',
    'seed',
    'testFraction',
    'csvVersion',
    'imagesPerFolder',
  ]);
  const count = checkInt('generateSyntheticCxr', 'count', options.count ?? 200, 1);
  const size = checkInt('generateSyntheticCxr', 'size', options.size ?? 256, 8);
  const version = checkChoice('generateSyntheticCxr', 'csvVersion', options.csvVersion ?? '2020', ['2020', '2017']);
  if (options.imagesPerFolder !== undefined)
    checkInt('generateSyntheticCxr', 'imagesPerFolder', options.imagesPerFolder, 1);
  const rng = seededRandom(options.seed ?? 1);
  mkdirSync(root, { recursive: true });
  const rows: SyntheticCxrRow[] = [];
  let patient = 0;
  while (rows.length < count) {
    patient++;
    const visits = 1 + Math.floor(rng() * Math.min(5, count - rows.length));
    for (let v = 0; v < visits && rows.length < count; v++) {
      const findings = CXR14_LABELS.filter((l) => rng() < SYNTHETIC_PREVALENCE[l]);
      const imageIndex = `${String(patient).padStart(8, '0')}_${String(v).padStart(3, '0')}.png`;
      rows.push({ imageIndex, findings, patientId: patient, followUp: v, regions: [] });
    }
  }
  const perFolder = options.imagesPerFolder;
  const folderOf = (i: number) =>
    perFolder
      ? join(root, `images_${String(Math.floor(i / perFolder) + 1).padStart(3, '0')}`, 'images')
      : join(root, 'images');
  const queue = rows.map((r, i) => ({ r, i, seed: Math.floor(rng() * 2 ** 32) }));
  const writeOne = async ({ r, i, seed }: (typeof queue)[number]) => {
    const { pixels, regions } = renderCxrWithRegions(size, new Set(r.findings), seededRandom(seed));
    r.regions = regions;
    const bytes = Buffer.alloc(size * size);
    for (let k = 0; k < bytes.length; k++) bytes[k] = Math.round((pixels[k] as number) * 255);
    const dir = folderOf(i);
    mkdirSync(dir, { recursive: true });
    await sharp(bytes, { raw: { width: size, height: size, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toFile(join(dir, r.imageIndex));
  };
  // A few images at a time: sharp encodes on its own threads.
  for (let k = 0; k < queue.length; k += 8) await Promise.all(queue.slice(k, k + 8).map(writeOne));
  writeFileSync(
    join(root, version === '2020' ? 'Data_Entry_2017_v2020.csv' : 'Data_Entry_2017.csv'),
    csv(rows, size, version, rng),
  );
  writeFileSync(join(root, 'BBox_List_2017.csv'), bboxCsv(rows, size));
  const testPatients = new Set<number>();
  const testFraction = options.testFraction ?? 0.2;
  for (let p = 1; p <= patient; p++) if (rng() < testFraction) testPatients.add(p);
  const list = (test: boolean) =>
    `${rows
      .filter((r) => testPatients.has(r.patientId) === test)
      .map((r) => r.imageIndex)
      .join('\n')}\n`;
  writeFileSync(join(root, 'train_val_list.txt'), list(false));
  writeFileSync(join(root, 'test_list.txt'), list(true));
  return rows;
}

function csv(rows: SyntheticCxrRow[], size: number, version: '2017' | '2020', rng: () => number): string {
  const header =
    'Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y]';
  const lines = [version === '2017' ? `${header},` : header];
  const demographics = new Map<number, { age: number; sex: string }>();
  for (const r of rows) {
    let d = demographics.get(r.patientId);
    if (!d) {
      d = { age: 20 + Math.floor(rng() * 65), sex: rng() < 0.56 ? 'M' : 'F' };
      demographics.set(r.patientId, d);
    }
    const labels = r.findings.length ? [...r.findings].sort().join('|') : 'No Finding';
    const age = version === '2017' ? `${String(d.age + r.followUp).padStart(3, '0')}Y` : String(d.age + r.followUp);
    const id = version === '2017' ? String(r.patientId).padStart(8, '0') : String(r.patientId);
    const view = rng() < 0.6 ? 'PA' : 'AP';
    const cells = [r.imageIndex, labels, r.followUp, id, age, d.sex, view, size, size, 0.143, 0.143];
    lines.push(version === '2017' ? `${cells.join(',')},` : cells.join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** NIH's box file: `Image Index,Finding Label,Bbox [x,y,w,h],,,` then one row per box, in image pixels. */
function bboxCsv(rows: SyntheticCxrRow[], size: number): string {
  const lines = ['Image Index,Finding Label,Bbox [x,y,w,h],,,'];
  const px = (v: number) => Number((v * size).toFixed(3));
  for (const r of rows) {
    for (const { label, boxes } of r.regions) {
      for (const [x0, y0, x1, y1] of boxes) {
        lines.push([r.imageIndex, label, px(x0), px(y0), px(x1 - x0), px(y1 - y0)].join(','));
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
