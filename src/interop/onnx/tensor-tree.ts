/**
 * Places tensors named with dots ("layer1.0.conv1.weight") in a tree of modules, so that an imported
 * graph's state dict uses the ONNX initializer names as keys and `freeze('layer1')` or torchvision
 * state dicts work on it. A name that cannot be placed (an empty segment, or a clash between a tensor
 * and a module of the same name) is registered flat with its dots replaced by underscores.
 */
import { Module } from '../../nn/module.js';
import type { Tensor } from '../../tensor/tensor.js';

/** A module that only holds tensors and child holders; it has no computation of its own. */
export class TensorTree extends Module {
  forward(): Tensor {
    throw new Error('TensorTree holds tensors of an ONNX graph; it has no forward');
  }

  /** Registers `t` under a dotted `name`; returns the state-dict key it got. */
  place(name: string, t: Tensor, kind: 'parameter' | 'buffer' | 'constant'): string {
    const parts = name.split('.');
    if (parts.every((p) => p !== '') && this.#tryPlace(parts, t, kind)) return name;
    let flat = name.replace(/\./g, '_') || '_';
    for (let i = 2; !this.#tryPlace([flat], t, kind); i++) flat = `${name.replace(/\./g, '_')}_${i}`;
    return flat;
  }

  #tryPlace(parts: string[], t: Tensor, kind: 'parameter' | 'buffer' | 'constant'): boolean {
    let m: TensorTree = this;
    for (const p of parts.slice(0, -1)) {
      const child = m.namedChildren().find(([n]) => n === p)?.[1];
      if (child instanceof TensorTree) m = child;
      else if (child !== undefined || m.#has(p)) return false;
      else m = m.registerModule(p, new TensorTree());
    }
    const leaf = parts[parts.length - 1] as string;
    if (m.#has(leaf) || m.namedChildren().some(([n]) => n === leaf)) return false;
    if (kind === 'parameter') m.registerParameter(leaf, t);
    else m.registerBuffer(leaf, t, kind === 'buffer');
    return true;
  }

  #has(name: string): boolean {
    return (
      this.namedParameters('', false).some(([n]) => n === name) ||
      this.namedBuffers('', false).some(([n]) => n === name)
    );
  }
}
