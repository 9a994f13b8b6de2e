/**
 * Memory scopes: tensors created while a scope runs are disposed when it ends, except the ones it
 * returns (they move to the enclosing scope) and the ones passed to keep(). Scopes follow async
 * functions across `await` (AsyncLocalStorage), so concurrent async work never frees another's tensors.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { native } from './native.js';

/** What a scope can own: a Tensor, seen through the little a scope needs. */
export interface ScopedResource {
  dispose(): void;
  readonly isDisposed: boolean;
  /** @internal the scope that will dispose it, if any */
  _scope: Scope | undefined;
  /**
   * @internal Called when no scope owns it (made outside every scope, returned by the outermost one, or
   * kept): only dispose() or the GC frees it from then on, so V8 is told its native bytes. What a scope
   * owns is not reported: the GC could not free it before the scope ends, and the bytes would only make
   * V8 collect in vain whenever a scope allocates more than 64 MiB.
   */
  _ownedByGc(): void;
}

/** @internal */
export class Scope {
  readonly owned: ScopedResource[] = [];
  constructor(readonly parent: Scope | undefined) {}

  close(result: unknown): void {
    const escaping = new Set<ScopedResource>();
    collectResources(result, escaping, 0);
    for (const r of escaping) {
      if (r._scope !== this) continue;
      r._scope = this.parent;
      if (this.parent) this.parent.owned.push(r);
      else r._ownedByGc();
    }
    for (const r of this.owned) {
      if (r._scope === this && !r.isDisposed) r.dispose();
      if (r._scope === this) r._scope = undefined;
    }
    this.owned.length = 0;
  }
}

const storage = new AsyncLocalStorage<Scope>();

function isResource(v: unknown): v is ScopedResource {
  return typeof v === 'object' && v !== null && '_scope' in v && typeof (v as ScopedResource).dispose === 'function';
}

function collectResources(v: unknown, out: Set<ScopedResource>, depth: number): void {
  if (depth > 4 || typeof v !== 'object' || v === null) return;
  if (isResource(v)) {
    out.add(v);
    return;
  }
  if (Array.isArray(v)) {
    for (const x of v) collectResources(x, out, depth + 1);
  } else if (v instanceof Map) {
    for (const x of v.values()) collectResources(x, out, depth + 1);
  } else if (Object.getPrototypeOf(v) === Object.prototype) {
    for (const x of Object.values(v)) collectResources(x, out, depth + 1);
  }
}

/** @internal Called for every new tensor: the innermost running scope takes ownership. */
// Scopes open anywhere on this thread; while none is, track() skips the AsyncLocalStorage lookup.
let openScopes = 0;

export function track(r: ScopedResource): void {
  if (openScopes === 0) return; // the addon made it owned by the GC already (setScopesOpen)
  const s = storage.getStore();
  if (s === undefined) {
    r._ownedByGc(); // a scope is open, but in another async context
    return;
  }
  r._scope = s;
  s.owned.push(r);
}

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as PromiseLike<unknown>).then === 'function';
}

/**
 * Runs `fn` and disposes every tensor it created that it does not return or keep().
 * Works with async functions: the scope closes when the promise settles.
 *
 * @example
 * ```ts
 * const loss = scope(() => {
 *   const logits = model.forward(x);          // freed at the end of the scope
 *   return nn.functional.crossEntropy(logits, y); // returned: survives
 * });
 * ```
 */
export function scope<T>(fn: () => T): T {
  const s = new Scope(storage.getStore());
  const close = (v: unknown) => {
    if (--openScopes === 0) native.setScopesOpen(false);
    s.close(v);
  };
  if (openScopes++ === 0) native.setScopesOpen(true);
  let result: T;
  try {
    result = storage.run(s, fn);
  } catch (e) {
    close(undefined);
    throw e;
  }
  if (isPromiseLike(result)) {
    return Promise.resolve(result).then(
      (v) => {
        close(v);
        return v;
      },
      (e: unknown) => {
        close(undefined);
        throw e;
      },
    ) as T;
  }
  close(result);
  return result;
}

/** Takes tensors out of every scope: the caller now disposes them (or lets GC do it). Returns its argument. */
export function keep<T>(value: T): T {
  const found = new Set<ScopedResource>();
  collectResources(value, found, 0);
  for (const r of found) {
    if (r._scope === undefined) continue;
    r._scope = undefined;
    r._ownedByGc();
  }
  return value;
}

/** True when called inside a running scope. */
export function inScope(): boolean {
  return storage.getStore() !== undefined;
}
