/**
 * Early stopping: stop when a validation metric has not improved for `patience` validations, keeping a
 * copy of the best weights (in memory, and on disk beside the checkpoints so a resumed run has them).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadSafetensors, saveSafetensors } from '../../interop/safetensors.js';
import type { Module } from '../../nn/index.js';
import type { Tensor } from '../../tensor/index.js';
import * as torch from '../../tensor/index.js';
import type { Metric } from '../metrics/index.js';
import type { EarlyStoppingOptions } from '../options.js';

/** What early stopping saves in a checkpoint. */
export interface EarlyStoppingState {
  best: number | null;
  sinceBest: number;
}

/** The policy; `observe` after each validation, `restoreBest` at the end. */
export class EarlyStopping {
  readonly mode: 'max' | 'min';
  #best: number | null = null;
  #sinceBest = 0;
  #weights: Record<string, Tensor> | null = null;
  readonly #bestPath: string | null;

  /**
   * @param metrics the validation metrics, to read whether higher is better
   * @param dir where best.safetensors is kept (the checkpoint directory), if anywhere
   * @param writer whether this process writes files (rank 0 in distributed training)
   */
  constructor(
    readonly options: EarlyStoppingOptions,
    metrics: readonly Metric[],
    dir: string | null,
    readonly writer = true,
  ) {
    const monitored = metrics.find((m) => m.name === options.monitor);
    this.mode =
      options.mode ??
      (monitored ? (monitored.higherIsBetter ? 'max' : 'min') : /loss/i.test(options.monitor) ? 'min' : 'max');
    this.#bestPath = dir ? join(dir, 'best.safetensors') : null;
  }

  get best(): number | null {
    return this.#best;
  }

  get #keepsWeights(): boolean {
    return this.options.restoreBest ?? true;
  }

  /** Takes a validation's metrics; returns why to stop, or '' to go on. */
  observe(metrics: Record<string, number>, module: Module): string {
    const es = this.options;
    const value = metrics[es.monitor];
    if (value === undefined) {
      throw new Error(
        `early stopping: no validation metric '${es.monitor}'; there are ${Object.keys(metrics).join(', ')}`,
      );
    }
    const delta = es.minDelta ?? 0;
    const best = this.#best;
    const better = best === null || (this.mode === 'max' ? value > best + delta : value < best - delta);
    if (better) {
      this.#best = value;
      this.#sinceBest = 0;
      if (this.#keepsWeights) this.#snapshot(module);
      return '';
    }
    this.#sinceBest++;
    if (this.#sinceBest >= es.patience) {
      return `early stopping: '${es.monitor}' did not improve for ${es.patience} validations (best ${this.#best})`;
    }
    return '';
  }

  #snapshot(module: Module): void {
    this.#disposeWeights();
    this.#weights = torch.scope(() => {
      const copy: Record<string, Tensor> = {};
      for (const [k, t] of Object.entries(module.stateDict())) copy[k] = t.detach().clone();
      return torch.keep(copy);
    });
    if (this.#bestPath && this.writer) {
      mkdirSync(join(this.#bestPath, '..'), { recursive: true });
      saveSafetensors(this.#bestPath, this.#weights);
    }
  }

  /** Puts the best weights back into `module`, if they were kept. */
  restoreBest(module: Module): void {
    const weights = this.#weights;
    if (this.#keepsWeights && weights) torch.scope(() => module.loadStateDict(weights));
  }

  stateDict(): EarlyStoppingState {
    return { best: this.#best, sinceBest: this.#sinceBest };
  }

  /** Restores the counters and, if they were saved, the best weights. */
  loadStateDict(state: EarlyStoppingState): void {
    this.#best = state.best;
    this.#sinceBest = state.sinceBest;
    if (this.#keepsWeights && this.#bestPath && existsSync(this.#bestPath)) {
      this.#disposeWeights();
      this.#weights = torch.keep(loadSafetensors(this.#bestPath).tensors);
    }
  }

  #disposeWeights(): void {
    for (const t of Object.values(this.#weights ?? {})) t.dispose();
    this.#weights = null;
  }

  /** Frees the kept weights. */
  dispose(): void {
    this.#disposeWeights();
  }
}
