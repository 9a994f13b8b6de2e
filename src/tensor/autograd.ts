/** Autograd entry points and grad modes. Grad mode is per thread, as in PyTorch. */
import { native } from './native.js';
import { type Tensor, wrapResult } from './tensor.js';

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as PromiseLike<unknown>).then === 'function';
}

function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const previous = native.setGradEnabled(enabled);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    native.setGradEnabled(previous);
    throw e;
  }
  if (isPromiseLike(result)) {
    // Async callbacks: the mode holds until the promise settles, for everything on this thread.
    return Promise.resolve(result).finally(() => native.setGradEnabled(previous)) as T;
  }
  native.setGradEnabled(previous);
  return result;
}

/**
 * Runs `fn` without recording operations for autograd (PyTorch's `torch.no_grad()`).
 *
 * @example
 * ```ts
 * const predictions = noGrad(() => model.forward(x));
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Runs `fn` with autograd recording on, inside a noGrad block for example. */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

export function isGradEnabled(): boolean {
  return native.isGradEnabled();
}

/** Sets grad mode for this thread; returns the previous mode. Prefer noGrad() for scoped changes. */
export function setGradEnabled(enabled: boolean): boolean {
  return native.setGradEnabled(enabled);
}

/**
 * Runs a synchronous `fn` in LibTorch's inference mode: no autograd, no version counters; fastest
 * for serving. Tensors made inside are inference tensors and cannot enter autograd later.
 */
export function inferenceMode<T>(fn: () => T): T {
  native.enterInferenceMode(true);
  try {
    const result = fn();
    if (isPromiseLike(result)) {
      throw new TypeError('inferenceMode: the callback must be synchronous; use noGrad() for async code');
    }
    return result;
  } finally {
    native.exitInferenceMode();
  }
}

export function isInferenceMode(): boolean {
  return native.isInferenceMode();
}

/** Accumulates gradients of `tensors` into the leaves' .grad (PyTorch's torch.autograd.backward). */
export function backward(
  tensors: Tensor | Tensor[],
  gradTensors?: (Tensor | null)[] | null,
  options: { retainGraph?: boolean; createGraph?: boolean } = {},
): void {
  const ts = Array.isArray(tensors) ? tensors : [tensors];
  native.backward(
    ts.map((t) => t.handle),
    gradTensors ? gradTensors.map((g) => (g ? g.handle : null)) : null,
    options.retainGraph,
    options.createGraph ?? false,
  );
}

/** Options of grad(). */
export interface GradOptions {
  gradOutputs?: (Tensor | null)[];
  retainGraph?: boolean;
  createGraph?: boolean;
  allowUnused?: boolean;
}

/**
 * Gradients of `outputs` with respect to `inputs`, returned rather than accumulated
 * (PyTorch's torch.autograd.grad). Unused inputs give null when allowUnused is set.
 */
export function grad(
  outputs: Tensor | Tensor[],
  inputs: Tensor | Tensor[],
  options: GradOptions = {},
): (Tensor | null)[] {
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  const ins = Array.isArray(inputs) ? inputs : [inputs];
  const r = native.gradOf(
    outs.map((t) => t.handle),
    ins.map((t) => t.handle),
    options.gradOutputs ? options.gradOutputs.map((g) => (g ? g.handle : null)) : null,
    options.retainGraph,
    options.createGraph ?? false,
    options.allowUnused ?? false,
  );
  return wrapResult(r) as (Tensor | null)[];
}
