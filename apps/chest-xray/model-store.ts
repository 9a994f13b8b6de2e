/**
 * A trained chest X-ray model on disk: the pipeline's Model folder (weights as safetensors, settings as
 * JSON) plus `cxr.json`: the recipe it was trained with, the label order and, once evaluated, the
 * per-finding operating thresholds chosen on validation. Data only, never code.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CXR14_LABELS } from '../../src/data/datasets/chestxray14.js';
import { Model } from '../../src/pipeline/model.js';
import { writeFileAtomic } from '../../src/util/atomic-write.js';
import { type CxrRecipe, resolveRecipe, SEED_RECIPE } from './config.js';
import { CxrNet } from './model.js';
import { evalTransform } from './transforms.js';

export interface CxrModelInfo {
  format: 'tszoo.cxr/1';
  recipe: CxrRecipe;
  labels: string[];
  /** per finding, the threshold chosen on validation (Youden's J unless told otherwise); absent before evaluate */
  thresholds?: number[];
  thresholdRule?: string;
  /** the data it was trained on */
  data?: { root: string; csvVersion: string; split: string; train: number; val: number; test: number };
  trainedAt?: string;
}

export function netOf(recipe: CxrRecipe): CxrNet {
  return new CxrNet({
    backbone: recipe.backbone,
    inChannels: recipe.inChannels,
    dropout: recipe.dropout,
    l2: recipe.l2,
    width: recipe.width,
    // weights come from the saved model, not from the pretrained file
    pretrained: undefined,
  });
}

export function readModelInfo(dir: string): CxrModelInfo {
  const path = join(dir, 'cxr.json');
  if (!existsSync(path))
    throw new Error(`no chest X-ray model in ${dir} (cxr.json missing): run 'tszoo cxr train' first`);
  const info = JSON.parse(readFileSync(path, 'utf8')) as CxrModelInfo;
  if (info.format !== 'tszoo.cxr/1') throw new Error(`${path}: not a chest X-ray model (format ${info.format})`);
  info.recipe = resolveRecipe(SEED_RECIPE, info.recipe as unknown as Record<string, unknown>, path);
  if (info.labels.join() !== CXR14_LABELS.join()) throw new Error(`${path}: labels differ from ChestX-ray14's order`);
  return info;
}

export function writeModelInfo(dir: string, info: CxrModelInfo): void {
  writeFileAtomic(join(dir, 'cxr.json'), JSON.stringify(info, null, 2), { mkdir: true });
}

/** Loads model and info; the module is rebuilt from the recipe and the weights loaded into it. */
export async function loadCxrModel(dir: string): Promise<{ model: Model; net: CxrNet; info: CxrModelInfo }> {
  const info = readModelInfo(dir);
  const net = netOf(info.recipe);
  const model = await Model.load(dir, { module: net, transform: evalTransform(info.recipe) });
  net.eval();
  return { model, net, info };
}
