/**
 * NIH ChestX-ray14 on disk: Data_Entry_2017(_v2020).csv, train_val_list.txt / test_list.txt (the
 * official patient-wise split) and the PNGs in images/ or images_001/images/ ... images_012/images/.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The 14 findings in CheXNet's output order. "No Finding" is all zeros. */
export const CXR14_LABELS = [
  'Atelectasis',
  'Cardiomegaly',
  'Effusion',
  'Infiltration',
  'Mass',
  'Nodule',
  'Pneumonia',
  'Pneumothorax',
  'Consolidation',
  'Edema',
  'Emphysema',
  'Fibrosis',
  'Pleural_Thickening',
  'Hernia',
] as const;

export type Cxr14Label = (typeof CXR14_LABELS)[number];

export interface ChestXray14Layout {
  root: string;
  /** Data_Entry_2017_v2020.csv when present, else Data_Entry_2017.csv */
  labelsCsv: string;
  /** which labels file it is ('2020' has unpadded ids and integer ages; '2017' a trailing comma and '058Y') */
  csvVersion: '2017' | '2020';
  trainValList: string[];
  testList: string[];
  /** image file name -> absolute path, over every images folder */
  imagePaths: Map<string, string>;
}

function readList(path: string): string[] {
  if (!existsSync(path)) throw new Error(`ChestX-ray14: missing ${path}`);
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

/**
 * Finds the files of a ChestX-ray14 copy (the real one or `generateSyntheticCxr`'s) and checks that
 * they fit together: every listed image exists, no image is in both lists.
 */
export function findChestXray14(root: string): ChestXray14Layout {
  const v2020 = join(root, 'Data_Entry_2017_v2020.csv');
  const v2017 = join(root, 'Data_Entry_2017.csv');
  const labelsCsv = existsSync(v2020) ? v2020 : v2017;
  if (!existsSync(labelsCsv)) throw new Error(`ChestX-ray14: neither ${v2020} nor ${v2017} exists`);
  const dirs: string[] = [];
  if (existsSync(join(root, 'images'))) dirs.push(join(root, 'images'));
  for (const d of existsSync(root) ? readdirSync(root) : []) {
    if (/^images_\d+$/.test(d) && existsSync(join(root, d, 'images'))) dirs.push(join(root, d, 'images'));
  }
  if (dirs.length === 0) throw new Error(`ChestX-ray14: no images/ or images_*/images/ folder under ${root}`);
  const imagePaths = new Map<string, string>();
  for (const d of dirs) for (const f of readdirSync(d)) if (f.endsWith('.png')) imagePaths.set(f, join(d, f));
  const trainValList = readList(join(root, 'train_val_list.txt'));
  const testList = readList(join(root, 'test_list.txt'));
  const testSet = new Set(testList);
  const both = trainValList.filter((f) => testSet.has(f));
  if (both.length) throw new Error(`ChestX-ray14: ${both.length} images in both lists, e.g. ${both[0]}`);
  const missing = [...trainValList, ...testList].filter((f) => !imagePaths.has(f));
  if (missing.length) throw new Error(`ChestX-ray14: ${missing.length} listed images are missing, e.g. ${missing[0]}`);
  return {
    root,
    labelsCsv,
    csvVersion: labelsCsv === v2020 ? '2020' : '2017',
    trainValList,
    testList,
    imagePaths,
  };
}

/** Multi-hot vector in CXR14_LABELS order for a 'Finding Labels' value ('A|B' or 'No Finding'). */
export function cxr14MultiHot(findingLabels: string): number[] {
  const tokens = findingLabels.split('|').map((t) => t.trim());
  for (const t of tokens) {
    if (t !== 'No Finding' && !CXR14_LABELS.includes(t as Cxr14Label)) {
      throw new Error(`ChestX-ray14: unknown finding '${t}' in '${findingLabels}'`);
    }
  }
  return CXR14_LABELS.map((l) => (tokens.includes(l) ? 1 : 0));
}

/** Patient ID of an image name like 00000013_005.png. */
export function cxr14PatientOf(imageIndex: string): number {
  const m = /^(\d+)_(\d+)\.png$/.exec(imageIndex);
  if (!m) throw new Error(`ChestX-ray14: '${imageIndex}' is not an image name like 00000013_005.png`);
  return Number(m[1]);
}
