/** Gradient clipping by global norm and by value (torch.nn.utils.clip_grad_norm_ / clip_grad_value_). */

import * as torch from '../tensor/index.js';
import { Tensor } from '../tensor/index.js';

/** Options of clipGradNorm(). */
export interface ClipGradNormOptions {
  /** Throw if the total norm is NaN or infinite instead of scaling by it. Default false. */
  errorIfNonfinite?: boolean;
}

function tensorsOf(who: string, params: Tensor | Iterable<Tensor>): Tensor[] {
  const list = params instanceof Tensor ? [params] : Array.from(params);
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new TypeError(`${who}: parameter ${i} is not a Tensor`);
  });
  return list;
}

function normOrder(normType: number | 'inf'): number {
  if (normType === 'inf') return Number.POSITIVE_INFINITY;
  if (typeof normType !== 'number' || Number.isNaN(normType)) {
    throw new TypeError(`clipGradNorm: normType must be a number or 'inf', got ${String(normType)}`);
  }
  return normType;
}

/**
 * Scales the gradients of `params` in place so that their norm, taken over all of them together as one
 * vector, is at most `maxNorm`; returns that total norm before clipping. Parameters without a gradient
 * are ignored (0 when none has one). Same operations as PyTorch 1.13's `clip_grad_norm_`: the
 * gradients are multiplied by `min(1, maxNorm / (total + 1e-6))`.
 *
 * @param normType the p of the p-norm: 2 (default), 1, any number, or 'inf' / Infinity for the max norm
 *
 * @example
 * ```ts
 * loss.backward();
 * const norm = clipGradNorm(model.parameters(), 1.0);
 * optimizer.step();
 * ```
 */
export function clipGradNorm(
  params: Tensor | Iterable<Tensor>,
  maxNorm: number,
  normType: number | 'inf' = 2,
  options: ClipGradNormOptions = {},
): number {
  if (typeof maxNorm !== 'number' || Number.isNaN(maxNorm)) {
    throw new TypeError(`clipGradNorm: maxNorm must be a number, got ${String(maxNorm)}`);
  }
  const p = normOrder(normType);
  const list = tensorsOf('clipGradNorm', params);
  return torch.scope(() =>
    torch.noGrad(() => {
      const grads = list.map((t) => t.grad).filter((g): g is Tensor => g !== null);
      if (grads.length === 0) return 0;
      let total: Tensor;
      if (p === Number.POSITIVE_INFINITY) {
        const norms = grads.map((g) => g.abs().max());
        total = norms.length === 1 ? (norms[0] as Tensor) : torch.max(torch.stack(norms));
      } else {
        const norms = grads.map((g) =>
          torch.norm(
            g,
            p,
            Array.from({ length: g.ndim }, (_, d) => d),
          ),
        );
        total = torch.norm(torch.stack(norms), p, [0]);
      }
      const totalNorm = total.item() as number;
      if (options.errorIfNonfinite && !Number.isFinite(totalNorm)) {
        throw new Error(
          `clipGradNorm: the total norm of order ${normType} of the gradients is ${totalNorm}, so it cannot be clipped; ` +
            'pass errorIfNonfinite: false to scale by it anyway',
        );
      }
      // PyTorch: max_norm / (total_norm + 1e-6), which Python evaluates as reciprocal() * max_norm
      const coefficient = total.add(1e-6).reciprocal().mul(maxNorm).clamp({ max: 1 });
      for (const g of grads) g.mul_(coefficient);
      return totalNorm;
    }),
  );
}

/**
 * Clamps every gradient element of `params` to `[-clipValue, clipValue]` in place
 * (torch.nn.utils.clip_grad_value_). Parameters without a gradient are ignored.
 *
 * @example
 * ```ts
 * clipGradValue(model.parameters(), 0.5);
 * ```
 */
export function clipGradValue(params: Tensor | Iterable<Tensor>, clipValue: number): void {
  if (typeof clipValue !== 'number' || !(clipValue >= 0)) {
    throw new RangeError(`clipGradValue: clipValue must be a number >= 0, got ${String(clipValue)}`);
  }
  const list = tensorsOf('clipGradValue', params);
  torch.scope(() =>
    torch.noGrad(() => {
      for (const t of list) t.grad?.clamp_(-clipValue, clipValue);
    }),
  );
}
