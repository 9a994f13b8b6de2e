/**
 * A LibTorch thread-local mode (grad mode, autocast) that follows async functions, as scopes do.
 *
 * The native state is one value per thread, but `noGrad(async () => ...)` or `autocast(opts, async () =>
 * ...)` must hold only for its own callback, across `await`, while other async work on the thread keeps
 * its own mode. So the mode a piece of code wants lives in an AsyncLocalStorage context (set by
 * {@link AsyncMode.run}, inherited by everything the callback starts), and the native state is brought in
 * line with it where it matters:
 *
 * - entering and leaving a region sets the native state directly;
 * - while an async callback is still running (its promise not settled), other code can run in between on
 *   the same thread, so every op call first re-applies the calling context's mode
 *   ({@link AsyncMode.reapply}; a no-op unless it changed, which costs one native call);
 * - while no async callback is running, the native state is always right, and op calls skip the lookup:
 *   one comparison of a counter.
 *
 * Work that an async callback starts and does not await (fire and forget) keeps the callback's mode only
 * while the callback itself is running.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** Whether a callback's result is a promise (or another thenable). */
export function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as PromiseLike<unknown>).then === 'function';
}

/** One thread-local mode whose wanted value follows the async context. */
export class AsyncMode<C> {
  private readonly storage = new AsyncLocalStorage<C>();
  /** callbacks of {@link run} whose promise has not settled yet (this thread) */
  private pendingAsync = 0;

  /**
   * @param apply brings the native state in line with a context (the caller skips unchanged values)
   * @param outside the mode of code outside any region
   */
  constructor(
    private readonly apply: (context: C) => void,
    private readonly outside: () => C,
  ) {}

  /** The mode the calling code wants. */
  wanted(): C {
    return this.storage.getStore() ?? this.outside();
  }

  /** The calling code's own region context, if it runs inside one. */
  store(): C | undefined {
    return this.storage.getStore();
  }

  /** Called before every op: while async regions are pending, re-applies the caller's mode. */
  reapply(): void {
    if (this.pendingAsync !== 0) this.apply(this.wanted());
  }

  /**
   * Runs `fn` (sync or async) with `context` for it and everything it awaits; `onClose` runs once the
   * region is over (after `fn` returned or threw, or after its promise settled), back in the caller's mode.
   */
  run<T>(context: C, fn: () => T, onClose?: () => void): T {
    this.apply(context);
    let result: T;
    try {
      result = this.storage.run(context, fn);
    } catch (e) {
      this.apply(this.wanted());
      onClose?.();
      throw e;
    }
    // back in the caller's context, whether fn returned or is awaiting
    this.apply(this.wanted());
    if (!isPromiseLike(result)) {
      onClose?.();
      return result;
    }
    this.pendingAsync++;
    const settled = () => {
      this.pendingAsync--;
      this.apply(this.wanted());
      onClose?.();
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

  /** Runs `fn` with `context` as its store, leaving the native state to the caller. */
  runStoreOnly<T>(context: C, fn: () => T): T {
    return this.storage.run(context, fn);
  }
}
