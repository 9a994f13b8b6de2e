/**
 * ONNX TensorProto <-> tszoo Tensor: element types, raw little-endian bytes or the typed repeated
 * fields, and external data files next to the model. Sizes are checked against the bytes present
 * before anything is allocated.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { isAbsolute, join, normalize, relative } from 'node:path';
import { type DType, elementSize } from '../../tensor/dtype.js';
import { fromBuffer, type Tensor, tensor } from '../../tensor/tensor.js';
import { fail, type Int64, onnx, type TensorProto, toInt } from './proto.js';

const T = onnx.TensorProto.DataType;

const FROM_ONNX: Partial<Record<number, DType>> = {
  [T.FLOAT]: 'float32',
  [T.DOUBLE]: 'float64',
  [T.FLOAT16]: 'float16',
  [T.BFLOAT16]: 'bfloat16',
  [T.INT64]: 'int64',
  [T.INT32]: 'int32',
  [T.INT16]: 'int16',
  [T.INT8]: 'int8',
  [T.UINT8]: 'uint8',
  [T.BOOL]: 'bool',
};

const TO_ONNX: Partial<Record<DType, number>> = Object.fromEntries(
  Object.entries(FROM_ONNX).map(([k, v]) => [v, Number(k)]),
);

/** The tszoo dtype of an ONNX element type, or an error naming it. */
export function dtypeFromOnnx(code: number, what: string, where: string): DType {
  const d = FROM_ONNX[code];
  if (d === undefined) {
    const name = (T as unknown as Record<number, string>)[code] ?? String(code);
    fail(where, `${what}: element type ${name} is not supported`);
  }
  return d;
}

/** The ONNX element type of a tszoo dtype. */
export function dtypeToOnnx(dtype: DType): number {
  const code = TO_ONNX[dtype];
  if (code === undefined) throw new Error(`onnx export: dtype ${dtype} has no ONNX element type here`);
  return code;
}

/** Where external tensor data may be read from: the model's folder. */
export interface ExternalDataContext {
  /** folder of the model file; external data is refused for models given as bytes */
  baseDir?: string;
}

/** Reads a TensorProto into a new tensor. `what` names the tensor in errors ("initializer 'fc.weight'"). */
export function tensorFromProto(t: TensorProto, what: string, where: string, ctx: ExternalDataContext = {}): Tensor {
  const dtype = dtypeFromOnnx(t.dataType ?? 0, what, where);
  const shape = (t.dims ?? []).map((d) => toInt(d as Int64, `${what} dimension`, where));
  if (shape.some((d) => d < 0)) fail(where, `${what}: negative dimension in [${shape.join(', ')}]`);
  let numel = 1;
  for (const d of shape) {
    numel *= d;
    if (numel > 2 ** 48) fail(where, `${what}: shape [${shape.join(', ')}] is absurdly large`);
  }
  if (t.segment) fail(where, `${what}: segmented tensors are not supported`);
  const bytes = numel * elementSize(dtype);
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    return fromBuffer(readExternal(t, bytes, what, where, ctx), { dtype, shape });
  }
  if (t.rawData && t.rawData.byteLength > 0) {
    if (t.rawData.byteLength !== bytes) {
      fail(
        where,
        `${what}: shape [${shape.join(', ')}] of ${dtype} needs ${bytes} bytes, raw_data has ${t.rawData.byteLength}`,
      );
    }
    return fromBuffer(t.rawData, { dtype, shape });
  }
  const values = typedField(t, dtype);
  if (values.length !== numel) {
    fail(where, `${what}: shape [${shape.join(', ')}] needs ${numel} values, the tensor holds ${values.length}`);
  }
  if (dtype === 'int64') {
    const out = new BigInt64Array(numel);
    for (let i = 0; i < numel; i++) out[i] = BigInt(String(values[i]));
    return fromBuffer(out, { dtype, shape });
  }
  if (dtype === 'float16' || dtype === 'bfloat16') {
    // int32_data holds the 16-bit patterns
    return fromBuffer(Uint16Array.from(values as number[]), { dtype, shape });
  }
  return tensor(
    (values as number[]).map((v) => Number(v)),
    { dtype, shape },
  );
}

function typedField(t: TensorProto, dtype: DType): ArrayLike<unknown> {
  switch (dtype) {
    case 'float32':
      return t.floatData ?? [];
    case 'float64':
      return t.doubleData ?? [];
    case 'int64':
      return t.int64Data ?? [];
    default:
      return t.int32Data ?? [];
  }
}

function readExternal(t: TensorProto, bytes: number, what: string, where: string, ctx: ExternalDataContext): Buffer {
  if (!ctx.baseDir) fail(where, `${what}: external data needs the model's file path (it was given as bytes)`);
  const info = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = info.get('location');
  if (!location) fail(where, `${what}: external data without a location`);
  // The location is relative to the model's folder and may not leave it.
  const rel = normalize(location);
  if (isAbsolute(rel) || relative(ctx.baseDir, join(ctx.baseDir, rel)).startsWith('..')) {
    fail(where, `${what}: external data location '${location}' leaves the model's folder`);
  }
  const offset = Number(info.get('offset') ?? 0);
  const length = info.has('length') ? Number(info.get('length')) : bytes;
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length !== bytes) {
    fail(
      where,
      `${what}: external data offset ${info.get('offset')} / length ${info.get('length')} do not fit ${bytes} bytes`,
    );
  }
  const path = join(ctx.baseDir, rel);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    fail(where, `${what}: cannot open external data '${location}' (${(e as Error).message})`);
  }
  try {
    const size = fstatSync(fd).size;
    if (offset + bytes > size) {
      fail(
        where,
        `${what}: external data [${offset}, ${offset + bytes}) runs past the end of the ${size}-byte '${location}'`,
      );
    }
    const out = Buffer.alloc(bytes);
    let done = 0;
    while (done < bytes) {
      const n = readSync(fd, out, done, bytes - done, offset + done);
      if (n === 0) fail(where, `${what}: external data '${location}' ended early`);
      done += n;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/** A tensor as a TensorProto with raw little-endian data (made contiguous). */
export function tensorToProto(name: string, t: Tensor): TensorProto {
  const data = t.data();
  return {
    name,
    dataType: dtypeToOnnx(t.dtype),
    dims: t.shape,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}
