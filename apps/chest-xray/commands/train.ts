/** `tszoo cxr train`: the seed's recipe by default; every part overridable by flags or a JSON config. */
import { resolve } from 'node:path';
import { type CliCommand, formatHelp, parseCommand } from '../../../src/util/cli.js';
import { shown, trainModel } from '../run.js';
import { DATA_OPTIONS, loadIndex, recipeFrom, recipeOptions } from './common.js';

export const TRAIN_COMMAND: CliCommand = {
  name: 'cxr train',
  summary:
    "Train a 14-finding classifier. Default: the seed's ResNet-50 recipe (224 px crop, flip, brightness, ImageNet normalisation, dropout 0.2, L2 0.1 on the head, Adam warmed up 1e-7 -> 1e-4 over 5 epochs then Plateau, batch 32, 15 epochs) on the official patient-wise split.",
  options: {
    ...DATA_OPTIONS,
    out: { type: 'string', value: 'DIR', default: 'runs/cxr/model', help: 'the model folder to write' },
    ...recipeOptions(),
  },
  epilog: [
    'Examples:',
    '  tszoo cxr train --data /data/nih --pretrained resnet50.safetensors',
    '  tszoo cxr train --data /data/nih --backbone densenet121 --in-channels 1 --epochs 10 --split random-patient',
    '  tszoo cxr train --data runs/cxr/synthetic-6000 --config recipe.json',
  ].join('\n'),
};

export async function main(argv: string[]): Promise<number> {
  const { values, help } = parseCommand(TRAIN_COMMAND, argv);
  if (help) {
    process.stdout.write(formatHelp(TRAIN_COMMAND));
    return 0;
  }
  // the split and its seed are data options (--split, --val-fraction, --seed), recorded in the recipe
  const recipe = recipeFrom(values);
  const index = await loadIndex(values);
  const modelDir = resolve(values.out as string);
  const split = values.split as typeof recipe.split;
  const result = await trainModel(
    index,
    { ...recipe, split, valFraction: Number(values['val-fraction']), seed: Number(values.seed) },
    modelDir,
  );
  process.stdout.write(
    `model: ${shown(modelDir)} (${result.train.length} iterations, ${result.seconds.toFixed(0)} s, ${result.skipped} unreadable samples skipped)\n`,
  );
  return 0;
}
