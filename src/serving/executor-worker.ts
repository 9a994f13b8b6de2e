/**
 * A worker thread that runs one copy of a served model: loads the backend, warms it up (with 'auto', times
 * both backends on the warm-up batch and keeps the faster), then runs batches one at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  type Backend,
  type BatchData,
  libtorchRunner,
  onnxruntimeRunner,
  type Runner,
  type RunnerSource,
} from './backend.js';

/** What the pool passes to a worker. */
export interface ExecutorData extends RunnerSource {
  backend: Backend;
  /** the warm-up batch's shape (batch dimension first), or null to skip the warm-up */
  warmupShape: number[] | null;
}

/** Messages from the pool. */
export type ToExecutor = { type: 'run'; id: number; batch: BatchData } | { type: 'close' };

/** How 'auto' chose, or which backend was asked for. */
export interface BackendReport {
  backend: 'libtorch' | 'onnxruntime';
  /** median milliseconds per warm-up batch, per backend timed */
  timingsMs: Partial<Record<'libtorch' | 'onnxruntime', number>>;
  /** 'auto': the largest absolute difference between the two backends' outputs on the warm-up batch */
  maxAbsDiff?: number;
  reason: string;
}

/** Messages to the pool. */
export type FromExecutor =
  | { type: 'ready'; report: BackendReport }
  | { type: 'result'; id: number; batch: BatchData }
  | { type: 'error'; id: number; message: string }
  | { type: 'fatal'; message: string };

const post = (m: FromExecutor, transfer: ArrayBuffer[] = []) => parentPort?.postMessage(m, transfer);

async function timed(
  runner: Runner,
  batch: BatchData,
  runs: number,
  warm = true,
): Promise<{ ms: number; out: BatchData }> {
  let out = warm ? await runner.run(batch) : batch; // the first run allocates and picks kernels: not timed
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    out = await runner.run(batch);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)] as number, out };
}

function warmupBatch(shape: number[]): BatchData {
  const n = shape.reduce((a, b) => a * b, 1);
  // a fixed, non-constant pattern: both backends see the same numbers
  return { shape, data: Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37)) };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

async function load(d: ExecutorData): Promise<{ runner: Runner; report: BackendReport }> {
  const batch = d.warmupShape ? warmupBatch(d.warmupShape) : null;
  if (d.backend !== 'auto') {
    const runner = d.backend === 'libtorch' ? await libtorchRunner(d) : await onnxruntimeRunner(d);
    const timingsMs: BackendReport['timingsMs'] = {};
    if (batch) timingsMs[runner.backend] = (await timed(runner, batch, 1)).ms;
    return { runner, report: { backend: runner.backend, timingsMs, reason: 'asked for' } };
  }
  const torchRunner = await libtorchRunner(d);
  if (!d.onnxPath || d.moduleUrl) {
    return {
      runner: torchRunner,
      report: { backend: 'libtorch', timingsMs: {}, reason: 'no ONNX file for onnxruntime' },
    };
  }
  if (!batch) {
    return {
      runner: torchRunner,
      report: { backend: 'libtorch', timingsMs: {}, reason: 'no input shape to time a warm-up batch' },
    };
  }
  const ortRunner = await onnxruntimeRunner(d);
  // alternate the two, so that a slow spell of the machine does not fall on one backend only
  const rounds = [await timed(torchRunner, batch, 1), await timed(ortRunner, batch, 1)];
  const ta = [rounds[0]?.ms as number];
  const tb = [rounds[1]?.ms as number];
  for (let i = 0; i < 2; i++) {
    ta.push((await timed(torchRunner, batch, 1, false)).ms);
    tb.push((await timed(ortRunner, batch, 1, false)).ms);
  }
  const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[1] as number;
  const a = { ms: med(ta), out: (rounds[0] as { out: BatchData }).out };
  const b = { ms: med(tb), out: (rounds[1] as { out: BatchData }).out };
  const libtorchFaster = a.ms <= b.ms;
  const [keep, drop] = libtorchFaster ? [torchRunner, ortRunner] : [ortRunner, torchRunner];
  await drop.close();
  return {
    runner: keep,
    report: {
      backend: keep.backend,
      timingsMs: { libtorch: a.ms, onnxruntime: b.ms },
      maxAbsDiff: maxAbsDiff(a.out.data, b.out.data),
      reason: `faster on the warm-up batch [${batch.shape}]`,
    },
  };
}

try {
  const { runner, report } = await load(workerData as ExecutorData);
  // one batch at a time, in arrival order
  let queue: Promise<void> = Promise.resolve();
  parentPort?.on('message', (m: ToExecutor) => {
    if (m.type === 'close') {
      queue = queue.then(() => runner.close()).then(() => parentPort?.close());
      return;
    }
    queue = queue.then(async () => {
      try {
        const out = await runner.run(m.batch);
        post({ type: 'result', id: m.id, batch: out }, [out.data.buffer as ArrayBuffer]);
      } catch (e) {
        post({ type: 'error', id: m.id, message: (e as Error).message ?? String(e) });
      }
    });
  });
  post({ type: 'ready', report });
} catch (e) {
  post({ type: 'fatal', message: (e as Error).message ?? String(e) });
}
