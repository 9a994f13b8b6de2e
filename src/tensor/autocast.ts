/**
 * Autocast (automatic mixed precision) that follows async functions, as grad mode does.
 *
 * LibTorch's CPU autocast is thread-local state (`at::autocast::set_cpu_enabled`,
 * `set_autocast_cpu_dtype`): while it is on, the ops on PyTorch's CPU lists run in bfloat16 (conv*,
 * linear, matmul, mm, bmm, addmm, baddbmm, ...) or are forced to float32 (losses, norms, softmax-like
 * reductions, ...), and the rest run in the widest dtype of their inputs. The state a piece of code wants
 * lives in the async context set by {@link autocast}, and the native state is brought in line with it
 * before every op while an async autocast callback is pending (the scheme is in async-mode.ts).
 * When the last autocast region of the thread closes, the cache of bfloat16 weight copies is cleared,
 * as PyTorch does on leaving its outermost `torch.autocast`.
 */
import { AsyncMode } from './async-mode.js';
import { native } from './native.js';

/** Lower-precision dtypes CPU autocast supports (LibTorch 1.13: bfloat16 only). */
export type AutocastDType = 'bfloat16';

/** Options of {@link autocast} (PyTorch's `torch.autocast(device_type='cpu', ...)`). */
export interface AutocastOptions {
  /** The lower precision for the ops on the autocast list; default 'bfloat16'. */
  dtype?: AutocastDType;
  /** false runs `fn` with autocast off (e.g. a float32 region inside an autocast one); default true. */
  enabled?: boolean;
  /** 'cpu' (the only device of this build); default 'cpu'. */
  deviceType?: 'cpu';
}

interface AutocastContext {
  enabled: boolean;
  dtype: AutocastDType;
}

const OFF: AutocastContext = { enabled: false, dtype: 'bfloat16' };
/** autocast regions open on this thread (running or pending), for clearing the cache at the last exit. */
let openRegions = 0;
/** What the native state holds: every change goes through this module. */
let applied: AutocastContext = { enabled: native.isAutocastEnabled(), dtype: 'bfloat16' };

function apply(want: AutocastContext): void {
  if (want.enabled !== applied.enabled || want.dtype !== applied.dtype) {
    native.setAutocast(want.enabled, want.dtype);
    applied = want;
  }
}

const mode = new AsyncMode<AutocastContext>(apply, () => OFF);

function closeRegion(): void {
  openRegions--;
  if (openRegions === 0) native.clearAutocastCache();
}

/**
 * @internal Called before every op: while async autocast callbacks are pending, brings the native
 * state in line with the caller's context.
 */
export function applyAutocastMode(): void {
  mode.reapply();
}

/**
 * Runs `fn` (sync or async) under CPU autocast (PyTorch's `torch.autocast('cpu', dtype=torch.bfloat16)`):
 * convolutions, linear layers and matrix products run in bfloat16, numerically sensitive ops (losses,
 * softmax, norms) in float32, following PyTorch's CPU autocast lists exactly because LibTorch applies
 * them. With an async `fn`, autocast holds for it and everything it awaits until its promise settles,
 * and only there. Regions nest; `enabled: false` opens a float32 region inside an autocast one.
 * Gradients flow back to float32 parameters: call `backward()` outside the region, as in PyTorch.
 * Where the CPU has no bfloat16 instructions it still works, only slower: see
 * `torch.backends.cpu.capability()`.
 *
 * @example
 * ```ts
 * const logits = torch.autocast({ dtype: 'bfloat16' }, () => model.forward(x));   // bfloat16
 * const loss = torch.binaryCrossEntropyWithLogits(logits.float(), y);               // float32
 * loss.backward();
 * ```
 */
export function autocast<T>(options: AutocastOptions, fn: () => T): T {
  const dtype = options.dtype ?? 'bfloat16';
  if (dtype !== 'bfloat16') {
    throw new TypeError(`autocast: CPU autocast supports dtype 'bfloat16' only, got '${String(dtype)}'`);
  }
  if (options.deviceType !== undefined && options.deviceType !== 'cpu') {
    throw new TypeError(`autocast: deviceType must be 'cpu', got '${String(options.deviceType)}'`);
  }
  if (typeof fn !== 'function') throw new TypeError('autocast: expected a callback as the second argument');
  const context: AutocastContext = { enabled: options.enabled ?? true, dtype };
  openRegions++;
  return mode.run(context, fn, closeRegion);
}

/** Whether the calling code runs under CPU autocast (PyTorch's `torch.is_autocast_cpu_enabled()`). */
export function isAutocastEnabled(): boolean {
  return mode.wanted().enabled;
}

/** The lower-precision dtype of the calling code's autocast (PyTorch's `torch.get_autocast_cpu_dtype()`). */
export function getAutocastDtype(): AutocastDType {
  return mode.wanted().dtype;
}
