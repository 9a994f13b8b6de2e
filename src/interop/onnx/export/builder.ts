/**
 * OnnxBuilder: collects the nodes and initializers of a graph being exported, with unique names and
 * the rank of each value (known ranks let a Linear become one Gemm).
 */
import type { DType } from '../../../tensor/dtype.js';
import type { Tensor } from '../../../tensor/tensor.js';
import { type AttributeProto, type NodeProto, onnx, type TensorProto } from '../proto.js';
import { dtypeToOnnx, tensorToProto } from '../tensor-proto.js';

/** An attribute value, typed as ONNX types it. */
export type Attr = { i: number } | { f: number } | { ints: number[] } | { floats: number[] } | { s: string };

const A = onnx.AttributeProto.AttributeType;

function attributeProto(name: string, a: Attr): AttributeProto {
  if ('i' in a) return { name, type: A.INT, i: a.i };
  if ('f' in a) return { name, type: A.FLOAT, f: a.f };
  if ('ints' in a) return { name, type: A.INTS, ints: a.ints };
  if ('floats' in a) return { name, type: A.FLOATS, floats: a.floats };
  return { name, type: A.STRING, s: Buffer.from(a.s, 'utf8') };
}

export class OnnxBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly #names = new Set<string>();
  readonly #ranks = new Map<string, number>();
  readonly #initializerOf = new Map<Tensor, string>();

  /** `dtype`: the element type of the model's activations (scalar constants take it) */
  constructor(
    readonly opset: number,
    readonly dtype: DType = 'float32',
  ) {}

  /** `base`, or `base_2`, `base_3`, ... : a name no node or value has yet. */
  unique(base: string): string {
    let name = base;
    for (let i = 2; this.#names.has(name); i++) name = `${base}_${i}`;
    this.#names.add(name);
    return name;
  }

  /** Declares a graph input (or any value made elsewhere) with its rank. */
  value(name: string, rank?: number): string {
    this.#names.add(name);
    if (rank !== undefined) this.#ranks.set(name, rank);
    return name;
  }

  /** Whether a node or value already has this name. */
  has(name: string): boolean {
    return this.#names.has(name);
  }

  rankOf(value: string): number | undefined {
    return this.#ranks.get(value);
  }

  /**
   * Adds a node named `name` (made unique) whose single output has the same name; returns the output.
   * The output's rank is `rank`, or the first input's.
   */
  node(opType: string, inputs: string[], name: string, attrs: Record<string, Attr> = {}, rank?: number): string {
    const unique = this.unique(name);
    this.nodes.push({
      name: unique,
      opType,
      input: inputs,
      output: [unique],
      attribute: Object.entries(attrs).map(([k, v]) => attributeProto(k, v)),
    });
    const r = rank ?? (inputs[0] !== undefined ? this.#ranks.get(inputs[0]) : undefined);
    if (r !== undefined) this.#ranks.set(unique, r);
    return unique;
  }

  /** Adds a node proto as is (names already unique and registered by the caller). */
  rawNode(node: NodeProto): void {
    this.nodes.push(node);
  }

  /** An initializer holding `t` (once per tensor, however often it is used), named `name` if free. */
  initializer(name: string, t: Tensor): string {
    const known = this.#initializerOf.get(t);
    if (known !== undefined) return known;
    const unique = this.unique(name);
    this.initializers.push(tensorToProto(unique, t.detach()));
    this.#initializerOf.set(t, unique);
    this.#ranks.set(unique, t.ndim);
    return unique;
  }

  /** An int64 initializer (shapes, pads, axes). */
  ints(name: string, values: number[]): string {
    const unique = this.unique(name);
    const raw = new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer);
    this.initializers.push({
      name: unique,
      dataType: onnx.TensorProto.DataType.INT64,
      dims: [values.length],
      rawData: raw,
    });
    this.#ranks.set(unique, 1);
    return unique;
  }

  /** A float scalar (of the builder's dtype) from a Constant node, shared by equal values (Clip bounds): no state-dict entry on import. */
  scalar(name: string, value: number): string {
    if (this.#names.has(name)) return name;
    this.#names.add(name);
    const raw = new Uint8Array((this.dtype === 'float64' ? Float64Array : Float32Array).from([value]).buffer);
    const t = { dataType: dtypeToOnnx(this.dtype === 'float64' ? 'float64' : 'float32'), dims: [], rawData: raw };
    this.nodes.push({
      name,
      opType: 'Constant',
      input: [],
      output: [name],
      attribute: [{ name: 'value', type: A.TENSOR, t }],
    });
    this.#ranks.set(name, 0);
    return name;
  }
}
