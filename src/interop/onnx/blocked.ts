/**
 * The inference path on oneDNN's blocked layout. Debian's LibTorch runs convolutions through oneDNN,
 * which wants activations in a blocked layout (nChw16c on AVX-512: channels in groups of 16 innermost) and weights
 * reordered to match. Eager ops on dense tensors convert both on every call; here activations stay
 * blocked (mkldnn tensors) from the first convolution to the pooling that ends the trunk, and each
 * convolution's weight is reordered once and cached, as onnxruntime pre-packs its weights. Nodes
 * without a blocked variant get dense inputs (converted once per value and pass).
 * Only the eval, no-gradient path uses it; training never does.
 */
import * as torch from '../../tensor/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { GraphNode } from './graph-types.js';
import { writeStamp } from './inference.js';
import type { BlockedContext } from './ops/converter.js';

type Fn = (...a: unknown[]) => Tensor;
const toMkldnn = torch.ops.aten.to_mkldnn as unknown as (t: Tensor) => Tensor;
const toDense = torch.ops.aten.to_dense as unknown as (t: Tensor) => Tensor;
const reorderConv2dWeight = torch.ops.aten.mkldnn_reorder_conv2d_weight as unknown as Fn;

let available: boolean | undefined;

/** Whether this LibTorch build has oneDNN tensors (Debian's does; probed once). */
export function blockedLayoutAvailable(): boolean {
  if (available === undefined) {
    try {
      torch.scope(() => toDense(toMkldnn(torch.zeros([1, 8, 1, 1]))));
      available = true;
    } catch {
      available = false;
    }
  }
  return available;
}

/**
 * Whether the blocked layout pays for a graph: it does when activations, once blocked, stay blocked to the
 * end of the trunk. Following which values may be blocked (outputs of convolutions, and of nodes with a
 * blocked variant that read such a value; a folded batch norm passes its convolution's through), every
 * node without a blocked variant that reads one is a conversion back to dense. Those are only cheap after
 * a global pooling ([N, C, 1, 1]); anywhere else (DenseNet's Concat, MobileNetV2's Clip, an unfolded batch
 * norm) the conversions cost more than the layout saves: measured here, DenseNet-121 28 vs 48 img/s and
 * MobileNetV2 80 vs 185 img/s blocked vs dense, ResNet-50 47 vs 45.
 */
export function blockedLayoutPays(nodes: readonly GraphNode[], foldedBn: ReadonlySet<number>): boolean {
  const mayBeBlocked = new Set<string>();
  const pooled = new Set<string>();
  let anyConv = false;
  for (const [i, node] of nodes.entries()) {
    const reads = node.inputs.filter((v) => mayBeBlocked.has(v));
    const op = node.label.opType;
    if (foldedBn.has(i)) {
      if (reads.length > 0) for (const o of node.outputs) if (o) mayBeBlocked.add(o);
      continue;
    }
    if (node.run.blocked && (op === 'Conv' || reads.length > 0)) {
      anyConv ||= op === 'Conv';
      for (const o of node.outputs) if (o) mayBeBlocked.add(o);
      if (op === 'GlobalAveragePool') for (const o of node.outputs) if (o) pooled.add(o);
      continue;
    }
    if (reads.some((v) => !pooled.has(v))) return false;
  }
  return anyConv;
}

interface CachedWeight {
  source: Tensor;
  stamp: string;
  weight: Tensor;
}

/** Reordered convolution weights of one graph, kept between passes; refreshed when the source changes. */
export class BlockedWeights {
  readonly #entries = new Map<number, CachedWeight>();

  get(key: number, w: Tensor, padding: number[], stride: number[], dilation: number[], groups: number): Tensor {
    // the autograd version counter moves on every in-place write (optimizer steps, loadStateDict)
    const stamp = `${writeStamp(w)}:${w.dtype}:${padding}:${stride}:${dilation}:${groups}`;
    const hit = this.#entries.get(key);
    if (hit && hit.source === w && hit.stamp === stamp) return hit.weight;
    hit?.weight.dispose();
    const weight = torch.keep(
      torch.scope(() => reorderConv2dWeight(toMkldnn(torch.contiguous(w)), padding, stride, dilation, groups)),
    );
    this.#entries.set(key, { source: w, stamp, weight });
    return weight;
  }

  clear(): void {
    for (const e of this.#entries.values()) e.weight.dispose();
    this.#entries.clear();
  }
}

/**
 * One forward pass's layouts: which values are blocked, and the conversions made so far (each value
 * converted at most once per direction). Conversions are freed with their source; anything left is
 * freed by the scope that encloses the pass.
 */
export class BlockedPass {
  readonly #blocked = new Set<Tensor>();
  readonly #toBlocked = new Map<Tensor, Tensor>();
  readonly #toDense = new Map<Tensor, Tensor>();
  readonly #conversions = new Set<Tensor>();
  readonly #weights: BlockedWeights;

  constructor(weights: BlockedWeights) {
    this.#weights = weights;
  }

  isBlocked(t: Tensor): boolean {
    return this.#blocked.has(t);
  }

  /** Marks a node's outputs as blocked. */
  markBlocked(outputs: readonly Tensor[]): void {
    for (const t of outputs) this.#blocked.add(t);
  }

  accepts(t: Tensor): boolean {
    if (this.#blocked.has(t)) return true;
    // oneDNN divides by the batch and spatial sizes: an empty tensor would raise SIGFPE, not an error
    return t.dtype === 'float32' && t.ndim === 4 && t.numel() > 0 && t.device === 'cpu';
  }

  toBlocked(t: Tensor): Tensor {
    if (this.#blocked.has(t)) return t;
    let b = this.#toBlocked.get(t);
    if (b === undefined) {
      b = toMkldnn(torch.contiguous(t));
      this.#toBlocked.set(t, b);
      this.#blocked.add(b);
      this.#conversions.add(b);
    }
    return b;
  }

  /** The value in the dense layout (itself when it is dense). */
  dense(t: Tensor): Tensor {
    if (!this.#blocked.has(t)) return t;
    let d = this.#toDense.get(t);
    if (d === undefined) {
      d = toDense(t);
      this.#toDense.set(t, d);
      this.#conversions.add(d);
    }
    return d;
  }

  /** A node returned a conversion as its output (Identity, Dropout): it now lives as a value of its own. */
  adopt(t: Tensor): void {
    if (!this.#conversions.delete(t)) return;
    for (const m of [this.#toBlocked, this.#toDense]) {
      for (const [source, conv] of m) if (conv === t) m.delete(source);
    }
  }

  /** The pass freed `t`: free its conversions too. */
  released(t: Tensor): void {
    this.#blocked.delete(t);
    for (const m of [this.#toBlocked, this.#toDense]) {
      const conv = m.get(t);
      if (conv === undefined) continue;
      m.delete(t);
      this.#conversions.delete(conv);
      this.#blocked.delete(conv);
      conv.dispose();
    }
  }

  /** The context a node's blocked runner sees; `key` identifies the node's cached weights. */
  context(key: number): BlockedContext {
    return {
      isBlocked: (t) => this.isBlocked(t),
      accepts: (t) => this.accepts(t),
      toBlocked: (t) => this.toBlocked(t),
      convWeight: (w, padding, stride, dilation, groups) =>
        this.#weights.get(key, w, padding, stride, dilation, groups),
    };
  }
}
