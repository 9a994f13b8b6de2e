/**
 * What the model zoo's `toOnnx` methods share. Each model exports itself beside its forward(): the
 * layers as child modules (so node names are torchvision's module paths), the functional parts
 * (residual adds, concatenations, pooling inside forward) as nodes named after the block
 * ('layer1.0.add', 'Mixed_5b.cat'). The exported graph is the inference one.
 */
import type { EmitContext } from '../interop/onnx/export/emitter.js';

/** Emits the named children of the module at `ctx.path` one after another on `x`. */
export function emitChain(ctx: EmitContext, names: readonly string[], x: string): string {
  return names.reduce((h, n) => ctx.child(n, h), x);
}

/** GlobalAveragePool then Flatten: the pooled features [N, C] that feed a classifier. */
export function emitPooled(ctx: EmitContext, x: string): string {
  const pool = ctx.b.node('GlobalAveragePool', [x], ctx.name('avgpool'));
  return ctx.b.node('Flatten', [pool], ctx.name('flatten'), { axis: { i: 1 } }, 2);
}

/** Concatenation along channels, named `name` inside the module. */
export function emitConcat(ctx: EmitContext, xs: readonly string[], name = 'cat'): string {
  return ctx.b.node('Concat', [...xs], ctx.name(name), { axis: { i: 1 } });
}
