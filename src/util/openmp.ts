/**
 * OpenMP's wait policy for LibTorch's intra-op threads. libgomp reads `OMP_WAIT_POLICY` once, from the
 * process environment, when it is loaded (with the LibTorch addon), so the variable must be set before
 * the first thread loads the addon. Only the main thread can set it: a worker thread's `process.env` is a
 * copy that the C library never sees, so code that starts workers which load LibTorch calls this first.
 */
import { isMainThread } from 'node:worker_threads';

/**
 * Sets `OMP_WAIT_POLICY=PASSIVE` with a short spin, `GOMP_SPINCOUNT=1000` (unless the user set it), in
 * `env` unless the user set the policy, and returns the policy in effect. With libgomp's default (idle
 * threads spin 300,000 times before sleeping) a process on a busy machine loses its time slices to its own
 * spinning threads and waits for preempted ones at every parallel region: measured here on a loaded 2-core
 * machine, an imported ResNet-18 at batch 1 took 550-820 ms per pass with 2 threads, 48-54 ms with PASSIVE
 * (50-73 ms with 1 thread); at batch 8, 920-950 ms vs 425-585 ms. Without any spin, though, every one of
 * the many short parallel regions of batch-1 inference waits for a sleeping thread to wake: 1,000 spins
 * made MobileNetV3 at batch 1 30% faster on a quiet machine and lost nothing measurable under load
 * (BENCHMARKS.md, ONNX parity). In a worker thread (where `env` is the thread's own copy) it changes
 * nothing and reports what is set.
 */
export function defaultOpenMpWaitPolicy(env: NodeJS.ProcessEnv = process.env, mainThread = isMainThread): string {
  if (mainThread) defaultOpenBlasThreadTimeout(env);
  const set = env.OMP_WAIT_POLICY?.trim();
  if (set) return set;
  if (!mainThread) return 'libgomp default';
  env.OMP_WAIT_POLICY = 'PASSIVE';
  // libgomp takes GOMP_SPINCOUNT over the policy's own count (0 for PASSIVE)
  if (!env.GOMP_SPINCOUNT?.trim()) env.GOMP_SPINCOUNT = '1000';
  return 'PASSIVE';
}

/**
 * OpenBLAS (LibTorch's BLAS on Debian: matrix products, linear layers) keeps threads of its own, which
 * spin on `sched_yield` for 2^28 cycles after every call before they sleep; between two products they take
 * the cores LibTorch's OpenMP threads run on. Measured on a loaded 2-core machine, an imported MobileNetV2 at
 * batch 1 (1 thread): its one linear layer took 1.9 ms per pass and OpenBLAS's idle thread a quarter of the
 * process's CPU samples; with `OPENBLAS_THREAD_TIMEOUT=4` (2^4 cycles, OpenBLAS's minimum) a pass took
 * 19-21 ms of CPU instead of 24-25. OpenBLAS reads the variable once, when it is loaded (with the addon).
 * Sets it in `env` unless the user did, and returns the value in effect.
 */
export function defaultOpenBlasThreadTimeout(env: NodeJS.ProcessEnv = process.env): string {
  const set = env.OPENBLAS_THREAD_TIMEOUT?.trim();
  if (set) return set;
  env.OPENBLAS_THREAD_TIMEOUT = '4';
  return '4';
}
