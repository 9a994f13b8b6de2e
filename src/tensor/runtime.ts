/** Process-level engine settings: seeds, threads, build information. */
import { native } from './native.js';
import { Tensor } from './tensor.js';

/** Seeds LibTorch's default CPU generator (and CUDA's, in a CUDA build). */
export function manualSeed(seed: number | bigint): void {
  native.manualSeed(seed);
}

/** The default CPU generator's state (a uint8 tensor), e.g. to store in a checkpoint. */
export function getRngState(): Tensor {
  return new Tensor(native.getRngState());
}

/** Restores a state from getRngState(): the random numbers that follow repeat exactly. */
export function setRngState(state: Tensor): void {
  native.setRngState(state.handle);
}

/** Sets intra-op threads for the calling thread (main thread or worker). */
export function setNumThreads(n: number): void {
  native.setNumThreads(n);
}

export function getNumThreads(): number {
  return native.getNumThreads();
}

/**
 * Sets the threads of OpenBLAS, which LibTorch's matmuls (`linear`, `addmm`) call on this build, and
 * returns the previous count (null when LibTorch's BLAS is not OpenBLAS: nothing changed). Unlike
 * {@link setNumThreads} it is process-wide: OpenBLAS keeps one thread pool of its own that LibTorch's thread
 * setting does not size, whose idle threads spin (`sched_yield`) after every call. Serving sets it to the
 * threads of a model copy, so that copies sharing the cores do not lose them to the pool.
 */
export function setBlasThreads(n: number): number | null {
  return native.setBlasThreads(n);
}

/**
 * Sets the dtype of floating-point tensors made without a dtype, as torch.set_default_dtype: JS numbers in
 * `tensor()`, `full()` and `arange()`, and `zeros`, `ones`, `randn`, ... Only 'float32' (the default) or
 * 'float64'. Process-wide, like PyTorch's.
 *
 * @example
 * ```ts
 * torch.setDefaultDtype('float64');
 * torch.tensor([1, 2]).dtype; // 'float64'
 * torch.setDefaultDtype('float32');
 * ```
 */
export function setDefaultDtype(dtype: 'float32' | 'float64'): void {
  if (dtype !== 'float32' && dtype !== 'float64')
    throw new TypeError(`setDefaultDtype: only 'float32' or 'float64' can be the default dtype, got ${String(dtype)}`);
  native.setDefaultDtype(dtype);
}

/** The dtype of floating-point tensors made without one (see {@link setDefaultDtype}). */
export function getDefaultDtype(): 'float32' | 'float64' {
  return native.getDefaultDtype() as 'float32' | 'float64';
}

/** LibTorch version, build configuration (BLAS, oneDNN, OpenMP) and parallel settings. */
export function buildInfo(): { torchVersion: string; buildConfig: string; parallelInfo: string } {
  return native.config();
}
