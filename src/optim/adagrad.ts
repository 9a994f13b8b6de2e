/** Adagrad: per-element rates from the sum of squared gradients. */
import type { Tensor } from '../tensor/index.js';
import { checkNonNegative } from './check.js';
import { Optimizer, type OptimizerKind, type OptimizerOptions, type ParamState } from './optimizer.js';
import type { HyperParams, Params } from './param-groups.js';

/** Adagrad's hyper-parameters (PyTorch's names in camelCase, same defaults). */
export interface AdagradHyperParams extends HyperParams {
  /** The rate at step t is `lr / (1 + (t - 1) * lrDecay)`. Default 0. */
  lrDecay: number;
  /** Starting value of the sum of squared gradients. Default 0. */
  initialAccumulatorValue: number;
  /** Added to the denominator for stability. Default 1e-10. */
  eps: number;
}

export type AdagradOptions = Partial<AdagradHyperParams> & OptimizerOptions;

const ADAGRAD_KIND: OptimizerKind<AdagradHyperParams> = {
  name: 'Adagrad',
  defaults: { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10 },
  check(h, where) {
    checkNonNegative(`${where}: lr`, h.lr);
    checkNonNegative(`${where}: lrDecay`, h.lrDecay);
    checkNonNegative(`${where}: weightDecay`, h.weightDecay);
    checkNonNegative(`${where}: initialAccumulatorValue`, h.initialAccumulatorValue);
    checkNonNegative(`${where}: eps`, h.eps);
  },
  stateNames: ['sum'],
  requiredState: () => ['sum'],
};

/**
 * Adagrad (`torch.optim.Adagrad`, PyTorch 1.13 single-tensor path, dense gradients): with `g` the
 * gradient plus `weightDecay * p`, `sum += g^2` and `p -= lr / (1 + (t-1)*lrDecay) * g / (sqrt(sum) + eps)`.
 * The sum starts at the group's `initialAccumulatorValue` (PyTorch takes the constructor's value for
 * every group; here a group may override it).
 *
 * @example
 * ```ts
 * const optimizer = new Adagrad(model.parameters(), { lr: 0.1, initialAccumulatorValue: 0.1 });
 * ```
 */
export class Adagrad extends Optimizer<AdagradHyperParams> {
  constructor(params: Params<AdagradHyperParams>, options: AdagradOptions = {}) {
    super(params, ADAGRAD_KIND, options);
  }

  protected updateParameter(param: Tensor, grad: Tensor, state: ParamState, h: AdagradHyperParams): void {
    const g = h.weightDecay !== 0 ? grad.add(param, { alpha: h.weightDecay }) : grad;
    const clr = h.lr / (1 + (state.step - 1) * h.lrDecay);
    state.tensors.sum ??= param.fullLike(h.initialAccumulatorValue);
    const sum = state.tensors.sum;
    sum.addcmul_(g, g, { value: 1 });
    const std = sum.sqrt().add_(h.eps);
    param.addcdiv_(g, std, { value: -clr });
  }
}

/** An Adagrad factory, for code that supplies the parameters later (an Estimator). */
export function adagrad(options: AdagradOptions = {}): (params: Params<AdagradHyperParams>) => Adagrad {
  return (params) => new Adagrad(params, options);
}
