/**
 * Exporter for imported graphs (OnnxGraph), alone or inside a larger model: the nodes are written
 * back as read, value and node names prefixed by the module path when nested, initializers named by
 * state-dict key and holding the current (possibly fine-tuned) values.
 */
import { OnnxGraph } from '../graph.js';
import type { NodeProto } from '../proto.js';
import { type EmitContext, registerOnnxExporter } from './emitter.js';

function emitGraph(g: OnnxGraph, x: string, ctx: EmitContext): string {
  if (g.opset !== ctx.b.opset) {
    throw new Error(
      `onnx export: module '${ctx.path || '(root)'}' is an ONNX graph of opset ${g.opset}; export with { opset: ${g.opset} }`,
    );
  }
  if (g.inputs.length !== 1) {
    throw new Error(
      `onnx export: module '${ctx.path || '(root)'}' has ${g.inputs.length} inputs; only one can be chained`,
    );
  }
  const prefix = ctx.path ? `${ctx.path}.` : '';
  const rename = new Map<string, string>([
    ['', ''],
    [g.inputNames[0] as string, x],
  ]);
  for (const [value, { tensor }] of g.initializerEntries()) {
    rename.set(value, ctx.b.initializer(prefix + (g.tensorKeys.get(value) ?? value), tensor));
  }
  for (const node of g.nodes) {
    for (const o of node.outputs) if (o) rename.set(o, ctx.b.value(ctx.b.unique(prefix + o)));
    const copy: NodeProto = {
      ...node.proto,
      name: ctx.b.unique(prefix + node.label.name),
      input: node.inputs.map((i) => rename.get(i) as string),
      output: node.outputs.map((o) => rename.get(o) as string),
    };
    ctx.b.rawNode(copy);
  }
  return rename.get(g.outputNames[0] as string) as string;
}

export function registerGraphExporter(): void {
  registerOnnxExporter(OnnxGraph, emitGraph);
}
