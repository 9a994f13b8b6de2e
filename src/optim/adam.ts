/** Adam and AdamW, with the AMSGrad variant. */
import { maximum, type Tensor } from '../tensor/index.js';
import { checkBoolean, checkNonNegative, checkUnitInterval } from './check.js';
import { libmPow } from './exact-pow.js';
import { Optimizer, type OptimizerKind, type OptimizerOptions, type ParamState } from './optimizer.js';
import type { HyperParams, Params } from './param-groups.js';

/** Adam's and AdamW's hyper-parameters (PyTorch's names in camelCase). */
export interface AdamHyperParams extends HyperParams {
  /** Decay rates of the first and second moment averages. Default [0.9, 0.999]. */
  betas: [number, number];
  /** Added to the denominator for stability. Default 1e-8. */
  eps: number;
  /** Use the maximum of past second moments (AMSGrad). Default false. */
  amsgrad: boolean;
}

export type AdamOptions = Partial<AdamHyperParams> & OptimizerOptions;

function checkAdam(h: AdamHyperParams, where: string): void {
  checkNonNegative(`${where}: lr`, h.lr);
  if (!Array.isArray(h.betas) || h.betas.length !== 2) throw new TypeError(`${where}: betas must be [beta1, beta2]`);
  checkUnitInterval(`${where}: betas[0]`, h.betas[0]);
  checkUnitInterval(`${where}: betas[1]`, h.betas[1]);
  checkNonNegative(`${where}: eps`, h.eps);
  checkNonNegative(`${where}: weightDecay`, h.weightDecay);
  checkBoolean(`${where}: amsgrad`, h.amsgrad);
}

function adamKind(name: string, weightDecay: number): OptimizerKind<AdamHyperParams> {
  return {
    name,
    defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay, amsgrad: false },
    check: checkAdam,
    stateNames: ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'],
    requiredState: (h) => (h.amsgrad ? ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'] : ['exp_avg', 'exp_avg_sq']),
  };
}

/**
 * The moment updates and the bias-corrected step shared by Adam and AdamW (PyTorch 1.13's
 * `_single_tensor_adam`, same operations in the same order).
 */
function adamUpdate(param: Tensor, grad: Tensor, state: ParamState, h: AdamHyperParams): void {
  const [beta1, beta2] = h.betas;
  const s = state.tensors;
  s.exp_avg ??= param.zerosLike();
  s.exp_avg_sq ??= param.zerosLike();
  const expAvg = s.exp_avg;
  const expAvgSq = s.exp_avg_sq;
  expAvg.mul_(beta1).add_(grad, { alpha: 1 - beta1 });
  expAvgSq.mul_(beta2).addcmul_(grad, grad, { value: 1 - beta2 });
  const biasCorrection1 = 1 - libmPow(beta1, state.step);
  const biasCorrection2 = 1 - libmPow(beta2, state.step);
  const stepSize = h.lr / biasCorrection1;
  const biasCorrection2Sqrt = Math.sqrt(biasCorrection2);
  let secondMoment = expAvgSq;
  if (h.amsgrad) {
    s.max_exp_avg_sq ??= param.zerosLike();
    s.max_exp_avg_sq.copy_(maximum(s.max_exp_avg_sq, expAvgSq));
    secondMoment = s.max_exp_avg_sq;
  }
  const denom = secondMoment.sqrt().div(biasCorrection2Sqrt).add_(h.eps);
  param.addcdiv_(expAvg, denom, { value: -stepSize });
}

/**
 * Adam (`torch.optim.Adam`, PyTorch 1.13 single-tensor path): `weightDecay` adds `weightDecay * p` to
 * the gradient (L2 regularisation, coupled with the moments), then
 * `m = b1*m + (1-b1)*g`, `v = b2*v + (1-b2)*g^2` (`vmax = max(vmax, v)` with amsgrad),
 * `p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)`.
 *
 * @example
 * ```ts
 * const optimizer = new Adam(model.parameters(), { lr: 1e-3, betas: [0.9, 0.999], amsgrad: true });
 * ```
 */
export class Adam extends Optimizer<AdamHyperParams> {
  constructor(params: Params<AdamHyperParams>, options: AdamOptions = {}) {
    super(params, adamKind('Adam', 0), options);
  }

  protected updateParameter(param: Tensor, grad: Tensor, state: ParamState, h: AdamHyperParams): void {
    adamUpdate(param, h.weightDecay !== 0 ? grad.add(param, { alpha: h.weightDecay }) : grad, state, h);
  }
}

/**
 * AdamW (`torch.optim.AdamW`, PyTorch 1.13 single-tensor path): Adam with decoupled weight decay,
 * `p *= 1 - lr * weightDecay` before the Adam step. Default weightDecay 1e-2.
 *
 * @example
 * ```ts
 * const optimizer = new AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.05 });
 * ```
 */
export class AdamW extends Optimizer<AdamHyperParams> {
  constructor(params: Params<AdamHyperParams>, options: AdamOptions = {}) {
    super(params, adamKind('AdamW', 1e-2), options);
  }

  protected updateParameter(param: Tensor, grad: Tensor, state: ParamState, h: AdamHyperParams): void {
    param.mul_(1 - h.lr * h.weightDecay);
    adamUpdate(param, grad, state, h);
  }
}

/**
 * An Adam factory, for code that supplies the parameters later (an Estimator). Every optimizer it
 * builds uses `options.schedule` itself: build a new factory (and schedule) per training run.
 *
 * @example
 * ```ts
 * estimator.setOptimMethod(adam({ lr: 1e-7, schedule }));
 * ```
 */
export function adam(options: AdamOptions = {}): (params: Params<AdamHyperParams>) => Adam {
  return (params) => new Adam(params, options);
}

/** An AdamW factory, for code that supplies the parameters later (an Estimator). */
export function adamW(options: AdamOptions = {}): (params: Params<AdamHyperParams>) => AdamW {
  return (params) => new AdamW(params, options);
}
