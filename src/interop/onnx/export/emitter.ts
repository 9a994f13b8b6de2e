/**
 * How modules become ONNX nodes. The export walks the module tree (a structural trace): each module
 * class has an emitter that adds its nodes for a given input value and returns its output value:
 * either a `toOnnx(input, ctx)` method of the class itself (how the model zoo exports, beside each
 * forward()) or one registered for the class with registerOnnxExporter. Emitters are found by class,
 * nearest base class first, so a Sequential subclass exports as a Sequential; at the same class a
 * registered emitter wins over the method. A module with no emitter fails with its path and class,
 * never a wrong graph.
 */
import type { Module } from '../../../nn/module.js';
import type { OnnxBuilder } from './builder.js';

export interface EmitContext {
  readonly b: OnnxBuilder;
  /** the module's dotted path in the exported model ('' for the root) */
  readonly path: string;
  /** emits a child module (by its registered name) on `input`; returns its output value */
  child(name: string, input: string): string;
  /** emits any module as if it were at `path` */
  emit(module: Module, path: string, input: string): string;
  /** emits a module at `path` with a given emitter (for classes private to their files) */
  emitAs<M extends Module>(module: M, path: string, input: string, emitter: OnnxEmitter<M>): string;
  /** a node name inside this module: 'layer1.0' + 'add' -> 'layer1.0.add' */
  name(suffix: string): string;
}

export type OnnxEmitter<M extends Module = Module> = (module: M, input: string, ctx: EmitContext) => string;

/**
 * A module that exports itself: `toOnnx` adds the module's nodes for the value `input` (children
 * through `ctx.child`) and returns its output value, mirroring what forward() computes in eval mode.
 *
 * @example
 * ```ts
 * class Swish extends Module implements OnnxExportable {
 *   forward(x: Tensor) { return x.mul(x.sigmoid()); }
 *   toOnnx(x: string, ctx: EmitContext) { return ctx.b.node('Mul', [x, ctx.b.node('Sigmoid', [x], ctx.name('sigmoid'))], ctx.path); }
 * }
 * ```
 */
export interface OnnxExportable {
  toOnnx(input: string, ctx: EmitContext): string;
}

const viaMethod: OnnxEmitter = (m, x, ctx) => (m as Module & OnnxExportable).toOnnx(x, ctx);

// biome-ignore lint/suspicious/noExplicitAny: constructors of any module class
type ModuleClass = abstract new (...args: any[]) => Module;

const EMITTERS = new Map<ModuleClass, OnnxEmitter>();

/**
 * Teaches exportOnnx a module class (its subclasses too, unless they have their own).
 *
 * @example
 * ```ts
 * registerOnnxExporter(Swish, (m, x, ctx) => ctx.b.node('Mul', [x, ctx.b.node('Sigmoid', [x], ctx.name('sigmoid'))], ctx.path));
 * ```
 */
export function registerOnnxExporter<M extends Module>(
  cls: abstract new (...args: never[]) => M,
  emitter: OnnxEmitter<M>,
): void {
  EMITTERS.set(cls as unknown as ModuleClass, emitter as OnnxEmitter);
}

function emitterFor(m: Module): OnnxEmitter | undefined {
  for (let p = Object.getPrototypeOf(m); p !== null; p = Object.getPrototypeOf(p)) {
    const e = EMITTERS.get(p.constructor as ModuleClass);
    if (e) return e;
    if (Object.hasOwn(p, 'toOnnx') && typeof p.toOnnx === 'function') return viaMethod;
  }
  return undefined;
}

const join = (path: string, name: string) => (path ? `${path}.${name}` : name);

/** Emits `m` at `path` on `input`; returns its output value. */
export function emitModule(b: OnnxBuilder, m: Module, path: string, input: string, using?: OnnxEmitter): string {
  const emitter = using ?? emitterFor(m);
  if (!emitter) {
    throw new Error(
      `onnx export: no exporter for module '${path || '(root)'}' (${m.constructor.name}); register one with registerOnnxExporter`,
    );
  }
  const ctx: EmitContext = {
    b,
    path,
    child: (name, x) => emitModule(b, m.getSubmodule(name), join(path, name), x),
    emit: (module, p, x) => emitModule(b, module, p, x),
    emitAs: (module, p, x, e) => emitModule(b, module, p, x, e as OnnxEmitter),
    name: (suffix) => join(path, suffix),
  };
  return emitter(m, input, ctx);
}
