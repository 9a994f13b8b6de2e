/** Exporters for nn layers: convolution, batch norm, activations, pooling, linear, containers. */

import { LeakyReLU, LogSoftmax, ReLU, ReLU6, Sigmoid, SiLU, Softmax, Tanh } from '../../../nn/activation.js';
import { Conv2d } from '../../../nn/conv.js';
import { Dropout } from '../../../nn/dropout.js';
import { Flatten, Identity, Linear } from '../../../nn/linear.js';
import type { Module } from '../../../nn/module.js';
import { BatchNorm1d, BatchNorm2d } from '../../../nn/normalization.js';
import { AdaptiveAvgPool2d, AvgPool2d, GlobalAvgPool2d, MaxPool2d } from '../../../nn/pooling.js';
import { Sequential } from '../../../nn/sequential.js';
import type { Tensor } from '../../../tensor/tensor.js';
import type { Attr } from './builder.js';
import { type EmitContext, registerOnnxExporter } from './emitter.js';

type Pair = number | [number, number];
const pair = (v: Pair | undefined, fallback: number): [number, number] =>
  v === undefined ? [fallback, fallback] : typeof v === 'number' ? [v, v] : v;

function fail(ctx: EmitContext, message: string): never {
  throw new Error(`onnx export: module '${ctx.path || '(root)'}': ${message}`);
}

/** A parameter's initializer, named by the module path (its state-dict key). */
const param = (ctx: EmitContext, name: string, t: Tensor) => ctx.b.initializer(ctx.name(name), t);

function emitConv(m: Conv2d, x: string, ctx: EmitContext): string {
  const [kh, kw] = m.kernelSize;
  let pads: number[];
  if (m.padding === 'valid') pads = [0, 0, 0, 0];
  else if (m.padding === 'same') {
    const total = [m.dilation[0] * (kh - 1), m.dilation[1] * (kw - 1)];
    const before = total.map((t) => Math.floor(t / 2));
    pads = [
      before[0] as number,
      before[1] as number,
      (total[0] as number) - (before[0] as number),
      (total[1] as number) - (before[1] as number),
    ];
  } else pads = [m.padding[0], m.padding[1], m.padding[0], m.padding[1]];
  let input = x;
  if (m.paddingMode !== 'zeros') {
    if (m.paddingMode === 'circular') fail(ctx, "padding mode 'circular' has no ONNX Pad mode before opset 19");
    if (ctx.b.opset < 11) fail(ctx, `padding mode '${m.paddingMode}' needs opset 11 or later`);
    const onnxPads = [0, 0, pads[0] as number, pads[1] as number, 0, 0, pads[2] as number, pads[3] as number];
    input = ctx.b.node('Pad', [x, ctx.b.ints(ctx.name('pads'), onnxPads)], ctx.name('pad'), {
      mode: { s: m.paddingMode === 'reflect' ? 'reflect' : 'edge' },
    });
    pads = [0, 0, 0, 0];
  }
  const inputs = [input, param(ctx, 'weight', m.weight)];
  if (m.bias) inputs.push(param(ctx, 'bias', m.bias));
  return ctx.b.node('Conv', inputs, ctx.path || 'conv', {
    kernel_shape: { ints: [kh, kw] },
    strides: { ints: [...m.stride] },
    pads: { ints: pads },
    dilations: { ints: [...m.dilation] },
    group: { i: m.groups },
  });
}

function emitBatchNorm(m: BatchNorm1d | BatchNorm2d, x: string, ctx: EmitContext): string {
  if (!m.runningMean || !m.runningVar) fail(ctx, 'batch norm without running statistics cannot run in inference');
  if (!m.weight || !m.bias) fail(ctx, 'batch norm without affine parameters is not exported');
  const inputs = [
    x,
    param(ctx, 'weight', m.weight),
    param(ctx, 'bias', m.bias),
    param(ctx, 'running_mean', m.runningMean),
    param(ctx, 'running_var', m.runningVar),
  ];
  return ctx.b.node('BatchNormalization', inputs, ctx.path || 'batchnorm', {
    epsilon: { f: m.eps },
    momentum: { f: 1 - (m.momentum ?? 0.1) },
  });
}

function emitLinear(m: Linear, x: string, ctx: EmitContext): string {
  const w = param(ctx, 'weight', m.weight);
  const b = m.bias ? param(ctx, 'bias', m.bias) : undefined;
  if (ctx.b.rankOf(x) === 2) {
    return ctx.b.node('Gemm', b ? [x, w, b] : [x, w], ctx.path || 'linear', { transB: { i: 1 } }, 2);
  }
  // Inputs of other (or unknown) rank: x @ W^T (+ b), broadcasting over leading dimensions.
  const wt = ctx.b.node('Transpose', [w], ctx.name('weight_t'), { perm: { ints: [1, 0] } }, 2);
  const y = ctx.b.node('MatMul', [x, wt], b ? ctx.name('matmul') : ctx.path || 'linear');
  return b ? ctx.b.node('Add', [y, b], ctx.path || 'linear') : y;
}

function poolAttrs(kernel: Pair, stride: Pair | undefined, padding: Pair | undefined): Record<string, Attr> {
  const k = pair(kernel, 1);
  const s = pair(stride, 0).every((v) => v === 0) ? k : pair(stride, 1);
  const p = pair(padding, 0);
  return { kernel_shape: { ints: k }, strides: { ints: s }, pads: { ints: [p[0], p[1], p[0], p[1]] } };
}

function emitMaxPool(m: MaxPool2d, x: string, ctx: EmitContext): string {
  const attrs = poolAttrs(m.kernelSize, m.options.stride, m.options.padding);
  const dilation = pair(m.options.dilation, 1);
  if (ctx.b.opset < 10 && (m.options.ceilMode || dilation.some((d) => d !== 1))) {
    fail(ctx, 'ceil mode and dilation need opset 10 or later');
  }
  if (ctx.b.opset >= 10) {
    attrs.ceil_mode = { i: m.options.ceilMode ? 1 : 0 };
    attrs.dilations = { ints: dilation };
  }
  return ctx.b.node('MaxPool', [x], ctx.path || 'maxpool', attrs);
}

function emitAvgPool(m: AvgPool2d, x: string, ctx: EmitContext): string {
  if (m.options.divisorOverride) fail(ctx, 'divisorOverride has no ONNX equivalent');
  const attrs = poolAttrs(m.kernelSize, m.options.stride, m.options.padding);
  attrs.count_include_pad = { i: m.options.countIncludePad === false ? 0 : 1 };
  if (m.options.ceilMode) {
    if (ctx.b.opset < 10) fail(ctx, 'ceil mode needs opset 10 or later');
    attrs.ceil_mode = { i: 1 };
  }
  return ctx.b.node('AveragePool', [x], ctx.path || 'avgpool', attrs);
}

/** ReLU6 and other clamps: Clip with attributes before opset 11, with scalar inputs after. */
function emitClip(ctx: EmitContext, x: string, min: number, max: number, name: string): string {
  if (ctx.b.opset < 11) return ctx.b.node('Clip', [x], name, { min: { f: min }, max: { f: max } });
  return ctx.b.node('Clip', [x, ctx.b.scalar(`clip_min_${min}`, min), ctx.b.scalar(`clip_max_${max}`, max)], name);
}

function emitSoftmax(op: 'Softmax' | 'LogSoftmax', dim: number, x: string, ctx: EmitContext): string {
  const rank = ctx.b.rankOf(x);
  const last = dim === -1 || (rank !== undefined && dim === rank - 1);
  if (ctx.b.opset < 13 && !last) fail(ctx, `${op} over dimension ${dim} (not the last) needs opset 13 or later`);
  return ctx.b.node(op, [x], ctx.path || op.toLowerCase(), { axis: { i: last ? -1 : dim } });
}

/** Registers the nn exporters (called once by the export entry point). */
export function registerLayerExporters(): void {
  registerOnnxExporter(Sequential, (m: Module, x, ctx) =>
    m.namedChildren().reduce((h, [name]) => ctx.child(name, h), x),
  );
  registerOnnxExporter(Conv2d, emitConv);
  registerOnnxExporter(BatchNorm2d, emitBatchNorm);
  registerOnnxExporter(BatchNorm1d, emitBatchNorm);
  registerOnnxExporter(Linear, emitLinear);
  registerOnnxExporter(ReLU, (_m, x, ctx) => ctx.b.node('Relu', [x], ctx.path || 'relu'));
  registerOnnxExporter(ReLU6, (_m, x, ctx) => emitClip(ctx, x, 0, 6, ctx.path || 'relu6'));
  registerOnnxExporter(LeakyReLU, (m, x, ctx) =>
    ctx.b.node('LeakyRelu', [x], ctx.path || 'leakyrelu', { alpha: { f: m.negativeSlope } }),
  );
  registerOnnxExporter(Sigmoid, (_m, x, ctx) => ctx.b.node('Sigmoid', [x], ctx.path || 'sigmoid'));
  registerOnnxExporter(Tanh, (_m, x, ctx) => ctx.b.node('Tanh', [x], ctx.path || 'tanh'));
  registerOnnxExporter(SiLU, (_m, x, ctx) =>
    ctx.b.node('Mul', [x, ctx.b.node('Sigmoid', [x], ctx.name('sigmoid'))], ctx.path || 'silu'),
  );
  registerOnnxExporter(Softmax, (m, x, ctx) => emitSoftmax('Softmax', m.dim, x, ctx));
  registerOnnxExporter(LogSoftmax, (m, x, ctx) => emitSoftmax('LogSoftmax', m.dim, x, ctx));
  // Inference graphs: dropout is the identity.
  registerOnnxExporter(Dropout, (_m, x) => x);
  registerOnnxExporter(Identity, (_m, x) => x);
  registerOnnxExporter(Flatten, (m, x, ctx) => {
    if (m.startDim !== 1 || m.endDim !== -1) fail(ctx, 'only Flatten(1, -1) maps to ONNX Flatten');
    return ctx.b.node('Flatten', [x], ctx.path || 'flatten', { axis: { i: 1 } }, 2);
  });
  registerOnnxExporter(MaxPool2d, emitMaxPool);
  registerOnnxExporter(AvgPool2d, emitAvgPool);
  registerOnnxExporter(AdaptiveAvgPool2d, (m, x, ctx) => {
    if (pair(m.outputSize, 1).some((s) => s !== 1)) fail(ctx, 'only an output size of 1 maps to GlobalAveragePool');
    return ctx.b.node('GlobalAveragePool', [x], ctx.path || 'avgpool');
  });
  registerOnnxExporter(GlobalAvgPool2d, (_m, x, ctx) => {
    const pooled = ctx.b.node('GlobalAveragePool', [x], ctx.name('pool'));
    return ctx.b.node('Flatten', [pooled], ctx.path || 'flatten', { axis: { i: 1 } }, 2);
  });
}
