/** RMSprop, plain or centered, with optional momentum. */
import type { Tensor } from '../tensor/index.js';
import { checkBoolean, checkNonNegative } from './check.js';
import { Optimizer, type OptimizerKind, type OptimizerOptions, type ParamState } from './optimizer.js';
import type { HyperParams, Params } from './param-groups.js';

/** RMSprop's hyper-parameters (PyTorch's names in camelCase, same defaults). */
export interface RMSpropHyperParams extends HyperParams {
  /** Smoothing constant of the squared-gradient average. Default 0.99. */
  alpha: number;
  /** Added to the denominator for stability. Default 1e-8. */
  eps: number;
  /** Momentum factor. Default 0. */
  momentum: number;
  /** Normalise by the estimated variance of the gradient instead of its second moment. Default false. */
  centered: boolean;
}

export type RMSpropOptions = Partial<RMSpropHyperParams> & OptimizerOptions;

const RMSPROP_KIND: OptimizerKind<RMSpropHyperParams> = {
  name: 'RMSprop',
  defaults: { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false },
  check(h, where) {
    checkNonNegative(`${where}: lr`, h.lr);
    checkNonNegative(`${where}: alpha`, h.alpha);
    checkNonNegative(`${where}: eps`, h.eps);
    checkNonNegative(`${where}: momentum`, h.momentum);
    checkNonNegative(`${where}: weightDecay`, h.weightDecay);
    checkBoolean(`${where}: centered`, h.centered);
  },
  stateNames: ['square_avg', 'momentum_buffer', 'grad_avg'],
  requiredState: (h) => [
    'square_avg',
    ...(h.momentum > 0 ? ['momentum_buffer'] : []),
    ...(h.centered ? ['grad_avg'] : []),
  ],
};

/**
 * RMSprop (`torch.optim.RMSprop`, PyTorch 1.13 single-tensor path): with `g` the gradient plus
 * `weightDecay * p`, `v = alpha*v + (1-alpha)*g^2`; centered: `ga = alpha*ga + (1-alpha)*g` and
 * `avg = sqrt(v - ga^2) + eps`, else `avg = sqrt(v) + eps`; with momentum `buf = momentum*buf + g/avg`
 * and `p -= lr * buf`, else `p -= lr * g / avg`.
 *
 * @example
 * ```ts
 * const optimizer = new RMSprop(model.parameters(), { lr: 1e-3, alpha: 0.9, momentum: 0.9, centered: true });
 * ```
 */
export class RMSprop extends Optimizer<RMSpropHyperParams> {
  constructor(params: Params<RMSpropHyperParams>, options: RMSpropOptions = {}) {
    super(params, RMSPROP_KIND, options);
  }

  protected updateParameter(param: Tensor, grad: Tensor, state: ParamState, h: RMSpropHyperParams): void {
    const g = h.weightDecay !== 0 ? grad.add(param, { alpha: h.weightDecay }) : grad;
    const s = state.tensors;
    s.square_avg ??= param.zerosLike();
    s.square_avg.mul_(h.alpha).addcmul_(g, g, { value: 1 - h.alpha });
    let avg: Tensor;
    if (h.centered) {
      s.grad_avg ??= param.zerosLike();
      s.grad_avg.mul_(h.alpha).add_(g, { alpha: 1 - h.alpha });
      avg = s.square_avg.addcmul(s.grad_avg, s.grad_avg, { value: -1 }).sqrt_();
    } else {
      avg = s.square_avg.sqrt();
    }
    avg.add_(h.eps);
    if (h.momentum > 0) {
      s.momentum_buffer ??= param.zerosLike();
      s.momentum_buffer.mul_(h.momentum).addcdiv_(g, avg);
      param.add_(s.momentum_buffer, { alpha: -h.lr });
    } else {
      param.addcdiv_(g, avg, { value: -h.lr });
    }
  }
}

/** An RMSprop factory, for code that supplies the parameters later (an Estimator). */
export function rmsprop(options: RMSpropOptions = {}): (params: Params<RMSpropHyperParams>) => RMSprop {
  return (params) => new RMSprop(params, options);
}
