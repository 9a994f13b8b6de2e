/** `tszoo cxr prepare`: indexes a ChestX-ray14 copy into a Parquet file and prints counts and data problems. */
import { resolve } from 'node:path';
import { DataFrame } from '../../../src/data/dataframe/index.js';
import { type CliCommand, formatHelp, parseCommand } from '../../../src/util/cli.js';
import { type CxrIndex, countsBySplit } from '../dataset.js';
import { DATA_OPTIONS, loadIndex } from './common.js';

export const PREPARE_COMMAND: CliCommand = {
  name: 'cxr prepare',
  summary:
    'Index a NIH ChestX-ray14 copy (v2017 or v2020 CSV, images/ or images_*/images/, partly unpacked copies too) or a folder of DICOM files with a labels CSV.',
  options: {
    ...DATA_OPTIONS,
    out: { type: 'string', value: 'FILE', default: 'runs/cxr/index.parquet', help: 'the Parquet index to write' },
  },
  epilog: [
    'Examples:',
    '  tszoo cxr prepare --data /data/nih --out runs/cxr/index.parquet',
    '  tszoo cxr prepare --data /data/cr-studies --split random-patient   # DICOM files + labels.csv',
    '',
    'labels.csv of a DICOM folder: one row per image; File (path relative to DIR) or SOPInstanceUID;',
    "'Finding Labels' as NIH writes them ('No Finding' or 'Effusion|Mass'); optional 'Patient ID' (else the",
    "file's PatientID), Split (train_val or test: what --split official uses), 'Patient Age', 'Patient Gender',",
    "'View Position' (else from the file). Splits are always by patient.",
  ].join('\n'),
};

/** The printed summary: counts per finding and split, missing images per list, problems grouped by kind. */
export function formatIndexSummary(index: CxrIndex): string {
  const lines = [
    index.dicom
      ? `DICOM folder at ${index.root} (${index.dicom.files} DICOM files, labels ${index.dicom.labelsCsv})`
      : `ChestX-ray14 at ${index.root} (CSV ${index.csvVersion}, ${index.imageFolders.length} image folders)`,
    '',
  ];
  lines.push(`${'finding'.padEnd(20)}${'train'.padStart(8)}${'val'.padStart(8)}${'test'.padStart(8)}`);
  for (const c of countsBySplit(index.rows)) {
    lines.push(
      `${c.label.padEnd(20)}${String(c.train).padStart(8)}${String(c.val).padStart(8)}${String(c.test).padStart(8)}`,
    );
  }
  lines.push('');
  if (index.dicom) lines.push(`DICOM files not in the labels CSV: ${index.dicom.unlabelled} (left out)`);
  else {
    lines.push(
      `missing images: ${index.missing.trainVal} of train_val_list.txt, ${index.missing.test} of test_list.txt (left out)`,
    );
  }
  const byKind = new Map<string, { count: number; example: string }>();
  for (const p of index.problems) {
    const k = byKind.get(p.kind) ?? { count: 0, example: `${p.imageIndex}: ${p.detail}` };
    k.count++;
    byKind.set(p.kind, k);
  }
  if (byKind.size > 0) {
    lines.push('', `${'data problem'.padEnd(18)}${'rows'.padStart(8)}  example`);
    for (const [kind, { count, example }] of byKind)
      lines.push(`${kind.padEnd(18)}${String(count).padStart(8)}  ${example}`);
  } else lines.push('data problems: none');
  return `${lines.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const { values, help } = parseCommand(PREPARE_COMMAND, argv);
  if (help) {
    process.stdout.write(formatHelp(PREPARE_COMMAND));
    return 0;
  }
  const index = await loadIndex(values);
  const out = resolve(values.out as string);
  const { mkdirSync } = await import('node:fs');
  const { dirname } = await import('node:path');
  mkdirSync(dirname(out), { recursive: true });
  await DataFrame.fromRows(
    index.rows.map((r) => ({ ...r, root: index.root, csvVersion: index.csvVersion })),
  ).writeParquet(out);
  process.stdout.write(formatIndexSummary(index));
  process.stdout.write(`index: ${out} (${index.rows.length} rows)\n`);
  return 0;
}
