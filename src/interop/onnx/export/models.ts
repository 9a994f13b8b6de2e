/**
 * Exporters for the model zoo. Each mirrors its model's forward(): the layers are emitted as modules
 * (so node names are torchvision's module paths), the functional parts (residual adds, concatenations,
 * pooling inside forward) as nodes named after the block ('layer1.0.add', 'Mixed_5b.cat').
 */
import { DenseNet } from '../../../models/densenet.js';
import { InceptionV3 } from '../../../models/inception.js';
import { MobileNetV2 } from '../../../models/mobilenet.js';
import { ResNet } from '../../../models/resnet.js';
import type { Module } from '../../../nn/module.js';
import { Sequential } from '../../../nn/sequential.js';
import { type EmitContext, registerOnnxExporter } from './emitter.js';

const has = (m: Module, name: string) => m.namedChildren().some(([n]) => n === name);

/** GlobalAveragePool then Flatten: the pooled features [N, C] that feed a classifier. */
function pooled(x: string, ctx: EmitContext): string {
  const pool = ctx.b.node('GlobalAveragePool', [x], ctx.name('avgpool'));
  return ctx.b.node('Flatten', [pool], ctx.name('flatten'), { axis: { i: 1 } }, 2);
}

/** Emits child modules of the module at `ctx.path` one after another. */
const chain = (ctx: EmitContext, names: string[], x: string) => names.reduce((h, n) => ctx.child(n, h), x);

/** A ResNet BasicBlock or Bottleneck (the latter has conv3). */
function emitResidualBlock(block: Module, x: string, ctx: EmitContext): string {
  let out = chain(ctx, ['conv1', 'bn1', 'relu'], x);
  out = has(block, 'conv3')
    ? chain(ctx, ['conv3', 'bn3'], chain(ctx, ['conv2', 'bn2', 'relu'], out))
    : chain(ctx, ['conv2', 'bn2'], out);
  const identity = has(block, 'downsample') ? ctx.child('downsample', x) : x;
  return ctx.child('relu', ctx.b.node('Add', [out, identity], ctx.name('add')));
}

function emitResNet(m: ResNet, x: string, ctx: EmitContext): string {
  let h = chain(ctx, ['conv1', 'bn1', 'relu', 'maxpool'], x);
  for (const layer of ['layer1', 'layer2', 'layer3', 'layer4']) {
    for (const [i, block] of m.getSubmodule(layer).namedChildren()) {
      h = ctx.emitAs(block, ctx.name(`${layer}.${i}`), h, emitResidualBlock);
    }
  }
  return ctx.child('fc', pooled(h, ctx));
}

/** A dense block: each layer reads the concatenation of the block input and all earlier outputs. */
function emitDenseBlock(block: Module, x: string, ctx: EmitContext): string {
  const features = [x];
  for (const [name] of block.namedChildren()) {
    const input =
      features.length === 1 ? x : ctx.b.node('Concat', [...features], ctx.name(`${name}.cat`), { axis: { i: 1 } });
    features.push(
      chain(
        ctx,
        [`${name}.norm1`, `${name}.relu1`, `${name}.conv1`, `${name}.norm2`, `${name}.relu2`, `${name}.conv2`],
        input,
      ),
    );
  }
  return ctx.b.node('Concat', features, ctx.name('cat'), { axis: { i: 1 } });
}

function emitDenseNet(m: DenseNet, x: string, ctx: EmitContext): string {
  let h = x;
  for (const [name, child] of m.features.namedChildren()) {
    const path = ctx.name(`features.${name}`);
    h = name.startsWith('denseblock') ? ctx.emitAs(child, path, h, emitDenseBlock) : ctx.emit(child, path, h);
  }
  h = ctx.b.node('Relu', [h], ctx.name('relu'));
  return ctx.child('classifier', pooled(h, ctx));
}

/** An inverted residual: its `conv` Sequential, plus the input when shapes allow. */
function emitInvertedResidual(block: Module, x: string, ctx: EmitContext): string {
  const out = ctx.child('conv', x);
  return (block as Module & { useResidual: boolean }).useResidual ? ctx.b.node('Add', [x, out], ctx.name('add')) : out;
}

function emitMobileNetV2(m: MobileNetV2, x: string, ctx: EmitContext): string {
  let h = x;
  for (const [name, child] of m.features.namedChildren()) {
    const path = ctx.name(`features.${name}`);
    h = child instanceof Sequential ? ctx.emit(child, path, h) : ctx.emitAs(child, path, h, emitInvertedResidual);
  }
  return ctx.child('classifier', pooled(h, ctx));
}

/** Inception-v3's BasicConv2d: conv, batch norm, ReLU. */
function basicConv(ctx: EmitContext, name: string, x: string): string {
  const h = chain(ctx, [`${name}.conv`, `${name}.bn`], x);
  return ctx.b.node('Relu', [h], ctx.name(`${name}.relu`));
}

const avgPool3 = (ctx: EmitContext, x: string) =>
  ctx.b.node('AveragePool', [x], ctx.name('avgpool'), {
    kernel_shape: { ints: [3, 3] },
    strides: { ints: [1, 1] },
    pads: { ints: [1, 1, 1, 1] },
    count_include_pad: { i: 1 },
  });

const maxPool3s2 = (ctx: EmitContext, x: string, name: string) =>
  ctx.b.node('MaxPool', [x], ctx.name(name), { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] } });

/** The branches of each Inception block kind, in the order its forward() concatenates them. */
function emitInceptionBlock(block: Module, x: string, ctx: EmitContext): string {
  const run = (names: string[], input: string) => names.reduce((h, n) => basicConv(ctx, n, h), input);
  const cat = (xs: string[], name = 'cat') => ctx.b.node('Concat', xs, ctx.name(name), { axis: { i: 1 } });
  if (has(block, 'branch5x5_1')) {
    return cat([
      run(['branch1x1'], x),
      run(['branch5x5_1', 'branch5x5_2'], x),
      run(['branch3x3dbl_1', 'branch3x3dbl_2', 'branch3x3dbl_3'], x),
      run(['branch_pool'], avgPool3(ctx, x)),
    ]);
  }
  if (has(block, 'branch3x3') && !has(block, 'branch1x1')) {
    return cat([
      run(['branch3x3'], x),
      run(['branch3x3dbl_1', 'branch3x3dbl_2', 'branch3x3dbl_3'], x),
      maxPool3s2(ctx, x, 'maxpool'),
    ]);
  }
  if (has(block, 'branch7x7_1')) {
    return cat([
      run(['branch1x1'], x),
      run(['branch7x7_1', 'branch7x7_2', 'branch7x7_3'], x),
      run(['branch7x7dbl_1', 'branch7x7dbl_2', 'branch7x7dbl_3', 'branch7x7dbl_4', 'branch7x7dbl_5'], x),
      run(['branch_pool'], avgPool3(ctx, x)),
    ]);
  }
  if (has(block, 'branch7x7x3_1')) {
    return cat([
      run(['branch3x3_1', 'branch3x3_2'], x),
      run(['branch7x7x3_1', 'branch7x7x3_2', 'branch7x7x3_3', 'branch7x7x3_4'], x),
      maxPool3s2(ctx, x, 'maxpool'),
    ]);
  }
  if (has(block, 'branch3x3_2a')) {
    const b3 = run(['branch3x3_1'], x);
    const dbl = run(['branch3x3dbl_1', 'branch3x3dbl_2'], x);
    return cat([
      run(['branch1x1'], x),
      cat([run(['branch3x3_2a'], b3), run(['branch3x3_2b'], b3)], 'branch3x3.cat'),
      cat([run(['branch3x3dbl_3a'], dbl), run(['branch3x3dbl_3b'], dbl)], 'branch3x3dbl.cat'),
      run(['branch_pool'], avgPool3(ctx, x)),
    ]);
  }
  throw new Error(`onnx export: module '${ctx.path}' is not an Inception block this exporter knows`);
}

function emitInceptionV3(m: InceptionV3, x: string, ctx: EmitContext): string {
  let h = x;
  for (const n of ['Conv2d_1a_3x3', 'Conv2d_2a_3x3', 'Conv2d_2b_3x3']) h = basicConv(ctx, n, h);
  h = maxPool3s2(ctx, h, 'maxpool1');
  for (const n of ['Conv2d_3b_1x1', 'Conv2d_4a_3x3']) h = basicConv(ctx, n, h);
  h = maxPool3s2(ctx, h, 'maxpool2');
  // AuxLogits only runs in training; the exported graph is the inference one.
  for (const n of [
    'Mixed_5b',
    'Mixed_5c',
    'Mixed_5d',
    'Mixed_6a',
    'Mixed_6b',
    'Mixed_6c',
    'Mixed_6d',
    'Mixed_6e',
    'Mixed_7a',
    'Mixed_7b',
    'Mixed_7c',
  ]) {
    h = ctx.emitAs(m.getSubmodule(n), ctx.name(n), h, emitInceptionBlock);
  }
  return ctx.child('fc', pooled(h, ctx));
}

/** Registers the model-zoo exporters. */
export function registerModelExporters(): void {
  registerOnnxExporter(ResNet, emitResNet);
  registerOnnxExporter(DenseNet, emitDenseNet);
  registerOnnxExporter(MobileNetV2, emitMobileNetV2);
  registerOnnxExporter(InceptionV3, emitInceptionV3);
}
