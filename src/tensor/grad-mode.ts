/**
 * Grad mode that follows async functions, as scopes do.
 *
 * LibTorch's grad mode is one flag per thread, but `noGrad(async () => ...)` must hold only for its own
 * callback, across `await`, while other async work on the thread keeps its own mode. So the mode a
 * piece of code wants lives in an AsyncLocalStorage context (set by noGrad/enableGrad/inferenceMode,
 * inherited by everything they start), and the native flag is brought in line with it where it matters:
 *
 * - entering and leaving noGrad/enableGrad/inferenceMode sets the native flag directly;
 * - while an async callback of theirs is still running (its promise not settled), other code can run in
 *   between on the same thread, so every op call first re-applies the calling context's mode
 *   ({@link applyGradMode}; a no-op unless it changed, which costs one native call);
 * - while no async callback is running, the flag is always right, and op calls skip the lookup: one
 *   comparison of a counter.
 *
 * Work that an async callback starts and does not await (fire and forget) keeps the callback's mode only
 * while the callback itself is running.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { native } from './native.js';

/** The grad mode one async context wants. */
interface GradContext {
  enabled: boolean;
}

const storage = new AsyncLocalStorage<GradContext>();

/** noGrad/enableGrad callbacks whose promise has not settled yet (this thread). */
let pendingAsync = 0;
/** What the native flag holds: every change goes through this module. */
let applied = native.isGradEnabled();
/** The mode outside any noGrad/enableGrad/inferenceMode (setGradEnabled changes it there). */
let outside = applied;

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as PromiseLike<unknown>).then === 'function';
}

function apply(enabled: boolean): void {
  if (enabled !== applied) {
    native.setGradEnabled(enabled);
    applied = enabled;
  }
}

/** The mode the calling code wants. */
function wanted(): boolean {
  return storage.getStore()?.enabled ?? outside;
}

/**
 * @internal Called before every op: while async grad contexts are running, brings the native flag in
 * line with the caller's context.
 */
export function applyGradMode(): void {
  if (pendingAsync !== 0) apply(storage.getStore()?.enabled ?? outside);
}

/** Runs `fn` (sync or async) with grad mode `enabled` for it and everything it awaits. */
export function withGradMode<T>(enabled: boolean, fn: () => T): T {
  apply(enabled);
  let result: T;
  try {
    result = storage.run({ enabled }, fn);
  } finally {
    // back in the caller's context: its mode, whether fn returned, threw or is awaiting
    apply(wanted());
  }
  if (!isPromiseLike(result)) return result;
  pendingAsync++;
  const settled = () => {
    pendingAsync--;
    apply(wanted());
  };
  return Promise.resolve(result).then(
    (v) => {
      settled();
      return v;
    },
    (e: unknown) => {
      settled();
      throw e;
    },
  ) as T;
}

/** The calling code's grad mode. */
export function gradEnabled(): boolean {
  return wanted();
}

/**
 * Sets the calling context's grad mode (inside a noGrad/enableGrad callback, for the rest of it;
 * elsewhere, for code outside them). Returns the previous mode.
 */
export function setGradMode(enabled: boolean): boolean {
  const context = storage.getStore();
  const previous = context?.enabled ?? outside;
  if (context) context.enabled = enabled;
  else outside = enabled;
  apply(enabled);
  return previous;
}

/**
 * Runs a synchronous `fn` under LibTorch's inference-mode guard, with grad mode off for it (the guard
 * turns it off natively and restores it when closed).
 */
export function withInferenceMode<T>(fn: () => T): T {
  const before = applied;
  native.enterInferenceMode(true);
  applied = false;
  try {
    const result = storage.run({ enabled: false }, fn);
    if (isPromiseLike(result)) {
      throw new TypeError('inferenceMode: the callback must be synchronous; use noGrad() for async code');
    }
    return result;
  } finally {
    native.exitInferenceMode();
    applied = before;
  }
}
