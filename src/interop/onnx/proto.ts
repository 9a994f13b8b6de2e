/**
 * The ONNX protobuf schema (onnx-proto, compiled by protobufjs from onnx.proto) and the checks every
 * decoded model passes before anything else reads it: a graph, an IR version, a default-domain opset
 * in the range tszoo implements. int64 fields arrive as protobufjs `Long`s; `toInt` turns them into
 * numbers or fails on values a number cannot hold exactly.
 */
import onnxProto from 'onnx-proto';

export const onnx = onnxProto.onnx;
export type ModelProto = onnxProto.onnx.ModelProto;
export type GraphProto = onnxProto.onnx.IGraphProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;

/** Opsets of the default ('' or 'ai.onnx') domain that import understands. */
export const MIN_IMPORT_OPSET = 9;
export const MAX_IMPORT_OPSET = 18;

/** A protobufjs int64: a number, or a Long-like object. */
export type Int64 = number | { toNumber(): number; toString(): string } | null | undefined;

/** An error about an ONNX file or model; `where` names the file (or 'bytes'). */
export class OnnxError extends Error {
  override name = 'OnnxError';
}

export function fail(where: string, message: string): never {
  throw new OnnxError(`onnx ${where}: ${message}`);
}

/** An int64 field as a number; throws when it is not a safe integer. */
export function toInt(v: Int64, what: string, where: string): number {
  if (v === null || v === undefined) return 0;
  const n = typeof v === 'number' ? v : Number(v.toString());
  if (!Number.isSafeInteger(n)) fail(where, `${what} = ${String(v)} is not a safe integer`);
  return n;
}

/**
 * Decodes ONNX ModelProto bytes and checks that they describe a model: protobuf errors (truncated
 * files, lengths past the end) and files of another format become an OnnxError naming the source.
 * protobufjs checks every declared length against the bytes it has, so a huge declared size fails
 * here without allocating.
 */
export function decodeModel(bytes: Uint8Array, where: string): { model: ModelProto; opset: number } {
  if (bytes.byteLength === 0) fail(where, 'the file is empty');
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    fail(where, `not a valid ONNX protobuf, truncated or another format (${(e as Error).message})`);
  }
  const ir = toInt(model.irVersion as Int64, 'ir_version', where);
  if (ir <= 0 || ir > 20 || !model.graph) {
    fail(where, `not an ONNX model (ir_version ${ir}, ${model.graph ? 'a graph' : 'no graph'}); wrong file type?`);
  }
  let opset: number | undefined;
  for (const o of model.opsetImport ?? []) {
    if (!o.domain || o.domain === 'ai.onnx') opset = toInt(o.version as Int64, 'opset version', where);
  }
  // IR version 3 and later must declare opsets; older files mean opset 1, which is out of range anyway.
  if (opset === undefined) fail(where, 'the model imports no default-domain (ai.onnx) opset');
  if (opset < MIN_IMPORT_OPSET || opset > MAX_IMPORT_OPSET) {
    fail(where, `opset ${opset} is outside the supported ${MIN_IMPORT_OPSET}-${MAX_IMPORT_OPSET}`);
  }
  return { model, opset };
}

/** Encodes a ModelProto (plain object form) to bytes. */
export function encodeModel(model: onnxProto.onnx.IModelProto): Uint8Array {
  const err = onnx.ModelProto.verify(model);
  if (err) throw new OnnxError(`onnx export: invalid model (${err})`);
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
