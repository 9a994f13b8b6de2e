/**
 * Pre-packed convolutions for the dense inference path. LibTorch 1.13's `mkldnn_prepacked::conv2d_prepack`
 * reorders a 2-d convolution's weight for oneDNN once and keeps the primitive (optionally with a fused
 * ReLU); `conv2d_run` then runs it on a dense input. On a channels-last input the output is channels-last
 * and no activation is reordered, so a pass does only the convolutions' own work, as onnxruntime's
 * pre-packed kernels do; the eager path reorders every weight on every call (MobileNetV2 at batch 1:
 * 7.5 ms of CPU per pass with pre-packing vs 25 ms eager, channels-last, in Debian's PyTorch).
 * A packed context is made per node on first use, kept between passes and rebuilt when the weights change;
 * it also runs inputs of other batch or spatial sizes (oneDNN's primitive cache holds one primitive per
 * shape; measured in Debian's PyTorch, a context packed for batch 1 runs batch 8 as fast as one packed for
 * batch 8), so there is one packed copy of the weights per node. A build without these ops falls back to the
 * eager convolution.
 */
import * as torch from '../../tensor/index.js';
import type { ScriptObject } from '../../tensor/script-object.js';
import type { Tensor } from '../../tensor/tensor.js';
import { channelsLast, writeStamp } from './inference.js';

type Prepack = (
  w: Tensor,
  b: Tensor | null,
  stride: number[],
  padding: number[],
  dilation: number[],
  groups: number,
  inputSize: number[],
  attr: string,
) => ScriptObject;
type Run = (x: Tensor, context: ScriptObject) => Tensor;

let ops: { prepack: Prepack; run: Run } | null | undefined;

/** The prepack and run ops, or null when this LibTorch lacks them or they fail (probed once). */
function prepackedOps(): { prepack: Prepack; run: Run } | null {
  if (ops === undefined) {
    try {
      const ns = torch.ops.mkldnn_prepacked as unknown as Record<string, (...a: unknown[]) => unknown>;
      const found = { prepack: ns.conv2d_prepack as unknown as Prepack, run: ns.conv2d_run as unknown as Run };
      torch.scope(() => {
        const ctx = found.prepack(torch.ones([2, 1, 1, 1]), null, [1, 1], [0, 0], [1, 1], 1, [1, 1, 2, 2], 'relu');
        try {
          const y = found.run(torch.full([1, 1, 2, 2], -1), ctx);
          if (y.shape.join(',') !== '1,2,2,2' || y.max().item() !== 0) throw new Error('unexpected result');
        } finally {
          ctx.dispose();
        }
      });
      ops = found;
    } catch {
      ops = null;
    }
  }
  return ops;
}

/** Whether pre-packed convolutions are available (Debian's LibTorch 1.13 has them). */
export function prepackedConvAvailable(): boolean {
  return prepackedOps() !== null;
}

/** A 2-d convolution's geometry, as ONNX's Conv gives it (symmetric padding). */
export interface ConvGeometry {
  stride: number[];
  padding: number[];
  dilation: number[];
  groups: number;
}

interface Entry {
  weight: Tensor;
  bias: Tensor | null;
  stamp: string;
  context: ScriptObject;
}

/** The packed convolutions of one graph, per node key (the node index), kept between passes. */
export class PrepackedConvs {
  readonly #entries = new Map<number, Entry>();

  /**
   * Runs the convolution of node `key` through its packed context, with ReLU fused when `relu`; null when
   * this call cannot go that way (no such ops, autocast, dtype, rank, empty input, channel mismatch: the
   * eager convolution then runs and reports any error).
   */
  run(key: number, x: Tensor, w: Tensor, b: Tensor | null, g: ConvGeometry, relu: boolean): Tensor | null {
    const found = prepackedOps();
    if (found === null || torch.isAutocastEnabled()) return null;
    if (x.dtype !== 'float32' || w.dtype !== 'float32' || (b !== null && b.dtype !== 'float32')) return null;
    if (x.ndim !== 4 || w.ndim !== 4 || x.device !== 'cpu' || w.device !== 'cpu' || x.numel() === 0) return null;
    if (x.shape[1] !== (w.shape[1] as number) * g.groups || (w.shape[0] as number) % g.groups !== 0) return null;
    if (b !== null && (b.ndim !== 1 || b.shape[0] !== w.shape[0])) return null;
    // oneDNN divides by strides and dilations: the eager convolution reports bad ones
    if (g.groups < 1 || [...g.stride, ...g.dilation].some((v) => v < 1) || g.padding.some((v) => v < 0)) return null;
    const context = this.#context(found.prepack, key, x, w, b, g, relu);
    return torch.scope(() => found.run(channelsLast(x), context));
  }

  #context(
    prepack: Prepack,
    key: number,
    x: Tensor,
    w: Tensor,
    b: Tensor | null,
    g: ConvGeometry,
    relu: boolean,
  ): ScriptObject {
    const stamp = `${writeStamp(w)}:${b === null ? '' : writeStamp(b)}:${g.stride}:${g.padding}:${g.dilation}:${g.groups}:${relu}`;
    const entry = this.#entries.get(key);
    if (entry !== undefined && entry.weight === w && entry.bias === b && entry.stamp === stamp) return entry.context;
    entry?.context.dispose();
    this.#entries.delete(key);
    const weight = torch.scope(() => torch.contiguous(w));
    let context: ScriptObject;
    try {
      context = prepack(weight, b, g.stride, g.padding, g.dilation, g.groups, x.shape, relu ? 'relu' : 'none');
    } finally {
      if (weight !== w) weight.dispose();
    }
    this.#entries.set(key, { weight: w, bias: b, stamp, context });
    return context;
  }

  clear(): void {
    for (const e of this.#entries.values()) e.context.dispose();
    this.#entries.clear();
  }
}
