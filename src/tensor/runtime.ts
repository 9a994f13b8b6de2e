/** Process-level engine settings: seeds, threads, build information. */
import { native } from './native.js';

/** Seeds LibTorch's default CPU generator (and CUDA's, in a CUDA build). */
export function manualSeed(seed: number | bigint): void {
  native.manualSeed(seed);
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
