/** Sequential: runs child modules one after another; children are named "0", "1", ... */
import type { Tensor } from '../tensor/index.js';
import { Module } from './module.js';

/**
 * @example
 * ```ts
 * const head = new Sequential(new GlobalAvgPool2d(), new Dropout(0.2), new Linear(2048, 14));
 * ```
 */
export class Sequential extends Module {
  constructor(...modules: Module[]) {
    super();
    for (const [i, m] of modules.entries()) this.registerModule(String(i), m);
  }

  /** A Sequential whose children have names (torchvision's `features.conv0`, `features.denseblock1`). */
  static named(entries: [string, Module][]): Sequential {
    const seq = new Sequential();
    for (const [name, m] of entries) seq.registerModule(name, m);
    return seq;
  }

  /** Appends a module and returns this. */
  append(module: Module): this {
    this.registerModule(String(this.length), module);
    return this;
  }

  get length(): number {
    return this.namedChildren().length;
  }

  /** The i-th child (negative counts from the end). */
  at(i: number): Module {
    const kids = this.children();
    const m = kids[i < 0 ? kids.length + i : i];
    if (!m) throw new RangeError(`Sequential: no module at ${i} (length ${kids.length})`);
    return m;
  }

  forward(input: Tensor): Tensor {
    let x = input;
    for (const m of this.children()) x = m.forward(x);
    return x;
  }
}
