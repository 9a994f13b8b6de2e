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

/** The files of a ChestX-ray14 copy as found, before any check that they fit together. */
export interface ChestXray14Files extends ChestXray14Layout {
  /** the image folders found: images/ and images_NNN/images/ (a partly unpacked copy has some) */
  imageFolders: string[];
}

/**
 * Lists the files of a ChestX-ray14 copy without checking that they fit together (a partly unpacked copy
 * lacks some listed images): the labels CSV, the official lists and every PNG of its image folders.
 */
export function scanChestXray14(root: string): ChestXray14Files {
  const v2020 = join(root, 'Data_Entry_2017_v2020.csv');
  const v2017 = join(root, 'Data_Entry_2017.csv');
  const labelsCsv = existsSync(v2020) ? v2020 : v2017;
  if (!existsSync(labelsCsv)) throw new Error(`ChestX-ray14: neither ${v2020} nor ${v2017} exists`);
  const imageFolders: string[] = [];
  if (existsSync(join(root, 'images'))) imageFolders.push(join(root, 'images'));
  for (const d of readdirSync(root).sort()) {
    if (/^images_\d+$/.test(d) && existsSync(join(root, d, 'images'))) imageFolders.push(join(root, d, 'images'));
  }
  if (imageFolders.length === 0) throw new Error(`ChestX-ray14: no images/ or images_*/images/ folder under ${root}`);
  const imagePaths = new Map<string, string>();
  for (const d of imageFolders) for (const f of readdirSync(d)) if (f.endsWith('.png')) imagePaths.set(f, join(d, f));
  return {
    root,
    labelsCsv,
    csvVersion: labelsCsv === v2020 ? '2020' : '2017',
    trainValList: readList(join(root, 'train_val_list.txt')),
    testList: readList(join(root, 'test_list.txt')),
    imagePaths,
    imageFolders,
  };
}

/**
 * Finds the files of a ChestX-ray14 copy (the real one or `generateSyntheticCxr`'s) and checks that
 * they fit together: every listed image exists, no image is in both lists.
 */
export function findChestXray14(root: string): ChestXray14Layout {
  const { imageFolders: _, ...layout } = scanChestXray14(root);
  const testSet = new Set(layout.testList);
  const both = layout.trainValList.filter((f) => testSet.has(f));
  if (both.length) throw new Error(`ChestX-ray14: ${both.length} images in both lists, e.g. ${both[0]}`);
  const missing = [...layout.trainValList, ...layout.testList].filter((f) => !layout.imagePaths.has(f));
  if (missing.length) throw new Error(`ChestX-ray14: ${missing.length} listed images are missing, e.g. ${missing[0]}`);
  return layout;
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
