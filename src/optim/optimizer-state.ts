/**
 * The saved form of an optimizer: tensors (per-parameter state such as Adam's moments) and JSON
 * metadata (step counts, hyper-parameters, counters, schedule state), and the checks that reading it
 * back makes before anything is changed.
 */
import type { Tensor } from '../tensor/index.js';
import { decodeNumber, isJsonObject, type Json, type JsonNumber } from './json.js';
import type { EpochMetrics, ScheduleState } from './schedule.js';

export const STATE_FORMAT = 'tszoo.optim';
export const STATE_VERSION = 1;

/** JSON metadata of an optimizer's state dict. */
export interface OptimizerMeta {
  format: typeof STATE_FORMAT;
  version: typeof STATE_VERSION;
  /** the optimizer's name ('Adam', 'SGD', ...); a state loads only into the same kind */
  optimizer: string;
  /** step() calls so far */
  iteration: number;
  /** the current 1-based epoch (endEpoch() calls + 1) */
  epoch: number;
  /** the metrics of the last endEpoch() call */
  metrics: { loss?: JsonNumber; score?: JsonNumber };
  /** the rates of the last step, one per group */
  lrs: number[];
  /** each group's hyper-parameters and the indices of its parameters (numbered across groups, in order) */
  groups: { [key: string]: Json; params: number[] }[];
  /** each parameter's shape, by index */
  paramShapes: number[][];
  /** steps taken by each parameter that has state, by index (parameters without a gradient are skipped) */
  steps: Record<string, number>;
  schedule: ScheduleState | null;
}

/**
 * An optimizer's state: `tensors` keyed `state.<paramIndex>.<name>` (e.g. `state.0.exp_avg`) and JSON
 * `meta`. Save the tensors as safetensors and the meta as JSON; the tensors are the optimizer's own,
 * so save them before the next step and do not dispose them.
 */
export interface OptimizerStateDict {
  tensors: Record<string, Tensor>;
  meta: OptimizerMeta;
}

/** A state dict as read back from files: the meta is checked before use. */
export interface LoadableStateDict {
  tensors: Record<string, Tensor>;
  meta: unknown;
}

/** The meta fields that do not depend on the optimizer's kind, read and checked. */
export interface ParsedMeta {
  optimizer: string;
  iteration: number;
  epoch: number;
  metrics: EpochMetrics;
  lrs: number[];
  groups: { hyper: Record<string, Json>; params: number[] }[];
  paramShapes: number[][];
  steps: Map<number, number>;
  schedule: unknown;
}

function isNonNegativeInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

function isShape(v: unknown): v is number[] {
  return Array.isArray(v) && v.every(isNonNegativeInteger);
}

/** Reads the meta of a state dict, throwing an Error that says what is wrong with it. */
export function parseMeta(who: string, meta: unknown): ParsedMeta {
  const fail = (message: string): never => {
    throw new Error(`${who}.loadStateDict: ${message}`);
  };
  if (!isJsonObject(meta) || meta.format !== STATE_FORMAT) fail('meta is not a tszoo optimizer state');
  const m = meta as Record<string, unknown>;
  if (m.version !== STATE_VERSION) fail(`unknown state version ${JSON.stringify(m.version)}`);
  if (typeof m.optimizer !== 'string') fail('meta.optimizer is missing');
  if (!isNonNegativeInteger(m.iteration)) fail('meta.iteration must be an integer >= 0');
  if (!isNonNegativeInteger(m.epoch) || m.epoch < 1) fail('meta.epoch must be an integer >= 1');
  if (!isJsonObject(m.metrics)) fail('meta.metrics must be an object');
  const metrics: EpochMetrics = {};
  for (const key of ['loss', 'score'] as const) {
    const v = (m.metrics as Record<string, unknown>)[key];
    if (v !== undefined && v !== null) metrics[key] = decodeNumber(v, `${who}.loadStateDict: meta.metrics.${key}`);
  }
  if (!Array.isArray(m.lrs) || !m.lrs.every((x) => typeof x === 'number')) fail('meta.lrs must be an array of numbers');
  if (!Array.isArray(m.groups)) fail('meta.groups must be an array');
  const groups = (m.groups as unknown[]).map((g, i) => {
    if (!isJsonObject(g) || !Array.isArray(g.params) || !g.params.every(isNonNegativeInteger)) {
      return fail(`meta.groups[${i}] must be an object with a params array of indices`);
    }
    const { params, ...hyper } = g as { params: number[] } & Record<string, Json>;
    return { hyper, params };
  });
  if (!Array.isArray(m.paramShapes) || !m.paramShapes.every(isShape)) fail('meta.paramShapes must be a list of shapes');
  if (!isJsonObject(m.steps)) fail('meta.steps must be an object');
  const steps = new Map<number, number>();
  for (const [k, v] of Object.entries(m.steps as Record<string, unknown>)) {
    if (!/^\d+$/.test(k) || !isNonNegativeInteger(v)) fail(`meta.steps['${k}'] must map a parameter index to a count`);
    steps.set(Number(k), v as number);
  }
  if (m.schedule === undefined) fail('meta.schedule is missing (null when there is no schedule)');
  return {
    optimizer: m.optimizer as string,
    iteration: m.iteration as number,
    epoch: m.epoch as number,
    metrics,
    lrs: m.lrs as number[],
    groups,
    paramShapes: m.paramShapes as number[][],
    steps,
    schedule: m.schedule,
  };
}

/** Splits a state tensor key `state.<index>.<name>`; null when it is not one. */
export function parseStateKey(key: string): { index: number; name: string } | null {
  const match = /^state\.(\d+)\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(key);
  return match ? { index: Number(match[1]), name: match[2] as string } : null;
}

export function stateKey(index: number, name: string): string {
  return `state.${index}.${name}`;
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
