/**
 * safetensors: tensors as a JSON header plus raw little-endian bytes; no code runs on load (unlike
 * pickle). Reading validates the header strictly: a bounded header length, known dtypes, offsets inside
 * the data, sizes that match the shapes, no overlaps.
 * Format: https://github.com/huggingface/safetensors (8-byte little-endian header length, header, data).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { type DType, elementSize } from '../tensor/dtype.js';
import { fromBuffer, type Tensor } from '../tensor/tensor.js';
import { writeFileAtomic } from '../util/atomic-write.js';

const TO_FILE: Partial<Record<DType, string>> = {
  float64: 'F64',
  float32: 'F32',
  float16: 'F16',
  bfloat16: 'BF16',
  int64: 'I64',
  int32: 'I32',
  int16: 'I16',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
};
const FROM_FILE: Record<string, DType> = Object.fromEntries(Object.entries(TO_FILE).map(([k, v]) => [v, k as DType]));

/** Largest header accepted (the reference implementation's limit). */
export const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsContent {
  tensors: Record<string, Tensor>;
  /** string-to-string metadata from the header's `__metadata__` */
  metadata: Record<string, string>;
}

function fail(where: string, message: string): never {
  throw new Error(`safetensors${where ? ` ${where}` : ''}: ${message}`);
}

/** Serializes tensors (made contiguous, on CPU) to the safetensors byte layout. */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') fail('', `metadata value for '${k}' must be a string`);
    }
    header.__metadata__ = metadata;
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const name of Object.keys(tensors).sort()) {
    if (name === '__metadata__') fail('', "'__metadata__' cannot name a tensor");
    const t = tensors[name] as Tensor;
    const code = TO_FILE[t.dtype];
    if (code === undefined) fail('', `tensor '${name}' has dtype ${t.dtype}, which safetensors cannot hold here`);
    const bytes = new Uint8Array(t.data().buffer);
    header[name] = { dtype: code, shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data starts 8-byte aligned, as the reference writer does.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([head, Buffer.from(json), ...chunks]);
}

interface Entry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

/** Checks the 8-byte length prefix against the file size; returns the header length. */
function headerLengthOf(prefix: Uint8Array, fileLength: number, where: string): number {
  if (fileLength < 8) fail(where, `file is ${fileLength} bytes, shorter than the 8-byte header length`);
  const headerLength = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) fail(where, `header length ${headerLength} exceeds ${MAX_HEADER_BYTES}`);
  if (headerLength > BigInt(fileLength - 8)) {
    fail(where, `header length ${headerLength} runs past the end of the ${fileLength}-byte file`);
  }
  return Number(headerLength);
}

/** Parses and validates the JSON header against a data section of `dataLength` bytes. */
function parseHeader(
  json: Uint8Array,
  dataLength: number,
  where: string,
): { entries: Entry[]; metadata: Record<string, string> } {
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(json.buffer, json.byteOffset, json.byteLength).toString('utf8'));
  } catch (e) {
    fail(where, `header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    fail(where, 'header must be a JSON object');
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null) fail(where, '__metadata__ must be an object');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(where, `metadata '${k}' must be a string`);
        metadata[k] = v;
      }
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = typeof info?.dtype === 'string' ? FROM_FILE[info.dtype] : undefined;
    if (dtype === undefined) fail(where, `tensor '${name}': unsupported dtype ${JSON.stringify(info?.dtype)}`);
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(where, `tensor '${name}': shape must be a list of non-negative integers`);
    }
    const offsets = info.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(where, `tensor '${name}': data_offsets must be two non-negative integers`);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end || end > dataLength) {
      fail(where, `tensor '${name}': data_offsets [${begin}, ${end}] outside the ${dataLength}-byte data section`);
    }
    const numel = (shape as number[]).reduce((a, d) => a * d, 1);
    if (numel * elementSize(dtype) !== end - begin) {
      fail(
        where,
        `tensor '${name}': shape [${shape}] of ${dtype} needs ${numel * elementSize(dtype)} bytes, offsets give ${end - begin}`,
      );
    }
    entries.push({ name, dtype, shape: shape as number[], begin, end });
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1] as Entry;
    const cur = sorted[i] as Entry;
    if (cur.begin < prev.end) fail(where, `tensors '${prev.name}' and '${cur.name}' overlap`);
  }
  return { entries, metadata };
}

/** Parses and validates safetensors bytes; `where` names the source in error messages. */
export function decodeSafetensors(bytes: Uint8Array, where = ''): SafetensorsContent {
  const headerLength = headerLengthOf(bytes, bytes.byteLength, where);
  const dataStart = 8 + headerLength;
  const { entries, metadata } = parseHeader(bytes.subarray(8, dataStart), bytes.byteLength - dataStart, where);
  const tensors: Record<string, Tensor> = {};
  for (const e of entries) {
    tensors[e.name] = fromBuffer(bytes.subarray(dataStart + e.begin, dataStart + e.end), {
      dtype: e.dtype,
      shape: e.shape,
    });
  }
  return { tensors, metadata };
}

/**
 * Writes tensors to a .safetensors file atomically: a temporary file in the same folder, fsync,
 * rename. A crash leaves either the old file or the new one, never half of one.
 *
 * @example
 * ```ts
 * saveSafetensors('layer.safetensors', { weight: w, bias: b });
 * ```
 */
export function saveSafetensors(
  path: string,
  tensors: Record<string, Tensor>,
  metadata: Record<string, string> = {},
): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/**
 * Reads a .safetensors file into tensors, validating the header first. The file is streamed: the
 * header, then one tensor at a time, so a large file never sits in memory beside its tensors (peak:
 * the tensors plus the largest one's bytes).
 */
export function loadSafetensors(path: string): SafetensorsContent {
  const where = `'${path}'`;
  const fd = openSync(path, 'r');
  const tensors: Record<string, Tensor> = {};
  try {
    const fileLength = fstatSync(fd).size;
    const prefix = Buffer.alloc(8);
    if (fileLength >= 8) readFully(fd, prefix, 0, where);
    const headerLength = headerLengthOf(prefix, fileLength, where);
    const json = Buffer.alloc(headerLength);
    readFully(fd, json, 8, where);
    const dataStart = 8 + headerLength;
    const { entries, metadata } = parseHeader(json, fileLength - dataStart, where);
    for (const e of entries) {
      const bytes = Buffer.alloc(e.end - e.begin);
      readFully(fd, bytes, dataStart + e.begin, where);
      tensors[e.name] = fromBuffer(bytes, { dtype: e.dtype, shape: e.shape });
    }
    return { tensors, metadata };
  } catch (e) {
    for (const t of Object.values(tensors)) t.dispose();
    throw e;
  } finally {
    closeSync(fd);
  }
}

function readFully(fd: number, into: Buffer, position: number, where: string): void {
  let done = 0;
  while (done < into.byteLength) {
    const n = readSync(fd, into, done, into.byteLength - done, position + done);
    if (n === 0) fail(where, `file ended early at byte ${position + done} (was it truncated while reading?)`);
    done += n;
  }
}
