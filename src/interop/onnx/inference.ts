/**
 * The inference fast path of OnnxGraph (eval mode, no gradients), what onnxruntime does to its graph
 * too: a batch norm that reads a convolution's only output is folded into that convolution's weights
 * and bias (one pass over the activations instead of two), and Relu / Add write into an intermediate
 * that nothing reads afterwards instead of allocating a new one. Training never takes this path.
 */
import * as torch from '../../tensor/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { GraphNode } from './graph-types.js';

/**
 * A 4-d input in channels-last layout. Debian's LibTorch 1.13 (oneDNN) picks its convolution
 * algorithm from the input's layout, and 1x1 convolutions of NCHW inputs are about 30x slower there
 * (measured: 8x64x56x56 -> 256, 130 ms vs 3.2 ms); pre-packed convolutions run channels-last natively.
 * Converting once at the first convolution is enough: convolution, batch norm, ReLU, Add and pooling keep
 * the layout for the layers after it.
 */
export function channelsLast(x: Tensor): Tensor {
  return x.ndim === 4 && (x.shape[1] as number) > 1 && x.strides[1] !== 1
    ? torch.contiguous(x, { memoryFormat: 'channelsLast' })
    : x;
}

/** value name -> the indices of the nodes that read it (each node once) */
function readersOf(nodes: readonly GraphNode[]): Map<string, number[]> {
  const readers = new Map<string, number[]>();
  nodes.forEach((n, i) => {
    for (const v of new Set(n.inputs)) if (v) readers.set(v, [...(readers.get(v) ?? []), i]);
  });
  return readers;
}

/** conv node index -> the batch norm folded into it and its epsilon */
export type ConvBnFolds = Map<number, { bn: number; eps: number }>;

/** Finds Conv -> BatchNormalization pairs whose statistics and affine parameters are initializers. */
export function planConvBnFolds(
  nodes: readonly GraphNode[],
  initializers: ReadonlySet<string>,
  outputs: readonly string[],
): ConvBnFolds {
  const readers = readersOf(nodes);
  const folds: ConvBnFolds = new Map();
  nodes.forEach((conv, i) => {
    const out = conv.outputs[0];
    if (conv.label.opType !== 'Conv' || !out || outputs.includes(out)) return;
    const r = readers.get(out) ?? [];
    if (r.length !== 1) return;
    const bn = nodes[r[0] as number] as GraphNode;
    if (bn.label.opType !== 'BatchNormalization' || bn.inputs[0] !== out) return;
    if (!bn.inputs.slice(1, 5).every((v) => initializers.has(v))) return;
    if (bn.outputs.slice(1).some((o) => o !== '')) return;
    const eps = bn.proto.attribute?.find((a) => a.name === 'epsilon')?.f ?? 1e-5;
    folds.set(i, { bn: r[0] as number, eps });
  });
  return folds;
}

/** conv node index -> the Relu computed with it (fused into the packed convolution) */
export type ConvReluFusions = Map<number, number>;

/**
 * Finds Relu nodes that are the only reader of a convolution's output (after its folded batch norm, if
 * any) and may be computed with it: oneDNN applies the ReLU as the convolution writes its output.
 */
export function planConvRelus(
  nodes: readonly GraphNode[],
  folds: ConvBnFolds,
  outputs: readonly string[],
): ConvReluFusions {
  const readers = readersOf(nodes);
  const fused: ConvReluFusions = new Map();
  nodes.forEach((conv, i) => {
    if (conv.label.opType !== 'Conv') return;
    const fold = folds.get(i);
    const out = fold ? (nodes[fold.bn] as GraphNode).outputs[0] : conv.outputs[0];
    if (!out || outputs.includes(out)) return;
    const r = readers.get(out) ?? [];
    if (r.length !== 1) return;
    const relu = nodes[r[0] as number] as GraphNode;
    if (relu.label.opType !== 'Relu' || relu.inputs[0] !== out) return;
    fused.set(i, r[0] as number);
  });
  return fused;
}

const version = torch.ops.aten._version as unknown as (t: Tensor) => number;
const isInference = torch.ops.aten.is_inference as unknown as (t: Tensor) => boolean;

/**
 * What a cache compares to tell whether `t` was written in place since: its autograd version counter.
 * An inference tensor (made under inferenceMode, e.g. a folded weight cached by a pass run in it) has
 * none, and LibTorch refuses in-place writes to it outside inference mode: such a tensor is stamped
 * 'inference', and its identity is what the cache compares (the caches replace their tensors, never
 * write them). Parameters that are themselves inference tensors and are written in place inside
 * inference mode are not noticed.
 */
export function writeStamp(t: Tensor): string {
  return isInference(t) ? 'inference' : String(version(t));
}

/**
 * Folded convolution weights and biases, kept between forward passes and recomputed when any source
 * tensor changed: each source's autograd version counter (bumped by every in-place write: optimizer
 * steps, loadStateDict, copy_) and dtype are compared on every use. Under bfloat16 autocast they are
 * kept in bfloat16 (`lowPrecision`), so autocast does not cast every weight again on every pass.
 */
export class FoldCache {
  readonly #entries = new Map<number, { sources: Tensor[]; stamps: string[]; weight: Tensor; bias: Tensor }>();

  /**
   * Conv inputs [x, w', b'] with a batch norm (scale, shift, mean, var) folded in:
   * w' = w * scale / sqrt(var + eps), b' = (b - mean) * scale / sqrt(var + eps) + shift.
   */
  inputs(
    key: number,
    conv: readonly (Tensor | undefined)[],
    bn: readonly Tensor[],
    eps: number,
    lowPrecision: 'bfloat16' | null = null,
  ): (Tensor | undefined)[] {
    const [x, w, b] = conv as [Tensor, Tensor, Tensor | undefined];
    const sources = [w, ...(b ? [b] : []), ...bn];
    const stamps = sources.map((t) => `${writeStamp(t)}:${t.dtype}:${lowPrecision}`);
    const hit = this.#entries.get(key);
    if (
      hit &&
      hit.sources.length === sources.length &&
      hit.sources.every((t, i) => t === sources[i] && hit.stamps[i] === stamps[i])
    ) {
      return [x, hit.weight, hit.bias];
    }
    if (hit) {
      hit.weight.dispose();
      hit.bias.dispose();
    }
    const [scale, shift, mean, variance] = bn as [Tensor, Tensor, Tensor, Tensor];
    const { weight, bias } = torch.keep(
      torch.scope(() => {
        const factor = torch.div(scale, torch.sqrt(torch.add(variance, eps)));
        const centred = b ? torch.sub(b, mean) : torch.neg(mean);
        const folded = {
          weight: torch.mul(w, factor.reshape([-1, ...new Array(w.ndim - 1).fill(1)])),
          bias: torch.add(torch.mul(centred, factor), shift),
        };
        if (lowPrecision === null) return folded;
        return { weight: folded.weight.to(lowPrecision), bias: folded.bias.to(lowPrecision) };
      }),
    );
    this.#entries.set(key, { sources, stamps, weight, bias });
    return [x, weight, bias];
  }

  clear(): void {
    for (const e of this.#entries.values()) {
      e.weight.dispose();
      e.bias.dispose();
    }
    this.#entries.clear();
  }
}

/** Whether `b` broadcasts into `a`'s shape (so that a.add_(b) gives the broadcast result). */
export function broadcastsInto(a: Tensor, b: Tensor): boolean {
  if (a.dtype !== b.dtype || b.ndim > a.ndim) return false;
  const as = a.shape;
  const bs = b.shape;
  for (let i = 1; i <= bs.length; i++) {
    const bd = bs[bs.length - i] as number;
    if (bd !== 1 && bd !== as[as.length - i]) return false;
  }
  return true;
}
