/** `tszoo cxr evaluate`: test-split AUC with patient-bootstrap CIs, operating points, calibration, report, worklist. */
import { resolve } from 'node:path';
import { type CliCommand, CliUsageError, formatHelp, intOption, parseCommand } from '../../../src/util/cli.js';
import { readModelInfo } from '../model-store.js';
import { formatPointingSummary } from '../pointing-game.js';
import { evaluateModel, formatTable, shown, writeRunReport } from '../run.js';
import { DATA_OPTIONS, loadIndex, operatingPointOf } from './common.js';

export const EVALUATE_COMMAND: CliCommand = {
  name: 'cxr evaluate',
  summary:
    'Evaluate a trained model on the test split: per-finding AUC with 95% CIs from a bootstrap over patients, AUPRC, a temperature per finding fitted on validation (calibration), operating points chosen on the calibrated validation probabilities (both saved with the model), Grad-CAM pointing game, HTML report and the review worklist.',
  options: {
    ...DATA_OPTIONS,
    model: { type: 'string', value: 'DIR', default: 'runs/cxr/model', help: 'the trained model' },
    out: {
      type: 'string',
      value: 'DIR',
      default: 'runs/cxr',
      help: 'report.html, evaluation.json, heatmaps/, worklist/',
    },
    'operating-point': {
      type: 'string',
      value: 'RULE',
      default: 'youden',
      help: 'youden or sensitivity:<target>, e.g. sensitivity:0.9',
    },
    bootstrap: { type: 'string', value: 'N', default: '1000', help: 'bootstrap resamples (0: no intervals)' },
    calibration: {
      type: 'string',
      value: 'NAME',
      default: 'temperature',
      help: 'temperature (a temperature per finding fitted on validation, saved with the thresholds and applied by predict, explain, serve and the report) or none',
    },
    baseline: { type: 'boolean', help: 'also fit the 32x32-pixel logistic-regression baseline' },
    worklist: {
      type: 'string',
      value: 'N',
      default: '200',
      help: 'test studies on the review worklist (highest priority first)',
    },
  },
  epilog: 'Example:\n  tszoo cxr evaluate --data /data/nih --model runs/cxr/model --operating-point sensitivity:0.9',
};

export async function main(argv: string[]): Promise<number> {
  const { values, help } = parseCommand(EVALUATE_COMMAND, argv);
  if (help) {
    process.stdout.write(formatHelp(EVALUATE_COMMAND));
    return 0;
  }
  const calibration = values.calibration as string;
  if (calibration !== 'temperature' && calibration !== 'none')
    throw new CliUsageError(`--calibration: temperature or none, got '${calibration}'`);
  const modelDir = resolve(values.model as string);
  const info = readModelInfo(modelDir);
  const index = await loadIndex(values);
  const out = resolve(values.out as string);
  const e = await evaluateModel(index, modelDir, out, {
    operatingPoint: operatingPointOf(values['operating-point'] as string),
    bootstrap: intOption(values, 'bootstrap', { min: 0, max: 100000 }) as number,
    baseline: values.baseline === true,
    worklist: intOption(values, 'worklist', { min: 0, max: 100000 }) as number,
    calibration,
  });
  const report = writeRunReport(out, `ChestX-ray14 evaluation: ${info.recipe.backbone}`, info.recipe, null, e, [
    `data: ${index.root}, ${values.split} split`,
  ]);
  process.stdout.write(`\n${formatTable(e)}\n`);
  if (e.findings.some((f) => f.pointingN > 0)) process.stdout.write(`${formatPointingSummary(e.findings)}\n\n`);
  process.stdout.write(`report: ${shown(report)}\nworklist: ${shown(e.worklist)}\n`);
  return 0;
}
