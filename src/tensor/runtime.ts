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

/** LibTorch version, build configuration (BLAS, oneDNN, OpenMP) and parallel settings. */
export function buildInfo(): { torchVersion: string; buildConfig: string; parallelInfo: string } {
  return native.config();
}
