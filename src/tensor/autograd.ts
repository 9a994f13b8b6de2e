/**
 * Autograd entry points and grad modes. LibTorch keeps grad mode per thread; here it also follows async
 * functions (see grad-mode.ts): `noGrad(async () => ...)` holds for its callback across `await` and
 * nowhere else.
 */
import { applyGradMode, gradEnabled, setGradMode, withGradMode, withInferenceMode } from './grad-mode.js';
import { native } from './native.js';
import { type Tensor, wrapResult } from './tensor.js';

/**
 * Runs `fn` without recording operations for autograd (PyTorch's `torch.no_grad()`). With an async
 * `fn`, the mode holds for it and everything it awaits until its promise settles, and only there:
 * other async work running meanwhile on the thread keeps its own mode.
 *
 * @example
 * ```ts
 * const predictions = torch.noGrad(() => model.forward(x));
 * const scores = await torch.noGrad(async () => {
 *   const batch = await nextBatch();      // other tasks may train meanwhile, with gradients
 *   return model.forward(batch);          // still not recorded
 * });
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/**
 * Runs `fn` with autograd recording on, inside a noGrad block for example; async callbacks as
 * {@link noGrad}.
 *
 * @example
 * ```ts
 * torch.noGrad(() => {
 *   const frozen = backbone.forward(x);                      // not recorded
 *   return torch.enableGrad(() => head.forward(frozen));     // recorded
 * });
 * ```
 */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

/** Whether the calling code records operations for autograd. */
export function isGradEnabled(): boolean {
  return gradEnabled();
}

/**
 * Sets grad mode for the calling code and returns the previous mode: inside a noGrad/enableGrad
 * callback for the rest of that callback, elsewhere for everything outside them. Prefer noGrad() for
 * scoped changes.
 */
export function setGradEnabled(enabled: boolean): boolean {
  return setGradMode(enabled);
}

/**
 * Runs a synchronous `fn` in LibTorch's inference mode: no autograd, no version counters; fastest
 * for serving. Tensors made inside are inference tensors and cannot enter autograd later. Use noGrad()
 * for async code.
 *
 * @example
 * ```ts
 * const logits = torch.inferenceMode(() => model.forward(x));
 * ```
 */
export function inferenceMode<T>(fn: () => T): T {
  return withInferenceMode(fn);
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
  applyGradMode();
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
  applyGradMode();
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
