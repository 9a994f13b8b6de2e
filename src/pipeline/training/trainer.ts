/**
 * Trainer: one optimization step on one batch, in named phases, and the run's one epoch and iteration
 * counter (the optimizer's, which its schedule reads and its checkpoint restores).
 *
 *   forward (under bfloat16 autocast in 'bf16' precision) -> loss in float32 (+ the layers'
 *   regularization penalty) -> backward
 *     -> gradient hooks (a data-parallel wrapper all-reduces here) -> clipping
 *     -> optimizer step -> gradients cleared
 */
import { isRegularized, type Loss, type Module, regularizationLoss } from '../../nn/index.js';
import { clipGradNorm, clipGradValue, type Optimizer } from '../../optim/index.js';
import type { Tensor } from '../../tensor/index.js';
import * as torch from '../../tensor/index.js';
import type { ClippingOptions } from '../options.js';
import {
  choosePrecision,
  float32Output,
  inMemoryFormat,
  type MemoryFormat,
  type PrecisionChoice,
  withPrecision,
} from '../precision.js';

/**
 * Runs between backward and the optimizer step, on the trainable parameters whose gradients are set:
 * where a data-parallel wrapper all-reduces gradients. Hooks run in the order they were added.
 */
export type GradientHook = (params: readonly Tensor[]) => void | Promise<void>;

/** What one step did. */
export interface StepResult {
  /** the loss function's value (without the penalty); non-finite means the step was not taken */
  loss: number;
  /** the regularization penalty added to the loss before backward (0 without regularizers) */
  regularization: number;
  /** samples in the batch */
  samples: number;
}

/** Options of {@link Trainer}. */
export interface TrainerOptions {
  loss: Loss;
  optimizer: Optimizer;
  /** gradient clipping, after the gradient hooks */
  clipping?: ClippingOptions;
  /**
   * the forward pass's precision (default float32): in bf16, parameters, gradients, optimizer state
   * and the loss stay float32 and only the forward pass runs under autocast
   */
  precision?: PrecisionChoice;
  /** 'channelsLast': 4-d input batches are laid out NHWC (with the module's weights: see Module.to) */
  memoryFormat?: MemoryFormat;
  /** called with the first batch's output and labels (e.g. to check shapes) */
  checkFirstBatch?: (output: Tensor, labels: Tensor) => void;
}

/**
 * @example
 * ```ts
 * const trainer = new Trainer(model, { loss: new nn.CrossEntropyLoss(), optimizer: optim.adam({ lr: 1e-3 })(model.parameters()) });
 * trainer.addGradientHook((params) => allReduceGradients(params)); // distributed training
 * for await (const batch of loader.epoch(trainer.epoch)) {
 *   const { loss } = await trainer.step(batch.tensors[0], batch.tensors[1]);
 *   batch.dispose();
 * }
 * trainer.endEpoch({ loss: meanLoss });
 * ```
 */
export class Trainer {
  readonly params: readonly Tensor[];
  readonly optimizer: Optimizer;
  readonly precision: PrecisionChoice;
  readonly #options: TrainerOptions;
  readonly #hooks: GradientHook[] = [];
  readonly #regularized: boolean;
  #firstBatch = true;

  constructor(
    readonly module: Module,
    options: TrainerOptions,
  ) {
    this.#options = options;
    this.optimizer = options.optimizer;
    this.precision = options.precision ?? choosePrecision('fp32');
    this.params = options.optimizer.paramGroups.flatMap((g) => g.params);
    this.#regularized = torch.scope(() =>
      module.modules().some((m) => isRegularized(m) && m.regularizationLoss() !== null),
    );
  }

  /** Adds a hook that runs after backward, before clipping and the optimizer step. */
  addGradientHook(hook: GradientHook): this {
    this.#hooks.push(hook);
    return this;
  }

  /** Epochs finished (0 before the end of the first). */
  get epoch(): number {
    return this.optimizer.epoch - 1;
  }

  /** Optimizer steps taken since the start of training. */
  get iteration(): number {
    return this.optimizer.iteration;
  }

  /** The learning rate of the last step (of the first parameter group). */
  get learningRate(): number {
    return this.optimizer.lr;
  }

  /**
   * Forward and backward on one batch: gradients accumulate in the parameters. Returns the loss and the
   * penalty; on a non-finite loss nothing is backpropagated.
   */
  computeGradients(x: Tensor, y: Tensor): StepResult {
    return torch.scope(() => {
      const input = inMemoryFormat(x, this.#options.memoryFormat);
      const out = float32Output(withPrecision(this.precision.used, () => this.module.forward(input)));
      if (this.#firstBatch) this.#options.checkFirstBatch?.(out, y);
      this.#firstBatch = false;
      const dataLoss = this.#options.loss.forward(out, y);
      const loss = dataLoss.item();
      const samples = x.shape[0] as number;
      if (!Number.isFinite(loss)) return { loss, regularization: 0, samples };
      if (!this.#regularized) {
        dataLoss.backward();
        return { loss, regularization: 0, samples };
      }
      const penalty = regularizationLoss(this.module);
      dataLoss.add(penalty).backward();
      return { loss, regularization: penalty.item(), samples };
    });
  }

  /** Runs the gradient hooks, then clipping: the point between backward and the optimizer step. */
  async prepareGradients(): Promise<void> {
    if (this.#hooks.length > 0) {
      const withGrad = torch.scope(() => this.params.filter((p) => p.grad !== null));
      for (const hook of this.#hooks) await hook(withGrad);
    }
    const c = this.#options.clipping;
    if (c) {
      if ('maxNorm' in c) clipGradNorm([...this.params], c.maxNorm);
      else clipGradValue([...this.params], c.value);
    }
  }

  /** Updates the parameters from their gradients and clears the gradients. */
  applyGradients(): void {
    this.optimizer.step();
    this.optimizer.zeroGrad();
  }

  /** One step: {@link computeGradients}, {@link prepareGradients}, {@link applyGradients}. */
  async step(x: Tensor, y: Tensor): Promise<StepResult> {
    const r = this.computeGradients(x, y);
    if (!Number.isFinite(r.loss)) {
      this.optimizer.zeroGrad();
      return r;
    }
    await this.prepareGradients();
    this.applyGradients();
    return r;
  }

  /** Ends an epoch: advances the epoch counter and gives epoch-driven schedules (Plateau) their metrics. */
  endEpoch(metrics: { loss?: number; score?: number }): void {
    this.optimizer.endEpoch(metrics);
  }
}
