/** Hand-written Tensor methods that need ops: conversions between dtypes and devices. */

import { ops } from './dispatch.js';
import { DTYPES, type DType } from './dtype.js';
import { Tensor } from './tensor.js';

declare module './tensor.js' {
  interface Tensor {
    /** Converts to a dtype or moves to a device ('cpu', 'cuda:0'); returns this tensor if nothing changes. */
    to(target: DType | string, options?: { copy?: boolean; nonBlocking?: boolean }): Tensor;
    float(): Tensor;
    double(): Tensor;
    long(): Tensor;
    int(): Tensor;
    bool(): Tensor;
    half(): Tensor;
    cpu(): Tensor;
  }
}

const DTYPE_SET = new Set<string>(DTYPES);

function to(this: Tensor, target: DType | string, options: { copy?: boolean; nonBlocking?: boolean } = {}): Tensor {
  const opts = { nonBlocking: options.nonBlocking ?? false, copy: options.copy ?? false };
  const aten = ops.aten as Record<string, Record<string, (...a: unknown[]) => unknown>>;
  const to = aten.to as Record<string, (...a: unknown[]) => unknown>;
  if (DTYPE_SET.has(target)) return to.dtype?.(this, target, opts) as Tensor;
  return to.device?.(this, target, this.dtype, opts) as Tensor;
}

const methods: Record<string, (this: Tensor, ...args: never[]) => Tensor> = {
  to,
  float(this: Tensor) {
    return to.call(this, 'float32');
  },
  double(this: Tensor) {
    return to.call(this, 'float64');
  },
  long(this: Tensor) {
    return to.call(this, 'int64');
  },
  int(this: Tensor) {
    return to.call(this, 'int32');
  },
  bool(this: Tensor) {
    return to.call(this, 'bool');
  },
  half(this: Tensor) {
    return to.call(this, 'float16');
  },
  cpu(this: Tensor) {
    return to.call(this, 'cpu');
  },
};
for (const [name, fn] of Object.entries(methods)) {
  Object.defineProperty(Tensor.prototype, name, { value: fn, writable: true, configurable: true });
}
