/**
 * Cluster Serving's wire format over Redis (one format, documented here and in README "Serving").
 *
 * Keys, for a serving name N (default 'serving_stream'):
 * - `tszoo:N:requests`: the request stream; consumer group `serving`. Each entry's fields:
 *   `id` (the client's request id, [A-Za-z0-9._:-]{1,128}), `reply` (the stream the result is also added
 *   to, or ''), `kind` ('tensor' or 'bytes'), `dtype` and `shape` (a JSON array: one sample, no batch
 *   dimension) for tensors, and `data`: the tensor's raw little-endian values, or the encoded image
 *   (PNG, JPEG, TIFF, WebP) or DICOM file for 'bytes'.
 * - `tszoo:N:result:<id>`: the result, a JSON string with a TTL:
 *   `{"id","ok":true,"prediction":{"output":[...],"probabilities":{...},"label":...},"worker","claimed"}` or
 *   `{"id","ok":false,"error":"...","status":400|500,"worker"}`.
 * - `tszoo:N:reply:<client>`: a client's reply stream: entries `id`, `result` (the same JSON), with a TTL.
 * - `tszoo:N:batches`: a hash, batch size -> how many batches of that size the workers ran (HINCRBY in the
 *   transaction that writes the batch's results); the HTTP frontend shows it in /metrics.
 *
 * Entries are acknowledged (XACK) and deleted (XDEL) once their result is written, so the stream's length
 * is the backlog; clients refuse to add beyond a length (BusyError), never trim.
 */

import type { Prediction } from '../scores.js';
import { float32Bytes, InputError, payloadToFloat32, type TensorPayload } from '../tensor-payload.js';

export const DEFAULT_NAME = 'serving_stream';
export const GROUP = 'serving';
export const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export const requestsKey = (name: string) => `tszoo:${name}:requests`;
export const resultKey = (name: string, id: string) => `tszoo:${name}:result:${id}`;
export const replyKey = (name: string, client: string) => `tszoo:${name}:reply:${client}`;
export const batchesKey = (name: string) => `tszoo:${name}:batches`;

/** One request's fields, as written to the stream (values as Buffers or strings). */
export type RequestFields = Record<'id' | 'reply' | 'kind' | 'dtype' | 'shape', string> & { data: Buffer };

/** The stream fields of a request. */
export function encodeRequest(id: string, reply: string, input: Uint8Array | TensorPayload): RequestFields {
  if (!REQUEST_ID.test(id)) throw new InputError(`request id ${JSON.stringify(id)} must match ${REQUEST_ID}`);
  if (input instanceof Uint8Array) {
    return {
      id,
      reply,
      kind: 'bytes',
      dtype: '',
      shape: '',
      data: Buffer.from(input.buffer, input.byteOffset, input.byteLength),
    };
  }
  const { shape, data } = payloadToFloat32(input, `request ${id}`);
  const bytes = float32Bytes(data);
  return { id, reply, kind: 'tensor', dtype: 'float32', shape: JSON.stringify(shape), data: Buffer.from(bytes.buffer) };
}

/** A request read back from the stream: image/DICOM bytes or a tensor payload. */
export function decodeRequest(fields: Map<string, Buffer>): {
  id: string;
  reply: string;
  input: Uint8Array | TensorPayload;
} {
  const text = (k: string) => fields.get(k)?.toString('utf8') ?? '';
  const id = text('id');
  const reply = text('reply');
  const data = fields.get('data');
  if (!data) throw new InputError(`request ${id}: no data field`);
  const kind = text('kind');
  if (kind === 'bytes') return { id, reply, input: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  if (kind !== 'tensor') throw new InputError(`request ${id}: kind '${kind}' is neither 'tensor' nor 'bytes'`);
  let shape: unknown;
  try {
    shape = JSON.parse(text('shape'));
  } catch {
    throw new InputError(`request ${id}: shape ${JSON.stringify(text('shape'))} is not JSON`);
  }
  return {
    id,
    reply,
    input: { dtype: text('dtype') as TensorPayload['dtype'], shape: shape as number[], data: new Uint8Array(data) },
  };
}

/** A result as stored and sent. */
export type ResultMessage =
  | {
      id: string;
      ok: true;
      prediction: { output: number[]; probabilities?: Record<string, number>; label?: unknown };
      worker: string;
      claimed: boolean;
    }
  | { id: string; ok: false; error: string; status: number; worker: string };

/** The prediction of a result (output back to float32: JSON carries float32 values exactly). */
export function predictionOf(r: Extract<ResultMessage, { ok: true }>): Prediction {
  const p: Prediction = { output: Float32Array.from(r.prediction.output) };
  if (r.prediction.probabilities) p.probabilities = r.prediction.probabilities;
  if (r.prediction.label !== undefined) p.label = r.prediction.label as Prediction['label'];
  return p;
}

/** Flat [field, value, field, value...] from XREADGROUP into a Map. */
export function fieldMap(flat: Buffer[]): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (let i = 0; i + 1 < flat.length; i += 2) m.set((flat[i] as Buffer).toString('utf8'), flat[i + 1] as Buffer);
  return m;
}
