/**
 * A tensor as data on the wire: dtype, shape and values (JSON numbers or raw little-endian bytes). The one
 * tensor format of the HTTP API and of Cluster Serving's Redis entries.
 */

/** Element types a request may carry; every one is converted to float32 before the model runs. */
export const PAYLOAD_DTYPES = ['float32', 'float64', 'uint8', 'int32', 'int64'] as const;
export type PayloadDType = (typeof PAYLOAD_DTYPES)[number];

/**
 * A tensor as JSON (`data` a flat array of numbers in row-major order) or as bytes (`data` raw
 * little-endian values).
 *
 * @example
 * ```ts
 * const t: TensorPayload = { dtype: 'float32', shape: [1, 28, 28], data: new Array(784).fill(0) };
 * ```
 */
export interface TensorPayload {
  dtype: PayloadDType;
  shape: number[];
  data: ArrayLike<number> | Uint8Array;
}

/** A request that cannot be turned into a model input: the server answers 400 (or an error result). */
export class InputError extends Error {
  override name = 'InputError';
}

const BYTES: Record<PayloadDType, number> = { float32: 4, float64: 8, uint8: 1, int32: 4, int64: 8 };

/** True for a plain object with dtype, shape and data (the JSON tensor form). */
export function isTensorPayload(v: unknown): v is TensorPayload {
  return typeof v === 'object' && v !== null && 'dtype' in v && 'shape' in v && 'data' in v;
}

/** Checks a shape: 1 to 8 dims, each a positive integer, at most 2^28 elements in all. */
export function checkShape(shape: unknown, where: string): number[] {
  if (!Array.isArray(shape) || shape.length === 0 || shape.length > 8) {
    throw new InputError(`${where}: shape must be an array of 1 to 8 sizes, got ${JSON.stringify(shape)}`);
  }
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 1)
      throw new InputError(`${where}: shape sizes must be positive integers, got [${shape}]`);
    n *= d as number;
  }
  if (n > 2 ** 28) throw new InputError(`${where}: shape [${shape}] has too many elements (${n})`);
  return shape as number[];
}

/**
 * The payload's values as float32, after checking dtype, shape and length.
 *
 * @throws {InputError} naming what is wrong (unknown dtype, bad shape, wrong number of values, non-numbers).
 */
export function payloadToFloat32(p: TensorPayload, where = 'tensor'): { shape: number[]; data: Float32Array } {
  if (!PAYLOAD_DTYPES.includes(p.dtype)) {
    throw new InputError(`${where}: dtype '${String(p.dtype)}' is not one of ${PAYLOAD_DTYPES.join(', ')}`);
  }
  const shape = checkShape(p.shape, where);
  const count = shape.reduce((a, b) => a * b, 1);
  const { data } = p;
  if (data instanceof Uint8Array) {
    const size = BYTES[p.dtype];
    if (data.byteLength !== count * size) {
      throw new InputError(
        `${where}: ${data.byteLength} bytes do not hold shape [${shape}] of ${p.dtype} (${count * size} bytes)`,
      );
    }
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const o = i * size;
      out[i] =
        p.dtype === 'float32'
          ? view.getFloat32(o, true)
          : p.dtype === 'float64'
            ? view.getFloat64(o, true)
            : p.dtype === 'uint8'
              ? view.getUint8(o)
              : p.dtype === 'int32'
                ? view.getInt32(o, true)
                : Number(view.getBigInt64(o, true));
    }
    return { shape, data: out };
  }
  if (!Array.isArray(data) && !ArrayBuffer.isView(data)) {
    throw new InputError(`${where}: data must be an array of numbers`);
  }
  if (data.length !== count) {
    throw new InputError(`${where}: ${data.length} values do not fill shape [${shape}] (${count} values)`);
  }
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const v = data[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new InputError(`${where}: data[${i}] is ${JSON.stringify(v)}, not a finite number`);
    }
    out[i] = v;
  }
  return { shape, data: out };
}

/** float32 values as raw little-endian bytes (the wire form of a tensor). */
export function float32Bytes(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i] as number, true);
  return out;
}
