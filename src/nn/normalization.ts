/** Batch normalisation with running statistics, as torch.nn.BatchNorm1d/2d. */
import type { Tensor } from '../tensor/index.js';
import * as torch from '../tensor/index.js';
import { checkInt, checkOptions } from '../util/options.js';
import { Module } from './module.js';

export interface BatchNormOptions {
  eps?: number;
  /** running-stat update factor; null = cumulative moving average */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
  dtype?: torch.DType;
}

abstract class BatchNorm extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  readonly numBatchesTracked: Tensor | null;
  readonly eps: number;
  readonly momentum: number | null;

  constructor(
    readonly numFeatures: number,
    options: BatchNormOptions,
  ) {
    super();
    checkOptions(this.constructor.name, options, ['eps', 'momentum', 'affine', 'trackRunningStats', 'dtype']);
    checkInt(this.constructor.name, 'numFeatures', numFeatures, 1);
    const dtype = options.dtype ?? 'float32';
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    const affine = options.affine ?? true;
    const track = options.trackRunningStats ?? true;
    this.weight = this.registerParameter('weight', affine ? torch.ones([numFeatures], { dtype }) : null);
    this.bias = this.registerParameter('bias', affine ? torch.zeros([numFeatures], { dtype }) : null);
    this.runningMean = this.registerBuffer('running_mean', track ? torch.zeros([numFeatures], { dtype }) : null);
    this.runningVar = this.registerBuffer('running_var', track ? torch.ones([numFeatures], { dtype }) : null);
    this.numBatchesTracked = this.registerBuffer(
      'num_batches_tracked',
      track ? torch.zeros([], { dtype: 'int64' }) : null,
    );
  }

  protected abstract checkInput(input: Tensor): void;

  forward(input: Tensor): Tensor {
    this.checkInput(input);
    if (this.training && input.numel() / (input.shape[1] as number) <= 1) {
      // as PyTorch: the batch statistics of a single value per channel are undefined
      throw new RangeError(
        `${this.constructor.name}: expected more than 1 value per channel when training, got input size [${input.shape.join(', ')}] (use a batch of 2 or more, or call eval())`,
      );
    }
    let factor = this.momentum ?? 0;
    if (this.training && this.numBatchesTracked) {
      torch.noGrad(() => this.numBatchesTracked?.add_(1));
      if (this.momentum === null) factor = 1 / (this.numBatchesTracked.item() as number);
    }
    const useBatchStats = this.training || this.runningMean === null;
    return torch.batchNorm(
      input,
      this.weight,
      this.bias,
      // In training without tracking, and in eval with tracking, pass what PyTorch passes.
      !this.training || this.runningMean ? this.runningMean : null,
      !this.training || this.runningVar ? this.runningVar : null,
      useBatchStats,
      factor,
      this.eps,
      false,
    );
  }

  protected override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.weight !== null}, trackRunningStats=${this.runningMean !== null}`;
  }
}

/** Over [N, C] or [N, C, L]. */
export class BatchNorm1d extends BatchNorm {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super(numFeatures, options);
  }

  protected checkInput(input: Tensor): void {
    if (input.ndim !== 2 && input.ndim !== 3) {
      throw new RangeError(`BatchNorm1d: expected 2-d or 3-d input, got [${input.shape.join(', ')}]`);
    }
  }
}

/** Over [N, C, H, W]. */
export class BatchNorm2d extends BatchNorm {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super(numFeatures, options);
  }

  protected checkInput(input: Tensor): void {
    if (input.ndim !== 4) throw new RangeError(`BatchNorm2d: expected 4-d input, got [${input.shape.join(', ')}]`);
  }
}
