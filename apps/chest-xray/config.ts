/**
 * The training recipe as one plain object: the seed's ChestX-ray14 recipe by default (ResNet-50,
 * 224 px centre crop, flip, brightness, ImageNet normalisation, Adam warmed up from 1e-7 to 1e-4 over
 * 5 epochs then Plateau, batch 32, 15 epochs), `npm start`'s quick synthetic recipe beside it. A JSON
 * file and command-line flags override any part; the resolved recipe is printed at the start of a run.
 */
import { readFileSync } from 'node:fs';
import type { Precision } from '../../src/pipeline/precision.js';
import { BACKBONES, type Backbone } from './model.js';

export interface CxrRecipe {
  backbone: Backbone;
  /** safetensors ImageNet weights for the backbone (none: from scratch) */
  pretrained?: string | undefined;
  /** small-cnn's first width */
  width: number;
  /** 1: grey input (a pretrained stem is summed to grey); 3: grey repeated as RGB */
  inChannels: 1 | 3;
  /** images are resized to resize x resize, then centre-cropped to crop x crop */
  resize: number;
  crop: number;
  /** probability of a horizontal flip, and of a brightness shift in [0, brightness] (0..255 scale) */
  flip: number;
  brightnessP: number;
  brightness: number;
  /** 'imagenet': (x/255 - mean) / std per channel; 'none': x/255 */
  normalize: 'imagenet' | 'none';
  dropout: number;
  l2: number;
  batchSize: number;
  epochs: number;
  /** Adam: warm up linearly from lrStart to lr over warmupEpochs, then Plateau on the training loss */
  lr: number;
  lrStart: number;
  warmupEpochs: number;
  plateauFactor: number;
  plateauPatience: number;
  plateauEpsilon: number;
  /** 'official': train_val_list / test_list; 'random-patient': a seeded 70/10/20 split by patient (CheXNet) */
  split: 'official' | 'random-patient';
  /** share of train_val patients held out for validation */
  valFraction: number;
  seed: number;
  /** images decoded at once, and decode worker threads */
  workers: number;
  /** keep decoded images in memory after the first epoch */
  cacheImages: boolean;
  /** forward precision of training: 'fp32', 'bf16' (autocast), or 'auto' (bf16 where the CPU runs it natively) */
  precision: Precision;
}

/** The seed's recipe (Dell/Intel BigDL ChestX-ray14 notebook), with the official patient-wise split. */
export const SEED_RECIPE: CxrRecipe = {
  backbone: 'resnet50',
  width: 16,
  inChannels: 3,
  resize: 256,
  crop: 224,
  flip: 0.5,
  brightnessP: 0.5,
  brightness: 32,
  normalize: 'imagenet',
  dropout: 0.2,
  l2: 0.1,
  batchSize: 32,
  epochs: 15,
  lr: 1e-4,
  lrStart: 1e-7,
  warmupEpochs: 5,
  plateauFactor: 0.1,
  plateauPatience: 1,
  plateauEpsilon: 0.01,
  split: 'official',
  valFraction: 0.1,
  seed: 7,
  workers: 2,
  cacheImages: false,
  precision: 'fp32',
};

/** `npm start`'s recipe on the synthetic set: a small CNN on 64 px grey images, minutes on two cores. */
export const SYNTHETIC_RECIPE: CxrRecipe = {
  ...SEED_RECIPE,
  backbone: 'small-cnn',
  width: 16,
  inChannels: 1,
  resize: 64,
  crop: 64,
  brightness: 16,
  normalize: 'none',
  l2: 1e-3,
  batchSize: 32,
  epochs: 10,
  lr: 3e-3,
  lrStart: 3e-4,
  warmupEpochs: 1,
  plateauPatience: 1,
  plateauEpsilon: 0.001,
  workers: 0,
  cacheImages: true,
};

const NUMBER_KEYS = [
  'width',
  'resize',
  'crop',
  'flip',
  'brightnessP',
  'brightness',
  'dropout',
  'l2',
  'batchSize',
  'epochs',
  'lr',
  'lrStart',
  'warmupEpochs',
  'plateauFactor',
  'plateauPatience',
  'plateauEpsilon',
  'valFraction',
  'seed',
  'workers',
] as const;
const INTEGER_KEYS = new Set([
  'width',
  'resize',
  'crop',
  'batchSize',
  'epochs',
  'warmupEpochs',
  'plateauPatience',
  'seed',
  'workers',
]);

/**
 * Checks a partial recipe (from JSON or flags) and lays it over `base`. Throws naming the key that is wrong.
 *
 * @example
 * ```ts
 * const recipe = resolveRecipe(SEED_RECIPE, { backbone: 'densenet121', epochs: 10 });
 * ```
 */
export function resolveRecipe(base: CxrRecipe, overrides: Record<string, unknown>, where = 'recipe'): CxrRecipe {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    if (!(key in base) && key !== 'pretrained') throw new Error(`${where}: unknown key '${key}'`);
    if ((NUMBER_KEYS as readonly string[]).includes(key)) {
      const n = typeof value === 'string' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
        throw new Error(`${where}: '${key}' must be a non-negative number, got ${JSON.stringify(value)}`);
      }
      if (INTEGER_KEYS.has(key) && !Number.isInteger(n))
        throw new Error(`${where}: '${key}' must be an integer, got ${n}`);
      out[key] = n;
    } else if (key === 'backbone') {
      if (!BACKBONES.includes(value as Backbone)) {
        throw new Error(`${where}: backbone must be one of ${BACKBONES.join(', ')}, got ${JSON.stringify(value)}`);
      }
      out[key] = value;
    } else if (key === 'inChannels') {
      const n = Number(value);
      if (n !== 1 && n !== 3) throw new Error(`${where}: inChannels must be 1 or 3, got ${JSON.stringify(value)}`);
      out[key] = n;
    } else if (key === 'normalize') {
      if (value !== 'imagenet' && value !== 'none') throw new Error(`${where}: normalize must be imagenet or none`);
      out[key] = value;
    } else if (key === 'split') {
      if (value !== 'official' && value !== 'random-patient') {
        throw new Error(`${where}: split must be official or random-patient, got ${JSON.stringify(value)}`);
      }
      out[key] = value;
    } else if (key === 'cacheImages') {
      if (typeof value !== 'boolean') throw new Error(`${where}: cacheImages must be true or false`);
      out[key] = value;
    } else if (key === 'precision') {
      if (value !== 'fp32' && value !== 'bf16' && value !== 'auto') {
        throw new Error(`${where}: precision must be fp32, bf16 or auto, got ${JSON.stringify(value)}`);
      }
      out[key] = value;
    } else if (key === 'pretrained') {
      if (typeof value !== 'string') throw new Error(`${where}: pretrained must be a file path`);
      out[key] = value;
    }
  }
  const r = out as unknown as CxrRecipe;
  if (r.crop > r.resize) throw new Error(`${where}: crop (${r.crop}) is larger than resize (${r.resize})`);
  if (r.batchSize < 1 || r.epochs < 1) throw new Error(`${where}: batchSize and epochs must be at least 1`);
  if (r.valFraction <= 0 || r.valFraction >= 1) throw new Error(`${where}: valFraction must be in (0, 1)`);
  return r;
}

/** Reads a JSON recipe file (an object with any of CxrRecipe's keys) and lays it over `base`. */
export function readRecipeFile(base: CxrRecipe, path: string): CxrRecipe {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`config ${path}: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`config ${path}: expected a JSON object`);
  }
  return resolveRecipe(base, parsed as Record<string, unknown>, `config ${path}`);
}

/** The recipe as aligned `key value` lines, for the start of a run. */
export function formatRecipe(r: CxrRecipe): string {
  const width = Math.max(...Object.keys(r).map((k) => k.length)) + 2;
  return Object.entries(r)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `  ${k.padEnd(width)}${v}`)
    .join('\n');
}
