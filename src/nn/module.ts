/**
 * Module: the unit networks are built from, as in PyTorch. A module owns named parameters (trainable
 * tensors), buffers (state such as BatchNorm's running mean) and child modules; names compose with
 * dots ("layer1.0.conv1.weight") exactly as torchvision's, so state dicts map one to one.
 */

import { DTYPES, type DType, isFloatingDType, keep, noGrad, ops, type Tensor } from '../tensor/index.js';
import { didYouMean } from '../util/options.js';

/** Result of a non-strict loadStateDict: what did not match. */
export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** What {@link Module.to} converts: dtype (floating tensors only), device and memory layout. */
export interface ModuleToOptions {
  dtype?: DType;
  device?: string;
  memoryFormat?: 'contiguous' | 'channelsLast' | 'channelsLast3d';
}

function toOptions(target: string): ModuleToOptions {
  return (DTYPES as readonly string[]).includes(target) ? { dtype: target as DType } : { device: target };
}

export abstract class Module {
  /** Training mode (dropout active, batch-norm batch statistics); eval() turns it off. */
  training = true;
  readonly #parameters = new Map<string, Tensor | null>();
  readonly #buffers = new Map<string, { tensor: Tensor | null; persistent: boolean }>();
  readonly #children = new Map<string, Module>();

  /** The computation. Subclasses type their own inputs and outputs. */
  abstract forward(...inputs: Tensor[]): Tensor;

  /**
   * Registers a trainable tensor under `name` (taken out of any scope, requiresGrad set). Returns it, so
   * subclasses can keep a typed field: `this.weight = this.registerParameter('weight', w)`.
   */
  protected registerParameter<T extends Tensor | null>(name: string, tensor: T): T {
    this.#checkName(name, this.#parameters);
    if (tensor !== null) {
      keep(tensor);
      if (!tensor.requiresGrad && tensor.isLeaf) tensor.requiresGrad_(true);
    }
    this.#parameters.set(name, tensor);
    return tensor;
  }

  /** Registers non-trainable state; persistent buffers are part of the state dict. */
  protected registerBuffer<T extends Tensor | null>(name: string, tensor: T, persistent = true): T {
    this.#checkName(name, this.#buffers);
    if (tensor !== null) keep(tensor);
    this.#buffers.set(name, { tensor, persistent });
    return tensor;
  }

  /** Registers a child module under `name`. Returns it. */
  protected registerModule<M extends Module>(name: string, module: M): M {
    this.#checkName(name, this.#children);
    this.#children.set(name, module);
    return module;
  }

  #checkName(name: string, map: Map<string, unknown>): void {
    if (name === '' || name.includes('.')) throw new Error(`${this.constructor.name}: invalid name '${name}'`);
    if (
      map.has(name) ||
      (map !== this.#parameters && this.#parameters.has(name)) ||
      (map !== this.#buffers && this.#buffers.has(name)) ||
      (map !== this.#children && this.#children.has(name))
    ) {
      throw new Error(`${this.constructor.name}: '${name}' is already registered`);
    }
  }

  /** Direct children with their names, in registration order. */
  namedChildren(): [string, Module][] {
    return [...this.#children];
  }

  children(): Module[] {
    return [...this.#children.values()];
  }

  /** This module and every descendant, depth first in registration order, with dotted names. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.#children) out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** A direct or nested child by dotted name ('layer1.0.conv1'). */
  getSubmodule(path: string): Module {
    if (path === '') return this;
    let m: Module = this;
    for (const part of path.split('.')) {
      const next = m.#children.get(part);
      if (!next) throw new Error(`${this.constructor.name}: no submodule '${path}' (stopped at '${part}')`);
      m = next;
    }
    return m;
  }

  /** Parameters with dotted names; each tensor once even if shared. */
  namedParameters(prefix = '', recurse = true): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    const mods: [string, Module][] = recurse ? this.namedModules(prefix) : [[prefix, this]];
    for (const [modName, m] of mods) {
      for (const [name, p] of m.#parameters) {
        if (p === null || seen.has(p)) continue;
        seen.add(p);
        out.push([modName ? `${modName}.${name}` : name, p]);
      }
    }
    return out;
  }

  parameters(recurse = true): Tensor[] {
    return this.namedParameters('', recurse).map(([, p]) => p);
  }

  /** Buffers with dotted names (persistent and not). */
  namedBuffers(prefix = '', recurse = true): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const mods: [string, Module][] = recurse ? this.namedModules(prefix) : [[prefix, this]];
    for (const [modName, m] of mods) {
      for (const [name, b] of m.#buffers) {
        if (b.tensor !== null) out.push([modName ? `${modName}.${name}` : name, b.tensor]);
      }
    }
    return out;
  }

  buffers(recurse = true): Tensor[] {
    return this.namedBuffers('', recurse).map(([, b]) => b);
  }

  /** Number of parameter elements (trainable only, or all). */
  numParameters(options: { trainableOnly?: boolean } = {}): number {
    return this.parameters()
      .filter((p) => !options.trainableOnly || p.requiresGrad)
      .reduce((n, p) => n + p.numel(), 0);
  }

  /** Sets training mode here and in every descendant. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Evaluation mode: dropout off, batch norm uses running statistics. */
  eval(): this {
    return this.train(false);
  }

  /** Calls fn on every descendant, then on this module (PyTorch's order). */
  apply(fn: (m: Module) => void): this {
    for (const child of this.#children.values()) child.apply(fn);
    fn(this);
    return this;
  }

  /**
   * The parameters and persistent buffers by dotted name. The tensors share memory with the module
   * (detached views): copy them to keep a snapshot; dispose them (or use a scope) when done.
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [modName, m] of this.namedModules()) {
      const key = (n: string) => (modName ? `${modName}.${n}` : n);
      for (const [name, p] of m.#parameters) if (p !== null) out[key(name)] = p.detach();
      for (const [name, b] of m.#buffers) if (b.tensor !== null && b.persistent) out[key(name)] = b.tensor.detach();
    }
    return out;
  }

  /**
   * Copies values from a state dict into this module's parameters and buffers, in place. Strict (the
   * default) requires exactly the same keys; either way every shape must match. Errors name the keys.
   */
  loadStateDict(stateDict: Record<string, Tensor>, options: { strict?: boolean } = {}): LoadResult {
    const strict = options.strict ?? true;
    const targets = new Map<string, Tensor>();
    for (const [modName, m] of this.namedModules()) {
      const key = (n: string) => (modName ? `${modName}.${n}` : n);
      for (const [name, p] of m.#parameters) if (p !== null) targets.set(key(name), p);
      for (const [name, b] of m.#buffers) if (b.tensor !== null && b.persistent) targets.set(key(name), b.tensor);
    }
    const missingKeys = [...targets.keys()].filter((k) => !(k in stateDict));
    const unexpectedKeys = Object.keys(stateDict).filter((k) => !targets.has(k));
    const mismatched: string[] = [];
    for (const [k, t] of targets) {
      const src = stateDict[k];
      if (src && src.shape.join(',') !== t.shape.join(',')) {
        mismatched.push(`${k}: checkpoint [${src.shape.join(', ')}] vs model [${t.shape.join(', ')}]`);
      }
    }
    const problems: string[] = [];
    if (strict && missingKeys.length) problems.push(`missing keys: ${missingKeys.join(', ')}`);
    if (strict && unexpectedKeys.length) problems.push(`unexpected keys: ${unexpectedKeys.join(', ')}`);
    if (mismatched.length) problems.push(`shape mismatch: ${mismatched.join('; ')}`);
    if (problems.length) throw new Error(`${this.constructor.name}.loadStateDict: ${problems.join('; ')}`);
    noGrad(() => {
      for (const [k, t] of targets) {
        const src = stateDict[k];
        if (src) t.copy_(src);
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  /** Stops gradients for the named parameters (dotted names or prefixes), or for all. */
  freeze(names?: string[]): this {
    this.#setRequiresGrad(false, names);
    return this;
  }

  /** Re-enables gradients for the named parameters (or all). */
  unfreeze(names?: string[]): this {
    this.#setRequiresGrad(true, names);
    return this;
  }

  #setRequiresGrad(value: boolean, names?: string[]): void {
    const params = this.namedParameters();
    if (names) {
      for (const n of names) {
        if (!params.some(([p]) => p === n || p.startsWith(`${n}.`))) {
          throw new Error(`${this.constructor.name}: no parameter or module named '${n}'`);
        }
      }
    }
    for (const [name, p] of params) {
      if (!names || names.some((n) => name === n || name.startsWith(`${n}.`))) p.requiresGrad = value;
    }
  }

  /**
   * Freezes every parameter registered up to and including the named submodule, in definition order
   * (BigDL's freeze_up_to): `resnet.freezeUpTo('layer2')` trains only layer3, layer4 and fc. Later
   * parameters keep their current setting.
   */
  freezeUpTo(name: string): this {
    const params = this.namedParameters();
    const last = params.reduce((idx, [p], i) => (p === name || p.startsWith(`${name}.`) ? i : idx), -1);
    if (last < 0) throw new Error(`${this.constructor.name}.freezeUpTo: no parameter or module named '${name}'`);
    for (const [i, [, p]] of params.entries()) if (i <= last) p.requiresGrad = false;
    return this;
  }

  /** Clears the gradients of all parameters. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /**
   * Converts parameters and buffers in place to a dtype (floating ones only), moves them to a device,
   * or lays out the 4-d ones (convolution weights) as `memoryFormat` (PyTorch's
   * `module.to(memory_format=torch.channels_last)`; 'channelsLast3d' takes the 5-d ones). Tensor objects
   * stay the same, so optimizers and fields keep working; state dicts and checkpoints still read NCHW.
   *
   * @example
   * ```ts
   * model.to('float64');
   * model.to({ memoryFormat: 'channelsLast' });      // with channels-last inputs: faster oneDNN convolutions
   * model.forward(x.contiguous({ memoryFormat: 'channelsLast' }));
   * ```
   */
  to(target: string | ModuleToOptions): this {
    if (
      typeof target === 'string' &&
      !(DTYPES as readonly string[]).includes(target) &&
      !/^(cpu|cuda|mps|meta)(:\d+)?$/.test(target)
    ) {
      const floating = DTYPES.filter((d) => isFloatingDType(d));
      throw new TypeError(
        `${this.constructor.name}.to: '${target}' is neither a floating-point dtype (${floating.join(', ')}) nor a device such as 'cpu'${didYouMean(target, floating)}`,
      );
    }
    const options: ModuleToOptions = typeof target === 'string' ? toOptions(target) : target;
    const { dtype, device, memoryFormat } = options;
    if (dtype !== undefined && !isFloatingDType(dtype)) {
      throw new TypeError(`${this.constructor.name}.to: dtype must be a floating dtype, got '${dtype}'`);
    }
    const formatRank = memoryFormat === 'channelsLast' ? 4 : memoryFormat === 'channelsLast3d' ? 5 : 0;
    if (memoryFormat !== undefined && formatRank === 0 && memoryFormat !== 'contiguous') {
      throw new TypeError(
        `${this.constructor.name}.to: memoryFormat must be 'contiguous', 'channelsLast' or 'channelsLast3d', got '${memoryFormat}'`,
      );
    }
    noGrad(() => {
      for (const t of [...this.parameters(), ...this.buffers()]) {
        let converted = t;
        const swap = (next: Tensor) => {
          if (next !== converted && converted !== t) converted.dispose();
          converted = next;
        };
        if (device !== undefined) swap(converted.to(device));
        if (dtype !== undefined && isFloatingDType(converted.dtype)) swap(converted.to(dtype));
        if (memoryFormat === 'contiguous' && (converted.dim() === 4 || converted.dim() === 5)) {
          swap(converted.contiguous());
        } else if (formatRank !== 0 && converted.dim() === formatRank) {
          swap(converted.contiguous({ memoryFormat: memoryFormat as 'channelsLast' | 'channelsLast3d' }));
        }
        if (converted === t) continue;
        (ops.aten.set_data as unknown as (a: Tensor, b: Tensor) => void)(t, converted);
        converted.dispose();
      }
    });
    return this;
  }

  /** Frees every parameter and buffer of this module and its descendants. */
  dispose(): void {
    for (const t of [...this.parameters(), ...this.buffers()]) t.dispose();
  }

  /** One line of extra description in toString (layer sizes etc.). */
  protected extraRepr(): string {
    return '';
  }

  toString(): string {
    const kids = this.namedChildren();
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (kids.length === 0) return `${head})`;
    const body = kids.map(([n, m]) => `  (${n}): ${m.toString().replace(/\n/g, '\n  ')}`).join('\n');
    return `${head}\n${body}\n)`;
  }
}
