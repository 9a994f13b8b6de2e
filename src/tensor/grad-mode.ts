/**
 * Grad mode that follows async functions, as scopes do: the wanted mode lives in the async context and
 * LibTorch's thread-local flag is brought in line with it (the scheme is in async-mode.ts).
 * `withInferenceMode` uses LibTorch's inference-mode guard, for synchronous callbacks only.
 */
import { AsyncMode, isPromiseLike } from './async-mode.js';
import { native } from './native.js';

/** The grad mode one async context wants. */
interface GradContext {
  enabled: boolean;
}

/** What the native flag holds: every change goes through this module. */
let applied = native.isGradEnabled();
/** The mode outside any noGrad/enableGrad/inferenceMode (setGradEnabled changes it there). */
let outside = applied;
// the two contexts code outside any region can want, so the per-op re-apply allocates nothing
const ENABLED: GradContext = { enabled: true };
const DISABLED: GradContext = { enabled: false };

function apply(enabled: boolean): void {
  if (enabled !== applied) {
    native.setGradEnabled(enabled);
    applied = enabled;
  }
}

const mode = new AsyncMode<GradContext>(
  (context) => apply(context.enabled),
  () => (outside ? ENABLED : DISABLED),
);

/** The mode the calling code wants. */
function wanted(): boolean {
  return mode.store()?.enabled ?? outside;
}

/**
 * @internal Called before every op: while async grad contexts are running, brings the native flag in
 * line with the caller's context.
 */
export function applyGradMode(): void {
  mode.reapply();
}

/** Runs `fn` (sync or async) with grad mode `enabled` for it and everything it awaits. */
export function withGradMode<T>(enabled: boolean, fn: () => T): T {
  return mode.run({ enabled }, fn);
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
  const context = mode.store();
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
    const result = mode.runStoreOnly({ enabled: false }, fn);
    if (isPromiseLike(result)) {
      throw new TypeError('inferenceMode: the callback must be synchronous; use noGrad() for async code');
    }
    return result;
  } finally {
    native.exitInferenceMode();
    applied = before;
  }
}
