/**
 * `tszoo cxr predict PATH...`: probabilities (calibrated with the temperatures evaluate fitted), flags at
 * the saved thresholds and triage priority per image, to CSV, JSON or Parquet.
 */
import { mkdirSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { DataFrame } from '../../../src/data/dataframe/index.js';
import { CXR14_LABELS } from '../../../src/data/datasets/chestxray14.js';
import { writeFileAtomic } from '../../../src/util/atomic-write.js';
import { type CliCommand, CliUsageError, formatHelp, parseCommand } from '../../../src/util/cli.js';
import { loadCxrModel, operatingOf } from '../model-store.js';
import { shown } from '../run.js';
import { listImages, type ScoredStudy, scoreFiles } from '../score.js';
import { writeWorklist } from '../worklist.js';

export const PREDICT_COMMAND: CliCommand = {
  name: 'cxr predict',
  summary:
    'Score PNG, JPEG or DICOM files (or folders of them): 14 probabilities, flags at the operating points, triage priority.',
  positionals: 'PATH...',
  options: {
    model: { type: 'string', value: 'DIR', default: 'runs/cxr/model', help: 'the trained model' },
    out: { type: 'string', value: 'FILE', default: 'predictions.csv', help: 'output: .csv, .json or .parquet' },
    worklist: { type: 'string', value: 'DIR', help: "also write a review worklist (for 'cxr review') there" },
    heatmaps: { type: 'boolean', help: 'with --worklist: include Grad-CAM maps' },
  },
  epilog: 'Example:\n  tszoo cxr predict scans/ chest.dcm --out triage.csv --worklist runs/cxr/new-studies',
};

/** One output row per study: file, DICOM ids, a column per finding, flags, priority. */
export function predictionRows(studies: readonly ScoredStudy[]): Record<string, unknown>[] {
  return studies.map((s) => {
    const row: Record<string, unknown> = {
      study: s.id,
      file: s.file,
      patientId: s.patientId ?? null,
      studyInstanceUid: s.studyInstanceUid ?? null,
    };
    CXR14_LABELS.forEach((l, k) => {
      row[l] = s.probabilities[k];
    });
    row.flags = s.flags.join('|');
    row.priority = s.priority;
    return row;
  });
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals, help } = parseCommand(PREDICT_COMMAND, argv, { allowPositionals: true });
  if (help) {
    process.stdout.write(formatHelp(PREDICT_COMMAND));
    return 0;
  }
  if (positionals.length === 0) throw new CliUsageError('cxr predict: give at least one image file or folder');
  const out = resolve(values.out as string);
  const format = extname(out).toLowerCase();
  if (!['.csv', '.json', '.parquet'].includes(format))
    throw new CliUsageError(`--out: .csv, .json or .parquet, got '${out}'`);
  const files = listImages(positionals);
  if (files.length === 0) throw new CliUsageError('cxr predict: no PNG, JPEG or DICOM file among the paths');
  const modelDir = resolve(values.model as string);
  const { model, net, info } = await loadCxrModel(modelDir);
  if (!info.thresholds)
    process.stderr.write("warning: the model was never evaluated: flags use 0.5 (run 'cxr evaluate')\n");
  const { thresholds, temperatures } = operatingOf(info);
  const heatmaps = values.heatmaps === true && values.worklist !== undefined;
  const { studies, errors } = await scoreFiles(files, model, net, info.recipe, thresholds, { heatmaps, temperatures });
  for (const e of errors) process.stderr.write(`skipped ${e.file}: ${e.message}\n`);
  const rows = predictionRows([...studies].sort((a, b) => b.priority - a.priority));
  mkdirSync(dirname(out), { recursive: true });
  if (format === '.json') writeFileAtomic(out, JSON.stringify(rows, null, 1));
  else if (rows.length > 0) {
    const frame = DataFrame.fromRows(rows as Record<string, string | number | null>[]);
    await (format === '.csv' ? frame.writeCsv(out) : frame.writeParquet(out));
  }
  if (values.worklist) {
    const dir = writeWorklist(resolve(values.worklist as string), studies, {
      thresholds,
      modelDir,
      source: `cxr predict (${files.length} files)`,
    });
    process.stdout.write(`worklist: ${shown(dir)}\n`);
  }
  process.stdout.write(`${studies.length} studies scored, ${errors.length} skipped: ${shown(out)}\n`);
  net.dispose();
  return errors.length > 0 && studies.length === 0 ? 1 : 0;
}
