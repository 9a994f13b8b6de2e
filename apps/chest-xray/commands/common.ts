/** Options and helpers the `cxr` commands share: where the data is, how it is split, the recipe flags. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataFrame } from '../../../src/data/dataframe/index.js';
import type { OperatingPointRule } from '../../../src/pipeline/metrics/index.js';
import { type CliOption, CliUsageError, type ParsedCommand } from '../../../src/util/cli.js';
import { type CxrRecipe, readRecipeFile, resolveRecipe, SEED_RECIPE } from '../config.js';
import { type CxrIndex, type CxrRow, indexChestXray14 } from '../dataset.js';
import { DICOM_LABELS_CSV, indexDicomFolder } from '../dicom-dataset.js';

export const DATA_OPTIONS: Record<string, CliOption> = {
  data: {
    type: 'string',
    value: 'DIR',
    help: 'a NIH ChestX-ray14 copy (Data_Entry CSV, official lists, images/) or a folder of DICOM files with labels.csv',
  },
  labels: {
    type: 'string',
    value: 'FILE',
    help: "the labels CSV of a DICOM folder (default <DIR>/labels.csv; columns File or SOPInstanceUID, 'Finding Labels', optional 'Patient ID', Split)",
  },
  index: { type: 'string', value: 'FILE', help: "a Parquet index written by 'cxr prepare' (instead of --data)" },
  split: {
    type: 'string',
    value: 'NAME',
    default: 'official',
    help: 'official (NIH lists) or random-patient (CheXNet 70/10/20)',
  },
  'val-fraction': {
    type: 'string',
    value: 'X',
    default: '0.1',
    help: 'share of train_val patients held out for validation',
  },
  seed: { type: 'string', value: 'N', default: '7', help: 'seed of the validation carve-out' },
  'map-label': {
    type: 'string',
    multiple: true,
    value: 'FROM=TO',
    help: "map an unknown label to a known one ('FROM=' drops it)",
  },
};

const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** One flag per recipe key (--batch-size, --lr, --backbone, ...), built from the seed recipe. */
export function recipeOptions(): Record<string, CliOption> {
  const out: Record<string, CliOption> = {
    config: {
      type: 'string',
      value: 'FILE',
      help: 'a JSON recipe (any of the keys below, camelCase); flags win over it',
    },
    pretrained: {
      type: 'string',
      value: 'FILE',
      help: 'safetensors ImageNet weights for the backbone (torchvision names)',
    },
  };
  for (const [key, value] of Object.entries(SEED_RECIPE)) {
    if (key === 'split' || key === 'seed' || key === 'valFraction') continue;
    out[kebab(key)] =
      typeof value === 'boolean'
        ? { type: 'boolean', help: `recipe ${key} (default ${value})` }
        : { type: 'string', value: 'V', help: `recipe ${key} (default ${value})` };
  }
  return out;
}

/** The recipe: base, then --config, then flags. */
export function recipeFrom(values: ParsedCommand['values'], base: CxrRecipe = SEED_RECIPE): CxrRecipe {
  let r = values.config ? readRecipeFile(base, resolve(values.config as string)) : base;
  const flags: Record<string, unknown> = {};
  for (const key of Object.keys(SEED_RECIPE)) {
    const v = values[kebab(key)];
    if (v !== undefined) flags[key] = v;
  }
  if (values.pretrained) flags.pretrained = resolve(values.pretrained as string);
  try {
    r = resolveRecipe(r, flags, 'options');
  } catch (e) {
    throw new CliUsageError((e as Error).message);
  }
  return r;
}

function labelMapOf(values: ParsedCommand['values']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of (values['map-label'] as string[] | undefined) ?? []) {
    const at = item.indexOf('=');
    if (at <= 0) throw new CliUsageError(`--map-label: expected FROM=TO, got '${item}'`);
    out[item.slice(0, at)] = item.slice(at + 1);
  }
  return out;
}

/** The indexed data set from --data (indexed now) or --index (a Parquet file from 'cxr prepare'). */
export async function loadIndex(values: ParsedCommand['values']): Promise<CxrIndex> {
  const split = values.split as string;
  if (split !== 'official' && split !== 'random-patient') {
    throw new CliUsageError(`--split: official or random-patient, got '${split}'`);
  }
  const valFraction = Number(values['val-fraction']);
  if (!(valFraction > 0 && valFraction < 1))
    throw new CliUsageError(`--val-fraction: a number in (0, 1), got '${values['val-fraction']}'`);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new CliUsageError(`--seed: an integer, got '${values.seed}'`);
  if (values.index) {
    const path = resolve(values.index as string);
    if (!existsSync(path)) throw new CliUsageError(`--index: no file ${path}`);
    const rows = (await DataFrame.readParquet(path).collect()) as unknown as CxrRow[];
    const first = rows[0] as unknown as { root?: string; csvVersion?: string } | undefined;
    const version = first?.csvVersion;
    return {
      root: first?.root ?? path,
      csvVersion: version === '2017' || version === 'dicom' ? version : '2020',
      rows: rows.map((r) => ({ ...r, labels: Array.from(r.labels as ArrayLike<number>, Number) })),
      problems: [],
      missing: { trainVal: 0, test: 0 },
      imageFolders: [],
    };
  }
  if (!values.data) throw new CliUsageError('give --data DIR (a ChestX-ray14 copy or a DICOM folder) or --index FILE');
  const root = resolve(values.data as string);
  const options = { split, valFraction, seed, labelMap: labelMapOf(values) } as const;
  if (values.labels) return indexDicomFolder(root, { ...options, labelsCsv: resolve(values.labels as string) });
  const nih = ['Data_Entry_2017_v2020.csv', 'Data_Entry_2017.csv'].some((f) => existsSync(join(root, f)));
  if (!nih && existsSync(join(root, DICOM_LABELS_CSV))) return indexDicomFolder(root, options);
  return indexChestXray14(root, options);
}

/** --operating-point youden | sensitivity:0.9 */
export function operatingPointOf(text: string): OperatingPointRule {
  if (text === 'youden') return { rule: 'youden' };
  const m = /^sensitivity:(0?\.\d+|1(\.0*)?)$/.exec(text);
  if (!m) throw new CliUsageError(`--operating-point: youden or sensitivity:<target in (0, 1]>, got '${text}'`);
  return { rule: 'sensitivity', target: Number(m[1]) };
}
