/** Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay. */
import type { Tensor } from '../tensor/index.js';
import { checkBoolean, checkFinite, checkNonNegative } from './check.js';
import { Optimizer, type OptimizerKind, type OptimizerOptions, type ParamState } from './optimizer.js';
import type { HyperParams, Params } from './param-groups.js';

/** SGD's hyper-parameters (PyTorch's names in camelCase, same defaults). */
export interface SGDHyperParams extends HyperParams {
  /** Momentum factor. Default 0. */
  momentum: number;
  /** Dampening for momentum. Default 0. */
  dampening: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). Default false. */
  nesterov: boolean;
}

/** Options of SGD: `lr` is required, as in PyTorch. */
export type SGDOptions = Partial<SGDHyperParams> & { lr: number } & OptimizerOptions;

const SGD_KIND: OptimizerKind<SGDHyperParams> = {
  name: 'SGD',
  defaults: { lr: Number.NaN, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false },
  check(h, where) {
    checkNonNegative(`${where}: lr`, h.lr);
    checkNonNegative(`${where}: momentum`, h.momentum);
    checkFinite(`${where}: dampening`, h.dampening);
    checkNonNegative(`${where}: weightDecay`, h.weightDecay);
    checkBoolean(`${where}: nesterov`, h.nesterov);
    if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) {
      throw new RangeError(`${where}: Nesterov momentum requires a momentum and zero dampening`);
    }
  },
  stateNames: ['momentum_buffer'],
  requiredState: (h) => (h.momentum !== 0 ? ['momentum_buffer'] : []),
};

/**
 * SGD, updating as `torch.optim.SGD` (PyTorch 1.13, single-tensor path): with weight decay
 * `g = grad + weightDecay * p`; with momentum `buf = g` on the first step, then
 * `buf = momentum * buf + (1 - dampening) * g`, and `g = g + momentum * buf` (Nesterov) or `g = buf`;
 * finally `p -= lr * g`.
 *
 * @example
 * ```ts
 * const optimizer = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-4 });
 * ```
 */
export class SGD extends Optimizer<SGDHyperParams> {
  constructor(params: Params<SGDHyperParams>, options: SGDOptions) {
    if (options?.lr === undefined) throw new TypeError('SGD: lr is required');
    super(params, SGD_KIND, options);
  }

  protected updateParameter(param: Tensor, grad: Tensor, state: ParamState, h: SGDHyperParams): void {
    let d = h.weightDecay !== 0 ? grad.add(param, { alpha: h.weightDecay }) : grad;
    if (h.momentum !== 0) {
      let buf = state.tensors.momentum_buffer;
      if (buf === undefined) {
        buf = d.clone();
        state.tensors.momentum_buffer = buf;
      } else {
        buf.mul_(h.momentum).add_(d, { alpha: 1 - h.dampening });
      }
      d = h.nesterov ? d.add(buf, { alpha: h.momentum }) : buf;
    }
    param.add_(d, { alpha: -h.lr });
  }
}

/**
 * An SGD factory, for code that supplies the parameters later (an Estimator).
 *
 * @example
 * ```ts
 * estimator.setOptimMethod(sgd({ lr: 0.01, momentum: 0.9 })); // the estimator calls it with the model's parameters
 * const optimizer = sgd({ lr: 0.01 })(model.parameters());
 * ```
 */
export function sgd(options: SGDOptions): (params: Params<SGDHyperParams>) => SGD {
  return (params) => new SGD(params, options);
}
