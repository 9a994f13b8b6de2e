/**
 * Typed, checked access to a node's attributes. Each converter names the attributes it understands;
 * any other attribute on the node is an error (never silently ignored), as is a wrong attribute type.
 */
import type { Tensor } from '../../tensor/tensor.js';
import { type AttributeProto, fail, type Int64, onnx, toInt } from './proto.js';
import { tensorFromProto } from './tensor-proto.js';

const A = onnx.AttributeProto.AttributeType;

/** What a node is, for error messages: "node 'Conv_3' (Conv, opset 13)". */
export interface NodeLabel {
  name: string;
  opType: string;
  opset: number;
  where: string;
}

export function describeNode(n: NodeLabel): string {
  return `node '${n.name}' (${n.opType}, opset ${n.opset})`;
}

/** Throws an error about a node, naming it, its op type and the opset. */
export function nodeError(n: NodeLabel, message: string): never {
  fail(n.where, `${describeNode(n)}: ${message}`);
}

export class NodeAttributes {
  readonly #byName = new Map<string, AttributeProto>();

  constructor(
    readonly node: NodeLabel,
    attributes: readonly AttributeProto[],
  ) {
    for (const a of attributes) {
      if (a.refAttrName) nodeError(node, `attribute '${a.name}' refers to a function attribute, not supported`);
      this.#byName.set(a.name ?? '', a);
    }
  }

  /** Fails on any attribute outside `known`. */
  allow(known: readonly string[]): this {
    for (const name of this.#byName.keys()) {
      if (!known.includes(name)) {
        nodeError(this.node, `attribute '${name}' is not supported (supported: ${known.join(', ') || 'none'})`);
      }
    }
    return this;
  }

  has(name: string): boolean {
    return this.#byName.has(name);
  }

  #get(name: string, type: number): AttributeProto | undefined {
    const a = this.#byName.get(name);
    if (a === undefined) return undefined;
    // Old exporters leave `type` unset; accept when the matching field is present.
    if (a.type && a.type !== type) {
      nodeError(this.node, `attribute '${name}' has type ${A[a.type] ?? a.type}, expected ${A[type]}`);
    }
    return a;
  }

  int(name: string, fallback: number): number {
    const a = this.#get(name, A.INT);
    return a ? toInt(a.i as Int64, `attribute '${name}'`, this.node.where) : fallback;
  }

  ints(name: string): number[] | undefined {
    const a = this.#get(name, A.INTS);
    return a ? (a.ints ?? []).map((v) => toInt(v as Int64, `attribute '${name}'`, this.node.where)) : undefined;
  }

  float(name: string, fallback: number): number {
    const a = this.#get(name, A.FLOAT);
    return a ? (a.f ?? 0) : fallback;
  }

  floats(name: string): number[] | undefined {
    const a = this.#get(name, A.FLOATS);
    return a ? [...(a.floats ?? [])] : undefined;
  }

  string(name: string, fallback: string): string {
    const a = this.#get(name, A.STRING);
    return a ? Buffer.from(a.s ?? new Uint8Array()).toString('utf8') : fallback;
  }

  tensor(name: string): Tensor | undefined {
    const a = this.#get(name, A.TENSOR);
    if (!a) return undefined;
    if (!a.t) nodeError(this.node, `attribute '${name}' holds no tensor`);
    return tensorFromProto(a.t, `${describeNode(this.node)} attribute '${name}'`, this.node.where);
  }

  /** Fails unless `value` is one of `allowed`. */
  oneOf<T extends string | number>(name: string, value: T, allowed: readonly T[]): T {
    if (!allowed.includes(value)) {
      nodeError(
        this.node,
        `attribute ${name}=${JSON.stringify(value)} is not supported (supported: ${allowed.join(', ')})`,
      );
    }
    return value;
  }
}
