/** Test helpers: onnxruntime-node as the independent oracle, and comparisons. */
import ort from 'onnxruntime-node';
import type { Tensor } from '../../tensor/tensor.js';

/** Runs ONNX bytes in onnxruntime (CPU) on float32 tensors; returns every output as a flat array and shape. */
export async function runOrt(
  bytes: Uint8Array,
  feeds: Record<string, Tensor>,
): Promise<Record<string, { data: number[]; shape: number[] }>> {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled' });
  const inputs: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) {
    const type = t.dtype === 'int64' ? 'int64' : t.dtype === 'float64' ? 'float64' : 'float32';
    inputs[name] = new ort.Tensor(type, t.data() as Float32Array, t.shape);
  }
  const out = await session.run(inputs);
  const result: Record<string, { data: number[]; shape: number[] }> = {};
  for (const [name, t] of Object.entries(out)) {
    result[name] = { data: Array.from(t.data as Float32Array, Number), shape: [...t.dims] };
  }
  await session.release();
  return result;
}

/** Largest absolute difference (lengths must match; NaN counts as infinite). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs((a[i] as number) - (b[i] as number));
    m = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(m, d);
  }
  return m;
}

/** 1e-4 absolute for O(1) values, relative for large ones (random-weight Inception logits reach 1e9). */
export function closeEnough(
  ours: ArrayLike<number>,
  theirs: ArrayLike<number>,
  tol = 1e-4,
): { ok: boolean; message: string } {
  const scale = Math.max(1, ...Array.from(theirs, Math.abs));
  const d = maxAbsDiff(ours, theirs);
  return { ok: d <= tol * scale, message: `max abs diff ${d} at scale ${scale}` };
}
