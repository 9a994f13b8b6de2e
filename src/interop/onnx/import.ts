/**
 * importOnnx: an ONNX file (or bytes) to a trainable OnnxGraph. The graph is checked before anything
 * runs: every node's op and attributes are known for the model's opset, every input has a producer
 * (graph input, initializer or node), no value is produced twice, and there is no cycle.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isFloatingDType } from '../../tensor/dtype.js';
import { keep } from '../../tensor/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import { NodeAttributes, type NodeLabel, nodeError } from './attributes.js';
import { OnnxGraph } from './graph.js';
import type { GraphNode, GraphSpec, OnnxInputInfo } from './graph-types.js';
import { CONVERTERS } from './ops/registry.js';
import {
  decodeModel,
  fail,
  type GraphProto,
  type Int64,
  type NodeProto,
  onnx,
  type TensorProto,
  toInt,
} from './proto.js';
import { dtypeFromOnnx, tensorFromProto } from './tensor-proto.js';

export interface ImportOnnxOptions {
  /**
   * PyTorch's exporter shares equal initializers between layers through Identity nodes (all the zero
   * biases of folded batch norms, say). By default each such Identity output becomes a parameter of
   * its own, so that layers do not train tied together; false keeps the file's sharing.
   */
  untieIdentityInitializers?: boolean;
}

/**
 * Reads an ONNX model into a trainable module.
 *
 * @example
 * ```ts
 * const resnet = await importOnnx('resnet50.onnx');          // local file: torchvision export or ONNX model zoo
 * const logits = resnet.eval().forward(x);                     // x: [N, 3, 224, 224]
 * ```
 */
export async function importOnnx(source: string | Uint8Array, options: ImportOnnxOptions = {}): Promise<OnnxGraph> {
  if (typeof source !== 'string') return importOnnxSync(source, options);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(source);
  } catch (e) {
    fail(`'${source}'`, `cannot read the file (${(e as Error).message})`);
  }
  return buildGraph(bytes, `'${source}'`, dirname(source), options);
}

/** importOnnx without a promise. */
export function importOnnxSync(source: string | Uint8Array, options: ImportOnnxOptions = {}): OnnxGraph {
  if (typeof source !== 'string') return buildGraph(source, 'bytes', undefined, options);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(source);
  } catch (e) {
    fail(`'${source}'`, `cannot read the file (${(e as Error).message})`);
  }
  return buildGraph(bytes, `'${source}'`, dirname(source), options);
}

function buildGraph(
  bytes: Uint8Array,
  where: string,
  baseDir: string | undefined,
  options: ImportOnnxOptions,
): OnnxGraph {
  const { model, opset } = decodeModel(bytes, where);
  const graph = model.graph as GraphProto;
  const protos = new Map<string, TensorProto>();
  for (const t of graph.initializer ?? []) {
    if (!t.name) fail(where, 'an initializer has no name');
    if (protos.has(t.name)) fail(where, `initializer '${t.name}' is defined twice`);
    protos.set(t.name, t);
  }
  if ((graph.sparseInitializer ?? []).length > 0) fail(where, 'sparse initializers are not supported');
  let nodes = (graph.node ?? []).map((n, i) => ({ proto: n, name: n.name || `${n.opType ?? 'node'}_${i}` }));
  // Identity of an initializer: a copy of it under the output name (see untieIdentityInitializers).
  const aliases = new Map<string, string>();
  if (options.untieIdentityInitializers !== false) {
    nodes = nodes.filter(({ proto }) => {
      const src = proto.input?.[0];
      const out = proto.output?.[0];
      if (proto.opType !== 'Identity' || (proto.domain ?? '') !== '' || !src || !out || !protos.has(src)) return true;
      if (protos.has(out)) return true;
      aliases.set(out, src);
      return false;
    });
  }
  const sorted = topologicalOrder(nodes, graph, protos, aliases, opset, where);
  const inputs = graphInputs(graph, protos, where);
  const outputs = (graph.output ?? []).map((o) => o.name ?? '');
  const produced = new Set([
    ...sorted.flatMap((n) => n.proto.output ?? []),
    ...inputs.map((i) => i.name),
    ...protos.keys(),
    ...aliases.keys(),
  ]);
  for (const o of outputs) if (!produced.has(o)) fail(where, `graph output '${o}' is not produced by any node`);
  if (outputs.length === 0) fail(where, 'the graph has no outputs');

  // Which initializers train: the weight and bias slots of the nodes that read them.
  const trainable = new Set<string>();
  for (const { proto } of sorted) {
    for (const slot of CONVERTERS[proto.opType ?? '']?.trainableInputs ?? []) {
      const name = proto.input?.[slot];
      if (name) trainable.add(name);
    }
  }
  const used = new Set([...sorted.flatMap((n) => n.proto.input ?? []), ...outputs]);
  const needed = new Set([...used, ...aliases.values()]);
  const initializers: GraphSpec['initializers'] = new Map();
  const made: Tensor[] = [];
  try {
    const read = new Map<string, Tensor>();
    for (const [name, proto] of protos) {
      if (!needed.has(name)) continue;
      const t = keep(tensorFromProto(proto, `initializer '${name}'`, where, { baseDir }));
      made.push(t);
      read.set(name, t);
      if (used.has(name))
        initializers.set(name, { tensor: t, trainable: trainable.has(name) && isFloatingDType(t.dtype) });
    }
    for (const [alias, src] of aliases) {
      if (!used.has(alias)) continue;
      const t = keep((read.get(src) as Tensor).clone());
      made.push(t);
      initializers.set(alias, { tensor: t, trainable: trainable.has(alias) && isFloatingDType(t.dtype) });
    }
    for (const [name, t] of read) if (!initializers.has(name)) t.dispose();
    const graphNodes = sorted.map((n) => prepareNode(n.proto, n.name, opset, where, made));
    return new OnnxGraph({ where, opset, inputs, outputs, nodes: graphNodes, initializers });
  } catch (e) {
    for (const t of made) t.dispose();
    throw e;
  }
}

function prepareNode(proto: NodeProto, name: string, opset: number, where: string, made: Tensor[]): GraphNode {
  const opType = proto.opType ?? '';
  const label: NodeLabel = { name, opType, opset, where };
  const converter = CONVERTERS[opType];
  if (!converter) nodeError(label, 'unsupported op type');
  const constants: Tensor[] = [];
  const inputs = [...(proto.input ?? [])];
  const outputs = [...(proto.output ?? [])];
  const run = converter.prepare({
    node: label,
    attrs: new NodeAttributes(label, proto.attribute ?? []),
    opset,
    inputs,
    outputs,
    constant(t) {
      keep(t);
      made.push(t);
      constants.push(t);
      return t;
    },
  });
  // A copy of the node, so that its attributes do not keep the whole file's buffer alive.
  const copy = onnx.NodeProto.decode(onnx.NodeProto.encode(proto).finish());
  return { label, inputs, outputs, run, proto: copy, constants };
}

/** Graph inputs that are not initializers (older files list initializers among the inputs). */
function graphInputs(graph: GraphProto, protos: Map<string, TensorProto>, where: string): OnnxInputInfo[] {
  const out: OnnxInputInfo[] = [];
  for (const v of graph.input ?? []) {
    const name = v.name ?? '';
    if (protos.has(name)) continue;
    const tensorType = v.type?.tensorType;
    if (!tensorType) fail(where, `graph input '${name}' is not a tensor`);
    const dtype = dtypeFromOnnx(tensorType.elemType ?? 0, `graph input '${name}'`, where);
    const shape = tensorType.shape
      ? (tensorType.shape.dim ?? []).map((d) =>
          d.dimParam
            ? d.dimParam
            : d.dimValue !== null && d.dimValue !== undefined
              ? toInt(d.dimValue as Int64, 'dimension', where)
              : null,
        )
      : null;
    out.push({ name, dtype, shape });
  }
  return out;
}

/**
 * Kahn's algorithm over the nodes. Fails on an input that nothing produces (a missing initializer),
 * on a value produced twice, on unknown domains, and on cycles (naming the nodes left on one).
 */
function topologicalOrder<N extends { proto: NodeProto; name: string }>(
  nodes: N[],
  graph: GraphProto,
  protos: Map<string, TensorProto>,
  aliases: Map<string, string>,
  opset: number,
  where: string,
): N[] {
  const available = new Set<string>([
    '',
    ...protos.keys(),
    ...aliases.keys(),
    ...(graph.input ?? []).map((i) => i.name ?? ''),
  ]);
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => {
    const label = { name: n.name, opType: n.proto.opType ?? '', opset, where };
    const domain = n.proto.domain ?? '';
    if (domain !== '' && domain !== 'ai.onnx') nodeError(label, `op domain '${domain}' is not supported`);
    for (const o of n.proto.output ?? []) {
      if (o === '') continue;
      if (producer.has(o) || available.has(o))
        nodeError(label, `output '${o}' is already defined elsewhere in the graph`);
      producer.set(o, i);
    }
  });
  nodes.forEach((n) => {
    for (const input of n.proto.input ?? []) {
      if (!available.has(input) && !producer.has(input)) {
        nodeError(
          { name: n.name, opType: n.proto.opType ?? '', opset, where },
          `input '${input}' is neither a graph input, an initializer nor any node's output (missing initializer?)`,
        );
      }
    }
  });
  const waiting = nodes.map((n) => new Set((n.proto.input ?? []).filter((x) => !available.has(x))).size);
  const readers = new Map<string, number[]>();
  nodes.forEach((n, i) => {
    for (const x of new Set(n.proto.input ?? [])) if (!available.has(x)) readers.set(x, [...(readers.get(x) ?? []), i]);
  });
  const ready = nodes.map((_, i) => i).filter((i) => waiting[i] === 0);
  const order: N[] = [];
  while (ready.length > 0) {
    // the earliest ready node first, so that a file already in order keeps its order
    const i = ready.reduce((a, b) => Math.min(a, b));
    ready.splice(ready.indexOf(i), 1);
    const n = nodes[i] as N;
    order.push(n);
    for (const o of n.proto.output ?? []) {
      for (const r of readers.get(o) ?? []) {
        waiting[r] = (waiting[r] as number) - 1;
        if (waiting[r] === 0) ready.push(r);
      }
    }
  }
  if (order.length !== nodes.length) {
    const stuck = nodes.filter((_, i) => (waiting[i] as number) > 0).map((n) => `'${n.name}'`);
    fail(
      where,
      `the graph has a cycle through nodes ${stuck.slice(0, 8).join(', ')}${stuck.length > 8 ? ', ...' : ''}`,
    );
  }
  return order;
}
