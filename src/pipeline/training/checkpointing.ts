/**
 * The checkpoint policy: when a trigger fires (or training stops), write the model, the optimizer with its
 * schedule and counters, the RNG, and each policy's state; on resume, read them back.
 */
import type { Module } from '../../nn/index.js';
import type { Optimizer } from '../../optim/index.js';
import { latestCheckpoint, loadCheckpoint, saveCheckpoint } from '../checkpoint.js';
import type { CheckpointOptions } from '../options.js';
import { everyEpoch, type TrainState, type Trigger } from '../triggers.js';

/** Anything that keeps state across a resume: early stopping, the loop's position, the history. */
export interface Stateful {
  stateDict(): unknown;
  loadStateDict(state: unknown): void;
}

export class CheckpointPolicy {
  readonly trigger: Trigger;
  #last: string | null = null;

  /**
   * @param parts named states saved beside the model and optimizer (e.g. { loop, earlyStopping })
   * @param writer whether this process writes (rank 0 in distributed training); others only read
   */
  constructor(
    readonly options: CheckpointOptions,
    readonly target: { model: Module; optimizer: Optimizer },
    readonly parts: Record<string, Stateful>,
    readonly writer = true,
  ) {
    this.trigger = options.trigger ?? everyEpoch();
  }

  /** The last checkpoint written or resumed from, if any. */
  get last(): string | null {
    return this.#last;
  }

  /**
   * Restores the newest checkpoint in the directory, if there is one: model, optimizer (counters and
   * schedule), RNG and every part. Returns its path, or null when there was nothing to resume.
   */
  resume(): string | null {
    if (!latestCheckpoint(this.options.dir)) return null;
    const info = loadCheckpoint(this.options.dir, this.target);
    const saved = info.extra as Record<string, unknown>;
    const names = Object.keys(this.parts);
    if (names.length > 0 && !names.some((n) => n in saved)) {
      throw new Error(`checkpoint '${info.path}': it holds none of ${names.join(', ')}; it was not written by fit`);
    }
    // a part the saved run did not have (early stopping added on resume) starts afresh
    for (const [name, part] of Object.entries(this.parts)) if (name in saved) part.loadStateDict(saved[name]);
    this.#last = info.path;
    return info.path;
  }

  /** Whether a checkpoint is due (on every rank alike; only the writer writes it). */
  due(state: TrainState, force: boolean): boolean {
    return force || this.trigger.fires(state);
  }

  /** Writes a checkpoint when the trigger fires or `force` is set; returns its path, or null. */
  maybeSave(state: TrainState, force: boolean): string | null {
    if (!this.due(state, force) || !this.writer) return null;
    const extra: Record<string, unknown> = {};
    for (const [name, part] of Object.entries(this.parts)) extra[name] = part.stateDict();
    this.#last = saveCheckpoint(
      this.options.dir,
      { ...this.target, epoch: state.epoch, iteration: state.iteration, extra },
      { keep: this.options.keep ?? 3 },
    );
    return this.#last;
  }
}
