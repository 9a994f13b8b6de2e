/**
 * The two engines a served model can run on, behind one interface: LibTorch (the ONNX graph imported as a
 * tszoo module, or a module your code builds, with the saved weights) and onnxruntime (CPU).
 */

import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Which engine runs the model; 'auto' times both on the warm-up batch and keeps the faster. */
export type Backend = 'libtorch' | 'onnxruntime' | 'auto';
export const BACKENDS: readonly Backend[] = ['libtorch', 'onnxruntime', 'auto'];

/** A batch in or out: shape with the batch dimension first, float32 values. */
export interface BatchData {
  shape: number[];
  data: Float32Array;
}

/** A loaded engine. */
export interface Runner {
  readonly backend: 'libtorch' | 'onnxruntime';
  run(batch: BatchData): Promise<BatchData>;
  close(): Promise<void>;
}

/** Where the model comes from, as a worker thread receives it (data only). */
export interface RunnerSource {
  onnxPath: string | null;
  weightsPath: string | null;
  /** a module (path or URL) whose default export builds the architecture: `() => Module` */
  moduleUrl: string | null;
  threads: number;
}

/** LibTorch: eval mode, inference mode (no autograd), one forward per batch. */
export async function libtorchRunner(src: RunnerSource): Promise<Runner> {
  const torch = await import('../tensor/index.js');
  torch.setNumThreads(src.threads);
  // OpenBLAS (the final Linear layers here) has its own pool, sized to the cores and spinning when idle:
  // copies sharing the cores each lost a core's time slices to it (process-wide; see setBlasThreads)
  torch.setBlasThreads(src.threads);
  let module: import('../nn/module.js').Module;
  if (src.moduleUrl) {
    const url = isAbsolute(src.moduleUrl) ? pathToFileURL(src.moduleUrl).href : src.moduleUrl;
    const build = (await import(url)).default as unknown;
    if (typeof build !== 'function')
      throw new Error(`serving: ${src.moduleUrl} has no default export building the module`);
    module = (await (build as () => unknown)()) as import('../nn/module.js').Module;
    if (src.weightsPath) {
      const { loadSafetensors } = await import('../interop/safetensors.js');
      const weights = src.weightsPath;
      const target = module;
      torch.scope(() => target.loadStateDict(loadSafetensors(weights).tensors));
    }
  } else if (src.onnxPath) {
    const { importOnnx } = await import('../interop/onnx/import.js');
    module = await importOnnx(src.onnxPath);
  } else {
    throw new Error('serving: the model has no ONNX file; pass { moduleUrl } to build its architecture');
  }
  module.eval();
  return {
    backend: 'libtorch',
    async run({ shape, data }) {
      // LibTorch's InferenceMode: no autograd, no version counters or view tracking on what it makes
      return torch.inferenceMode(() =>
        torch.scope(() => {
          const y = module
            .forward(torch.fromBuffer(data, { dtype: 'float32', shape }))
            .float()
            .contiguous();
          return { shape: [...y.shape], data: (y.data() as Float32Array).slice() };
        }),
      );
    },
    async close() {},
  };
}

/** onnxruntime (CPU execution provider), `threads` intra-op threads. */
export async function onnxruntimeRunner(src: RunnerSource): Promise<Runner> {
  if (!src.onnxPath) throw new Error('serving: the onnxruntime backend needs an ONNX file (the saved model has none)');
  const ort = (await import('onnxruntime-node')).default;
  const session = await ort.InferenceSession.create(src.onnxPath, {
    intraOpNumThreads: src.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    // copies in other worker threads share the cores: idle intra-op threads must not spin
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  });
  const input = session.inputNames[0] as string;
  const output = session.outputNames[0] as string;
  return {
    backend: 'onnxruntime',
    async run({ shape, data }) {
      const out = await session.run({ [input]: new ort.Tensor('float32', data, shape) });
      const t = out[output] as import('onnxruntime-node').Tensor;
      return { shape: [...t.dims], data: Float32Array.from(t.data as Float32Array) };
    },
    async close() {
      await session.release();
    },
  };
}
