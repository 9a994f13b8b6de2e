/**
 * Training checkpoints: model weights, optimizer (and its schedule) state, epoch/iteration, RNG state
 * and user metadata, in a directory per checkpoint:
 *
 *   root/ckpt-000000040/model.safetensors   parameters and persistent buffers
 *   root/ckpt-000000040/state.safetensors   optimizer tensors (moments, ...) and the RNG state
 *   root/ckpt-000000040/state.json          epoch, iteration, optimizer/schedule metadata, user metadata
 *   root/latest                             name of the newest complete checkpoint
 *
 * A checkpoint is written into a temporary directory, fsynced, renamed into place, and only then does
 * `latest` (itself replaced atomically) point to it: a kill at any moment leaves the previous
 * checkpoint loadable. Model files are data only (safetensors + JSON), never code.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadSafetensors, saveSafetensors } from '../interop/safetensors.js';
import type { Module } from '../nn/index.js';
import type { Tensor } from '../tensor/index.js';
import * as torch from '../tensor/index.js';
import { fsyncDir, writeFileAtomic } from '../util/atomic-write.js';

/** What an optimizer (with its schedule) must offer to be checkpointed. */
export interface Checkpointable {
  stateDict(): { tensors: Record<string, Tensor>; meta: unknown };
  loadStateDict(state: { tensors: Record<string, Tensor>; meta: unknown }): void;
}

export interface CheckpointContent {
  model: Module;
  optimizer?: Checkpointable;
  epoch: number;
  iteration: number;
  /** JSON-serialisable extras (best score, config, ...) */
  extra?: Record<string, unknown>;
}

export interface CheckpointInfo {
  path: string;
  epoch: number;
  iteration: number;
  extra: Record<string, unknown>;
}

const FORMAT_VERSION = 1;
const DIR_PATTERN = /^ckpt-(\d+)$/;

/**
 * Writes a checkpoint under `root` and points `latest` at it; keeps the newest `keep` checkpoints.
 *
 * @example
 * ```ts
 * saveCheckpoint('runs/cxr', { model, optimizer, epoch, iteration, extra: { bestAuc } }, { keep: 3 });
 * ```
 */
export function saveCheckpoint(root: string, content: CheckpointContent, options: { keep?: number } = {}): string {
  mkdirSync(root, { recursive: true });
  const name = `ckpt-${String(content.iteration).padStart(9, '0')}`;
  const tmp = join(root, `.${name}.${process.pid}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  torch.scope(() => {
    saveSafetensors(join(tmp, 'model.safetensors'), content.model.stateDict());
    const opt = content.optimizer?.stateDict();
    const tensors: Record<string, Tensor> = { 'rng.cpu': torch.getRngState() };
    for (const [k, t] of Object.entries(opt?.tensors ?? {})) tensors[`optimizer.${k}`] = t;
    saveSafetensors(join(tmp, 'state.safetensors'), tensors);
    const state = {
      version: FORMAT_VERSION,
      epoch: content.epoch,
      iteration: content.iteration,
      optimizer: opt ? opt.meta : null,
      extra: content.extra ?? {},
      savedAt: new Date().toISOString(),
    };
    writeFileAtomic(join(tmp, 'state.json'), `${JSON.stringify(state, null, 1)}\n`);
  });
  fsyncDir(tmp);
  const final = join(root, name);
  // Re-saving an iteration: move the old copy aside (not delete it) until the new one is in place.
  const aside = join(root, `.${name}.${process.pid}.old.tmp`);
  const replacing = existsSync(final);
  if (replacing) renameSync(final, aside);
  renameSync(tmp, final);
  fsyncDir(root);
  if (replacing) rmSync(aside, { recursive: true, force: true });
  writeFileAtomic(join(root, 'latest'), `${name}\n`);
  pruneCheckpoints(root, options.keep ?? 3, name);
  return final;
}

function pruneCheckpoints(root: string, keep: number, newest: string): void {
  const dirs = readdirSync(root)
    .filter((d) => DIR_PATTERN.test(d))
    .sort();
  for (const d of dirs.slice(0, Math.max(0, dirs.length - Math.max(1, keep)))) {
    if (d !== newest) rmSync(join(root, d), { recursive: true, force: true });
  }
  // Leftovers of writes that were killed midway.
  for (const d of readdirSync(root)) {
    if ((d.startsWith('.ckpt-') || d.startsWith('.latest.')) && d.endsWith('.tmp') && !d.includes(`.${process.pid}.`)) {
      rmSync(join(root, d), { recursive: true, force: true });
    }
  }
}

const isComplete = (dir: string) => existsSync(join(dir, 'state.json'));

/**
 * The newest complete checkpoint under root, or null if there is none. Normally the one `latest`
 * names; if a kill left `latest` naming a checkpoint that is not (or no longer) complete, the newest
 * complete one.
 */
export function latestCheckpoint(root: string): string | null {
  const pointer = join(root, 'latest');
  if (!existsSync(pointer)) return null;
  const name = readFileSync(pointer, 'utf8').trim();
  if (!DIR_PATTERN.test(name)) throw new Error(`checkpoint: '${pointer}' names '${name}', not a checkpoint directory`);
  if (isComplete(join(root, name))) return join(root, name);
  const complete = readdirSync(root)
    .filter((d) => DIR_PATTERN.test(d) && isComplete(join(root, d)))
    .sort();
  const newest = complete.at(-1);
  return newest === undefined ? null : join(root, newest);
}

/**
 * Restores model weights, optimizer/schedule state and the RNG from a checkpoint directory (or the
 * newest one under a root). Returns where training stood.
 */
export function loadCheckpoint(
  pathOrRoot: string,
  target: { model: Module; optimizer?: Checkpointable },
): CheckpointInfo {
  const path = existsSync(join(pathOrRoot, 'state.json')) ? pathOrRoot : latestCheckpoint(pathOrRoot);
  if (path === null) throw new Error(`checkpoint: no checkpoint in '${pathOrRoot}'`);
  const state = JSON.parse(readFileSync(join(path, 'state.json'), 'utf8')) as {
    version: number;
    epoch: number;
    iteration: number;
    optimizer: unknown;
    extra: Record<string, unknown>;
  };
  if (state.version !== FORMAT_VERSION)
    throw new Error(`checkpoint '${path}': unknown format version ${state.version}`);
  torch.scope(() => {
    target.model.loadStateDict(loadSafetensors(join(path, 'model.safetensors')).tensors);
    const { tensors } = loadSafetensors(join(path, 'state.safetensors'));
    if (target.optimizer) {
      if (state.optimizer === null) throw new Error(`checkpoint '${path}': it holds no optimizer state`);
      const opt: Record<string, Tensor> = {};
      for (const [k, t] of Object.entries(tensors)) if (k.startsWith('optimizer.')) opt[k.slice(10)] = t;
      target.optimizer.loadStateDict({ tensors: opt, meta: state.optimizer });
    }
    const rng = tensors['rng.cpu'];
    if (rng) torch.setRngState(rng);
  });
  return { path, epoch: state.epoch, iteration: state.iteration, extra: state.extra };
}
