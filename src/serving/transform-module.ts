/**
 * The image transform a served model needs, without running code from the model directory: either a
 * module you name (its `transform` or default export), or the saved transform's name when it is a chain of
 * deterministic steps this parser knows (Resize, CenterCrop, ChannelNormalize, ToFloat, GreyToRGB, ToTensor).
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CenterCrop, Resize } from '../data/image/geometric.js';
import { ChannelNormalize, GreyToRGB, ToFloat, ToTensor } from '../data/image/photometric.js';
import { chain, type Transform } from '../data/image/transform.js';
import type { Image } from '../data/image/types.js';
import type { Tensor } from '../tensor/index.js';

/** Splits `s` at ', ' outside parentheses. */
function splitTop(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && s[i + 1] === ' ' && depth === 0) {
      parts.push(s.slice(start, i));
      start = i + 2;
    }
  }
  parts.push(s.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

function numbers(s: string): number[] {
  const v = s.split(',').map((x) => Number(x.trim()));
  if (v.length === 0 || v.some((x) => !Number.isFinite(x))) throw new Error(`not numbers: '${s}'`);
  return v;
}

function size(s: string): number | [number, number] {
  const v = numbers(s);
  if (v.length === 1) return v[0] as number;
  if (v.length === 2) return [v[0] as number, v[1] as number];
  throw new Error(`not a size: '${s}'`);
}

function step(name: string): Transform<unknown, unknown> {
  const m = /^([A-Za-z]+)\((.*)\)$/.exec(name);
  if (!m) throw new Error(`cannot read '${name}'`);
  const [, fn, args = ''] = m;
  switch (fn) {
    case 'ToTensor':
      return ToTensor() as Transform<unknown, unknown>;
    case 'ToFloat':
      return ToFloat() as Transform<unknown, unknown>;
    case 'GreyToRGB':
      return GreyToRGB() as Transform<unknown, unknown>;
    case 'Resize':
      return Resize(size(args)) as Transform<unknown, unknown>;
    case 'CenterCrop':
      return CenterCrop(size(args)) as Transform<unknown, unknown>;
    case 'ChannelNormalize': {
      const [mean, std] = splitTop(args);
      if (mean === undefined || std === undefined) throw new Error(`cannot read '${name}'`);
      return ChannelNormalize(numbers(mean), numbers(std)) as Transform<unknown, unknown>;
    }
    default:
      throw new Error(`'${fn}' is not a deterministic step this server rebuilds`);
  }
}

/**
 * Rebuilds a transform from its saved name, e.g. 'chain(Resize(256), CenterCrop(224), ToTensor())'.
 *
 * @throws saying which step cannot be rebuilt (random augmentation, or a step unknown here).
 */
export function transformFromName(name: string): Transform<Image, Tensor> {
  const m = /^chain\((.*)\)$/.exec(name);
  const steps = m ? splitTop(m[1] as string).map(step) : [step(name)];
  const t = chain<Tensor>(...steps);
  if (t.name !== name && !(steps.length === 1 && steps[0]?.name === name)) {
    throw new Error(`the rebuilt transform '${t.name}' differs from the saved '${name}'`);
  }
  return steps.length === 1 ? (steps[0] as Transform<Image, Tensor>) : t;
}

/**
 * The serving transform exported by `modulePath` (its `transform` or default export), or undefined without
 * one (InferenceModel then rebuilds the saved transform from its name when it can).
 */
export async function loadTransform(modulePath: string | undefined): Promise<Transform<Image, Tensor> | undefined> {
  if (!modulePath) return undefined;
  const url =
    isAbsolute(modulePath) || modulePath.startsWith('.') ? pathToFileURL(resolve(modulePath)).href : modulePath;
  const mod = (await import(url)) as { transform?: unknown; default?: unknown };
  const t = (mod.transform ?? mod.default) as Transform<Image, Tensor> | undefined;
  if (!t || typeof t.apply !== 'function') {
    throw new Error(`${modulePath} exports no transform (export const transform = chain(...))`);
  }
  return t;
}
