/**
 * `npm start`: the chest X-ray application end to end with embedded defaults. Without --data it
 * generates the synthetic ChestX-ray14 (NIH layout, patient-wise official-style lists), trains the
 * small CNN in a worker thread with a progress bar, evaluates on the test split (AUC with patient
 * bootstrap CIs, operating points, calibration, the pixel baseline, Grad-CAM and the pointing game),
 * writes the report and the review worklist, and ends with `mean_auc <x> minutes <m>`.
 * With --data DIR it runs the seed's recipe on a real NIH ChestX-ray14 copy.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateSyntheticCxr } from '../../src/data/datasets/synthetic-cxr.js';
import { type CliCommand, formatHelp, intOption, parseCommand } from '../../src/util/cli.js';
import { resolveRecipe, SEED_RECIPE, SYNTHETIC_RECIPE } from './config.js';
import { indexChestXray14 } from './dataset.js';
import { formatPointingSummary } from './pointing-game.js';
import { evaluateModel, formatTable, shown, trainModel, writeRunReport } from './run.js';

export const START_COMMAND: CliCommand = {
  name: 'cxr start',
  summary:
    'The whole application with embedded defaults: synthetic data (or --data), train, evaluate, report, review worklist.',
  options: {
    data: {
      type: 'string',
      value: 'DIR',
      help: 'a NIH ChestX-ray14 copy: runs the seed recipe on it (default: synthetic data)',
    },
    out: { type: 'string', value: 'DIR', default: 'runs/cxr', help: 'where data, model, report and worklist go' },
    count: { type: 'string', value: 'N', default: '6000', help: 'synthetic images to generate' },
    epochs: { type: 'string', value: 'N', help: 'override the recipe epochs' },
    precision: { type: 'string', value: 'P', help: 'training precision: fp32 (default), bf16, or auto' },
  },
};

export async function main(argv: string[]): Promise<number> {
  const { values, help } = parseCommand(START_COMMAND, argv);
  if (help) {
    process.stdout.write(formatHelp(START_COMMAND));
    return 0;
  }
  const started = Date.now();
  const out = resolve(values.out as string);
  let root: string;
  let recipe = values.data ? SEED_RECIPE : SYNTHETIC_RECIPE;
  if (values.epochs !== undefined) recipe = resolveRecipe(recipe, { epochs: values.epochs }, '--epochs');
  if (values.precision !== undefined) recipe = resolveRecipe(recipe, { precision: values.precision }, '--precision');
  if (values.data) root = resolve(values.data as string);
  else {
    const count = intOption(values, 'count', { min: 50, max: 200000 }) as number;
    root = join(out, `synthetic-${count}`);
    if (!existsSync(join(root, 'test_list.txt'))) {
      console.log(`generating ${count} synthetic chest X-rays (${recipe.resize} px, NIH layout) in ${shown(root)}`);
      await generateSyntheticCxr(root, { count, size: recipe.resize, seed: 11 });
    }
  }
  const index = indexChestXray14(root, { split: recipe.split, valFraction: recipe.valFraction, seed: recipe.seed });
  const counts = { train: 0, val: 0, test: 0 };
  for (const r of index.rows) counts[r.split]++;
  console.log(
    `data: ${index.rows.length} images (${counts.train} train, ${counts.val} validation, ${counts.test} test; split by patient, ${recipe.split} lists)`,
  );
  const modelDir = join(out, 'model');
  const trained = await trainModel(index, recipe, modelDir);
  const e = await evaluateModel(index, modelDir, out, { baseline: !values.data, bootstrap: 1000 });
  const report = writeRunReport(
    out,
    values.data ? 'ChestX-ray14: the seed recipe' : 'Synthetic chest X-rays: npm start',
    recipe,
    trained,
    e,
    [values.data ? `data: ${root}` : `synthetic data: ${root} (generateSyntheticCxr, seed 11)`],
  );
  process.stdout.write(`\n${formatTable(e)}\n`);
  if (e.findings.some((f) => f.pointingN > 0)) process.stdout.write(`${formatPointingSummary(e.findings)}\n\n`);
  console.log(`report:   ${shown(report)}`);
  console.log(`model:    ${shown(modelDir)}`);
  console.log(
    `review:   npm run tszoo -- cxr review --worklist ${shown(e.worklist)}   (then open the printed address)`,
  );
  const minutes = (Date.now() - started) / 60000;
  console.log(`mean_auc ${e.meanAuc.toFixed(4)} minutes ${minutes.toFixed(1)}`);
  return 0;
}
