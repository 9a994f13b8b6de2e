/**
 * `full` and `arange` with the JS rule for dtypes (see `tensor()`): without a dtype, JS numbers give the
 * default dtype (float32), bigints int64, booleans bool. ATen would infer int64 from a whole number, but
 * JS cannot tell `2.0` from `2`. The raw ATen forms stay reachable as `torch.ops.aten.full.default`, ...
 */
import type { IntList } from './dispatch.js';
import type { DType } from './dtype.js';
import { native } from './native.js';
import * as generated from './ops.generated.js';
import type { Tensor } from './tensor.js';

/** A fill value or bound: a number (default dtype), a bigint (int64) or a boolean (bool). */
export type CreationScalar = number | bigint | boolean;

interface CreationOptions {
  dtype?: DType | null;
  layout?: 'strided' | null;
  device?: string | null;
  pinMemory?: boolean | null;
}

function withDtype<O extends CreationOptions>(values: readonly CreationScalar[], options: O | undefined): O {
  if (options?.dtype != null) return options;
  if (values.some((v) => typeof v === 'bigint') || values.every((v) => typeof v === 'boolean'))
    return { ...options } as O;
  return { ...options, dtype: native.getDefaultDtype() as DType } as O;
}

/**
 * A tensor of `size` filled with `fillValue`, as torch.full; `full([3], 2)` is float32 (give `dtype` or a
 * bigint, `full([3], 2n)`, for int64).
 *
 * @example
 * ```ts
 * torch.full([2, 2], 0.5);                     // float32
 * torch.full([3], 7, { dtype: 'int64' });       // int64
 * ```
 */
export function full(size: IntList, fillValue: CreationScalar, options?: CreationOptions): Tensor {
  return generated.full(size, fillValue as number, withDtype([fillValue], options));
}

/**
 * Values from `start` (default 0) up to `end` (excluded) by `step`, as torch.arange; numbers give the
 * default dtype (float32, like tfjs's range), bigints or `{ dtype: 'int64' }` give integers.
 *
 * @example
 * ```ts
 * torch.arange(5);                               // float32 [0, 1, 2, 3, 4]
 * torch.arange(5, { dtype: 'int64' });           // int64 indices (or torch.arange(5n))
 * torch.arange(0, 1, 0.25);                      // [0, 0.25, 0.5, 0.75]
 * ```
 */
export function arange(end: CreationScalar, options?: CreationOptions): Tensor;
export function arange(
  start: CreationScalar,
  end: CreationScalar,
  options?: CreationOptions & { step?: CreationScalar },
): Tensor;
export function arange(
  start: CreationScalar,
  end: CreationScalar,
  step?: CreationScalar,
  options?: CreationOptions & { step?: CreationScalar },
): Tensor;
export function arange(...args: unknown[]): Tensor {
  const last = args.at(-1);
  const hasOptions = last !== null && typeof last === 'object';
  const options = (hasOptions ? args.pop() : undefined) as (CreationOptions & { step?: CreationScalar }) | undefined;
  const scalars = args as CreationScalar[];
  const values = options?.step !== undefined ? [...scalars, options.step] : scalars;
  return (generated.arange as (...a: unknown[]) => Tensor)(...scalars, withDtype(values, options));
}
