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
 * Resolves a requested precision on this CPU (or the `cpu` given, for tests).
 *
 * @example
 * ```ts
 * choosePrecision('auto');   // { used: 'bf16', reason: 'bf16 (auto: the CPU runs bfloat16 natively)', ... } on AMX
 * ```
 */
export function choosePrecision(
  requested: Precision = 'fp32',
  cpu: CpuCapability = torch.backends.cpu.capability(),
): PrecisionChoice {
  checkPrecision(requested, 'choosePrecision');
  const used = requested === 'auto' ? (cpu.nativeBf16 ? 'bf16' : 'fp32') : requested;
  const why =
    requested === 'auto'
      ? cpu.nativeBf16
        ? 'auto: the CPU runs bfloat16 natively'
        : 'auto: no native bfloat16 on this CPU'
      : requested === 'bf16' && !cpu.nativeBf16
        ? 'requested; emulated, the CPU has no bfloat16 units'
        : 'requested';
  return { requested, used, cpu: cpu.summary, reason: `${used} (${why}; ${cpu.summary})` };
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
