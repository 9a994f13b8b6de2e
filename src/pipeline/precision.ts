/**
 * The arithmetic precision of training and inference. 'bf16' runs the forward pass under CPU autocast
 * (convolutions and matrix products in bfloat16, PyTorch's CPU autocast lists), with float32 master
 * weights, optimizer state, loss and checkpoints; 'auto' picks it only where the CPU runs bfloat16
 * natively (AMX or AVX512-BF16, read from /proc/cpuinfo and oneDNN), float32 elsewhere.
 */
import type { CpuCapability, Tensor } from '../tensor/index.js';
import * as torch from '../tensor/index.js';

/** What a run asks for. */
export type Precision = 'auto' | 'fp32' | 'bf16';

/** What a run uses, and why. */
export interface PrecisionChoice {
  requested: Precision;
  used: 'fp32' | 'bf16';
  /** the CPU as read: oneDNN's ISA and the flags */
  cpu: string;
  /** one line for the progress output and the report */
  reason: string;
}

const PRECISIONS: readonly Precision[] = ['auto', 'fp32', 'bf16'];

/** Checks a precision option, naming where it came from. */
export function checkPrecision(value: unknown, where: string): Precision {
  if (!PRECISIONS.includes(value as Precision)) {
    throw new TypeError(`${where}: precision must be 'auto', 'fp32' or 'bf16', got '${String(value)}'`);
  }
  return value as Precision;
}

/**
 * What the precision is for. `'imported-graph-inference'`: an imported ONNX graph (OnnxGraph) in eval mode
 * without gradients that runs node by node, where `'auto'` asks more of the CPU (see {@link bf16PaysFor});
 * `'native-plan-inference'`: one whose every node the native oneDNN plan takes
 * (`graph.nativePlanReason() === null`).
 */
export type PrecisionWorkload = 'default' | 'imported-graph-inference' | 'native-plan-inference';

/** Whether oneDNN runs bfloat16 on AMX tiles here: the CPU has `amx_bf16` and oneDNN's ISA uses it. */
export function hasAmxBf16(cpu: CpuCapability): boolean {
  return cpu.nativeBf16 && cpu.flags.amxBf16 && (cpu.onednnIsa === null || /amx/i.test(cpu.onednnIsa));
}

/**
 * Whether `'auto'` picks bfloat16 for `workload` on `cpu`. By default (and for graphs the native plan
 * takes, which runs bfloat16 in oneDNN's blocked layouts: 1.4-1.7x onnxruntime's fp32 speed on
 * AVX512-BF16, BENCHMARKS.md): wherever bfloat16 runs natively (AMX or AVX512-BF16). For imported graphs
 * that run node by node only with AMX: on AVX512-BF16 without AMX their convolutions under bfloat16
 * autocast were slower than float32 on the blocked/folded path (measured here, 5.0 vs 10.3 img/s).
 */
export function bf16PaysFor(cpu: CpuCapability, workload: PrecisionWorkload = 'default'): boolean {
  return workload === 'imported-graph-inference' ? hasAmxBf16(cpu) : cpu.nativeBf16;
}

/**
 * Resolves a requested precision on this CPU (or the `cpu` given, for tests), for `workload`.
 *
 * @example
 * ```ts
 * choosePrecision('auto');   // { used: 'bf16', reason: 'bf16 (auto: the CPU runs bfloat16 natively)', ... } on AMX
 * choosePrecision('auto', torch.backends.cpu.capability(), 'imported-graph-inference');   // bf16 only with AMX
 * choosePrecision('auto', torch.backends.cpu.capability(), 'native-plan-inference');   // AMX or AVX512-BF16
 * ```
 */
export function choosePrecision(
  requested: Precision = 'fp32',
  cpu: CpuCapability = torch.backends.cpu.capability(),
  workload: PrecisionWorkload = 'default',
): PrecisionChoice {
  checkPrecision(requested, 'choosePrecision');
  const pays = bf16PaysFor(cpu, workload);
  const used = requested === 'auto' ? (pays ? 'bf16' : 'fp32') : requested;
  const why =
    requested === 'auto'
      ? `auto: ${autoReason(pays, cpu, workload)}`
      : requested === 'bf16' && !cpu.nativeBf16
        ? 'requested; emulated, the CPU has no bfloat16 units'
        : 'requested';
  return { requested, used, cpu: cpu.summary, reason: `${used} (${why}; ${cpu.summary})` };
}

/** Why `'auto'` did (`pays`) or did not pick bfloat16 for `workload` on `cpu`. */
function autoReason(pays: boolean, cpu: CpuCapability, workload: PrecisionWorkload): string {
  if (!pays && !cpu.nativeBf16) return 'no native bfloat16 on this CPU';
  if (!pays) return 'a graph that runs node by node uses bfloat16 only with AMX; this CPU has AVX512-BF16 without it';
  if (workload === 'imported-graph-inference') return 'the CPU runs bfloat16 on AMX';
  if (workload === 'native-plan-inference') return 'the CPU runs bfloat16 natively, the graph as one oneDNN plan';
  return 'the CPU runs bfloat16 natively';
}

/** Runs `fn` (sync or async) in `used` precision: under bfloat16 autocast for 'bf16'. */
export function withPrecision<T>(used: 'fp32' | 'bf16', fn: () => T): T {
  return used === 'bf16' ? torch.autocast({ dtype: 'bfloat16' }, fn) : fn();
}

/** Memory layout of image batches and convolution weights in a run. */
export type MemoryFormat = 'contiguous' | 'channelsLast';

/** A 4-d batch in `format` (other ranks and 'contiguous' pass through unchanged). */
export function inMemoryFormat(x: Tensor, format: MemoryFormat | undefined): Tensor {
  return format === 'channelsLast' && x.dim() === 4 ? x.contiguous({ memoryFormat: 'channelsLast' }) : x;
}

/** A model output in float32 for the loss and the metrics (a bfloat16 output is cast; float32 passes). */
export function float32Output(t: Tensor): Tensor {
  return t.dtype === 'bfloat16' ? t.float() : t;
}
