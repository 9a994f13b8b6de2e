/**
 * `base ** exponent` rounded exactly as C's pow() rounds it, which is what PyTorch's optimizers get from
 * Python's `beta ** step`. V8's Math.pow differs from glibc's pow in the last bit for about one call in
 * twelve, which would make Adam's bias corrections differ from PyTorch's; ATen's pow calls std::pow.
 */
import * as torch from '../tensor/index.js';

const cache = new Map<string, number>();

/** pow(base, exponent) as glibc computes it (memoized: every parameter of a step asks for the same values). */
export function libmPow(base: number, exponent: number): number {
  const key = `${base}^${exponent}`;
  let value = cache.get(key);
  if (value === undefined) {
    value = torch.scope(() => torch.pow(base, torch.tensor(exponent, { dtype: 'float64' })).item() as number);
    if (cache.size >= 64) cache.clear();
    cache.set(key, value);
  }
  return value;
}
