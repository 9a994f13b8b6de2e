/** Test helpers: small ONNX models written node by node (float32 values, int64 or float initializers). */
import type { Attr } from './export/builder.js';
import { encodeModel, type NodeProto, onnx, type TensorProto } from './proto.js';

const A = onnx.AttributeProto.AttributeType;
const T = onnx.TensorProto.DataType;

export interface TinyNode {
  op: string;
  inputs: string[];
  outputs?: string[];
  name?: string;
  attrs?: Record<string, Attr>;
  domain?: string;
}

export interface TinyModel {
  opset?: number;
  nodes: TinyNode[];
  /** graph inputs: name -> shape ('N' for a symbolic dimension) */
  inputs: Record<string, (number | string)[]>;
  outputs: string[];
  initializers?: Record<string, { dims: number[]; floats?: number[]; ints?: number[] }>;
  /** outputs of element type int64 (the others are float32) */
  int64Outputs?: string[];
}

/** Deterministic values in [-1, 1) (a small LCG), so that the models need no RNG. */
export function values(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 1073741824 - 1;
  });
}

/** A float initializer of `dims` with deterministic values. */
export const init = (dims: number[], seed: number) => ({
  dims,
  floats: values(
    dims.reduce((a, b) => a * b, 1),
    seed,
  ),
});

export function floatInit(name: string, dims: number[], values: number[]): TensorProto {
  return { name, dataType: T.FLOAT, dims, rawData: new Uint8Array(Float32Array.from(values).buffer) };
}

export function intInit(name: string, dims: number[], values: number[]): TensorProto {
  return { name, dataType: T.INT64, dims, rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) };
}

function attr(name: string, a: Attr) {
  if ('i' in a) return { name, type: A.INT, i: a.i };
  if ('f' in a) return { name, type: A.FLOAT, f: a.f };
  if ('ints' in a) return { name, type: A.INTS, ints: a.ints };
  if ('floats' in a) return { name, type: A.FLOATS, floats: a.floats };
  return { name, type: A.STRING, s: Buffer.from(a.s) };
}

/** Encodes a small model; node names default to n0, n1, ... and outputs to [name]. */
export function tinyModel(m: TinyModel): Uint8Array {
  const nodes: NodeProto[] = m.nodes.map((n, i) => ({
    name: n.name ?? `n${i}`,
    opType: n.op,
    domain: n.domain ?? '',
    input: n.inputs,
    output: n.outputs ?? [n.name ?? `n${i}`],
    attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attr(k, v)),
  }));
  const dim = (d: number | string) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d });
  const initializer = Object.entries(m.initializers ?? {}).map(([name, v]) =>
    v.ints ? intInit(name, v.dims, v.ints) : floatInit(name, v.dims, v.floats ?? []),
  );
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: m.opset ?? 13 }],
    graph: {
      name: 'tiny',
      node: nodes,
      initializer,
      input: Object.entries(m.inputs).map(([name, shape]) => ({
        name,
        type: { tensorType: { elemType: T.FLOAT, shape: { dim: shape.map(dim) } } },
      })),
      output: m.outputs.map((name) => ({
        name,
        type: { tensorType: { elemType: m.int64Outputs?.includes(name) ? T.INT64 : T.FLOAT } },
      })),
    },
  });
}
