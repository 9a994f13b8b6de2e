/**
 * Per-layer weight penalties with BigDL's semantics (W_regularizer / b_regularizer): L1 adds
 * l1 * sign(w) to the gradient (penalty l1 * sum|w|), L2 adds l2 * w (penalty l2/2 * sum w^2).
 * Layers that take them contribute to Module-level `regularizationLoss(model)`.
 */
import type { Tensor } from '../tensor/index.js';
import * as torch from '../tensor/index.js';

export interface Regularizer {
  readonly l1: number;
  readonly l2: number;
  /** The scalar penalty for `w`, differentiable. */
  penalty(w: Tensor): Tensor;
}

/** l1 * sum|w| + l2 / 2 * sum w^2. */
export function l1l2(l1: number, l2: number): Regularizer {
  if (!(l1 >= 0 && l2 >= 0)) throw new RangeError(`regularizer: l1 and l2 must be >= 0, got ${l1}, ${l2}`);
  return {
    l1,
    l2,
    penalty(w: Tensor): Tensor {
      return torch.scope(() => {
        let p = torch.zeros([], { dtype: w.dtype });
        if (l1 > 0) p = p.add(w.abs().sum().mul(l1));
        if (l2 > 0)
          p = p.add(
            w
              .pow(2)
              .sum()
              .mul(l2 / 2),
          );
        return p;
      });
    },
  };
}

export const l1 = (value: number): Regularizer => l1l2(value, 0);
export const l2 = (value: number): Regularizer => l1l2(0, value);

/** Layers that carry regularizers implement this. */
export interface Regularized {
  regularizationLoss(): Tensor | null;
}

export function isRegularized(m: unknown): m is Regularized {
  return typeof (m as Regularized).regularizationLoss === 'function';
}
