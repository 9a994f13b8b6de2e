/** SyncBatchNorm: batch normalisation with statistics over the whole global batch (all ranks). */
import { BatchNorm2d, type BatchNormOptions } from '../nn/index.js';
import * as torch from '../tensor/index.js';
import { Tensor } from '../tensor/index.js';
import { dist } from './native.js';
import { getProcessGroup, type ProcessGroup } from './process-group.js';

/**
 * torch.nn.SyncBatchNorm: in training, the mean and variance are computed over the batch of every rank
 * (two differentiable all-reduces per forward, whose backward all-reduces the gradients of the
 * statistics), so N workers of batch B normalise exactly as one of batch N*B. In eval mode, or without a
 * process group of more than one rank, it is a plain BatchNorm and makes no collective call.
 * Inputs are [N, C, ...] (channels in dimension 1).
 *
 * @example
 * ```ts
 * const model = new nn.Sequential(new nn.Conv2d(3, 16, 3), new distributed.SyncBatchNorm(16), new nn.ReLU());
 * ```
 */
export class SyncBatchNorm extends BatchNorm2d {
  constructor(numFeatures: number, options: BatchNormOptions & { processGroup?: ProcessGroup } = {}) {
    super(numFeatures, options);
    this.#group = options.processGroup ?? null;
  }
  readonly #group: ProcessGroup | null;

  protected override checkInput(input: Tensor): void {
    if (input.ndim < 2 || input.shape[1] !== this.numFeatures) {
      throw new RangeError(
        `SyncBatchNorm: expected [N, ${this.numFeatures}, ...] input, got [${input.shape.join(', ')}]`,
      );
    }
  }

  override forward(input: Tensor): Tensor {
    const pg = this.#group ?? getProcessGroup();
    if (!this.training || pg === null || pg.worldSize === 1) return super.forward(input);
    this.checkInput(input);
    const c = this.numFeatures;
    const dims = [0, ...Array.from({ length: input.ndim - 2 }, (_, i) => i + 2)];
    const shape = [1, c, ...Array.from({ length: input.ndim - 2 }, () => 1)];
    const allReduce = (t: Tensor, what: string): Tensor => {
      try {
        return new Tensor(dist.distAllReduceDifferentiable(pg.handle, t.handle));
      } catch (e) {
        void pg.fail(`SyncBatchNorm ${what}`, (e as Error).message);
        throw e;
      }
    };
    const local = torch.cat([input.sum(dims), torch.full([1], input.numel() / c, { dtype: input.dtype })]);
    const totals = allReduce(local, 'mean');
    const count = totals.narrow(0, c, 1).detach();
    const n = count.item() as number;
    const mean = totals.narrow(0, 0, c).div(count);
    const centered = input.sub(mean.view(shape));
    const variance = allReduce(centered.square().sum(dims), 'variance').div(n);
    let out = centered.mul(variance.add(this.eps).rsqrt().view(shape));
    if (this.weight && this.bias) out = out.mul(this.weight.view(shape)).add(this.bias.view(shape));
    if (this.runningMean && this.runningVar && this.numBatchesTracked) {
      torch.noGrad(() => {
        this.numBatchesTracked?.add_(1);
        const factor = this.momentum ?? 1 / (this.numBatchesTracked?.item() as number);
        this.runningMean?.mul_(1 - factor).add_(mean.mul(factor));
        this.runningVar?.mul_(1 - factor).add_(variance.mul((factor * n) / Math.max(n - 1, 1)));
      });
    }
    return out;
  }
}
