/**
 * IDX files (the MNIST / Fashion-MNIST format), plain or gzipped: a magic number giving the element
 * type and rank, big-endian dimension sizes, then the data in row-major order.
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { type DType, fromBuffer, type Tensor } from '../tensor/index.js';

const TYPES: Record<number, { dtype: DType; size: number; name: string }> = {
  8: { dtype: 'uint8', size: 1, name: 'uint8' },
  9: { dtype: 'int8', size: 1, name: 'int8' },
  11: { dtype: 'int16', size: 2, name: 'int16' },
  12: { dtype: 'int32', size: 4, name: 'int32' },
  13: { dtype: 'float32', size: 4, name: 'float32' },
  14: { dtype: 'float64', size: 8, name: 'float64' },
};

/** Decodes IDX bytes (already gunzipped) into a tensor; `where` names the source in errors. */
export function decodeIdx(bytes: Uint8Array, where = 'idx'): Tensor {
  if (bytes.byteLength < 4) throw new Error(`${where}: ${bytes.byteLength} bytes, too short for an IDX header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(0) !== 0) throw new Error(`${where}: not an IDX file (magic 0x${view.getUint32(0).toString(16)})`);
  const type = TYPES[view.getUint8(2)];
  if (!type) throw new Error(`${where}: unknown IDX element type 0x${view.getUint8(2).toString(16)}`);
  const rank = view.getUint8(3);
  const headerBytes = 4 + 4 * rank;
  if (rank === 0 || bytes.byteLength < headerBytes) throw new Error(`${where}: truncated IDX header (rank ${rank})`);
  const shape: number[] = [];
  let count = 1;
  for (let i = 0; i < rank; i++) {
    const d = view.getUint32(4 + 4 * i);
    shape.push(d);
    count *= d;
  }
  const expected = count * type.size;
  const actual = bytes.byteLength - headerBytes;
  if (expected !== actual) {
    throw new Error(
      `${where}: shape [${shape.join(', ')}] of ${type.name} needs ${expected} bytes of data, found ${actual}`,
    );
  }
  let data = bytes.subarray(headerBytes);
  if (type.size > 1) {
    // IDX is big-endian; tensors are little-endian on every machine we run on.
    const swapped = new Uint8Array(data.byteLength);
    for (let i = 0; i < data.byteLength; i += type.size) {
      for (let j = 0; j < type.size; j++) swapped[i + j] = data[i + type.size - 1 - j] as number;
    }
    data = swapped;
  }
  return fromBuffer(data, { dtype: type.dtype, shape });
}

/** Reads an IDX file (gzipped when the name ends in .gz or the bytes start with the gzip magic). */
export async function readIdx(path: string): Promise<Tensor> {
  let bytes: Uint8Array = await readFile(path);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: 2 ** 31 - 1 });
    } catch (e) {
      throw new Error(`${path}: corrupt gzip data (${(e as Error).message})`);
    }
  }
  return decodeIdx(bytes, path);
}
