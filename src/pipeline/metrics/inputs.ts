/**
 * The array shapes every metric takes, and their validation.
 *
 * Scores are a row-major `[n x numClasses]` matrix of probabilities (or any monotone score for the
 * ranking metrics). Labels come in one of two layouts, told apart by their length:
 * - `n * numClasses` 0/1 indicators (multi-label, or binary when numClasses is 1);
 * - `n` class indices in `0..numClasses-1` (multi-class; needs numClasses >= 2).
 */

/** Scores `[n x numClasses]`, row-major. */
export type ScoreArray = Float32Array | Float64Array | readonly number[];
/** 0/1 indicators `[n x numClasses]` or class indices `[n]`. */
export type LabelArray = Uint8Array | Int32Array | Float32Array | Float64Array | readonly number[];

/** Labels as a training loop may hold them: also the BigInt64Array of an int64 tensor's data(). */
export type BatchLabelArray = LabelArray | BigInt64Array;

/** Converts int64 labels (BigInt64Array) to numbers; other arrays are returned as they are. */
export function numberLabels(labels: BatchLabelArray): LabelArray {
  return labels instanceof BigInt64Array ? Float64Array.from(labels, Number) : labels;
}

/** What {@link checkInputs} found out about a (scores, labels) pair. */
export interface InputShape {
  /** rows */
  n: number;
  numClasses: number;
  /** 'indicator': labels are `[n x numClasses]` 0/1; 'index': labels are `[n]` class indices */
  layout: 'indicator' | 'index';
}

/**
 * Validates scores and labels and tells their layout; throws an Error naming `where` and the problem.
 *
 * @example
 * ```ts
 * checkInputs(new Float32Array([0.1, 0.9, 0.8, 0.2]), [1, 0], 2, 'accuracyScore'); // { n: 2, numClasses: 2, layout: 'index' }
 * ```
 */
export function checkInputs(scores: ScoreArray, labels: LabelArray, numClasses: number, where: string): InputShape {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new Error(`${where}: numClasses must be a positive integer, got ${numClasses}`);
  }
  if ((labels as unknown) instanceof BigInt64Array) {
    throw new Error(`${where}: labels are a BigInt64Array (int64 tensor data); convert them with numberLabels(labels)`);
  }
  if (scores.length % numClasses !== 0) {
    throw new Error(`${where}: ${scores.length} scores do not form rows of ${numClasses} classes`);
  }
  const n = scores.length / numClasses;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i] as number;
    if (typeof s !== 'number' || Number.isNaN(s)) {
      throw new Error(`${where}: score ${i} (row ${Math.floor(i / numClasses)}) is ${s}, not a number`);
    }
  }
  let layout: InputShape['layout'];
  if (labels.length === n * numClasses) layout = 'indicator';
  else if (labels.length === n && numClasses >= 2) layout = 'index';
  else {
    throw new Error(
      `${where}: ${labels.length} labels for ${n} rows of ${numClasses} classes; expected ${n * numClasses} ` +
        `0/1 indicators${numClasses >= 2 ? ` or ${n} class indices` : ''}`,
    );
  }
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i] as number;
    const ok = layout === 'indicator' ? y === 0 || y === 1 : Number.isInteger(y) && y >= 0 && y < numClasses;
    if (!ok) {
      const expected = layout === 'indicator' ? '0 or 1' : `a class index in 0..${numClasses - 1}`;
      throw new Error(`${where}: label ${i} is ${y}, expected ${expected}`);
    }
  }
  return { n, numClasses, layout };
}

/** Column `c` of a row-major `[n x numClasses]` score matrix, as doubles. */
export function scoreColumn(scores: ScoreArray, shape: InputShape, c: number): Float64Array {
  const out = new Float64Array(shape.n);
  for (let i = 0; i < shape.n; i++) out[i] = scores[i * shape.numClasses + c] as number;
  return out;
}

/** Whether each row belongs to class `c` (one-vs-rest for class indices), as 0/1. */
export function labelColumn(labels: LabelArray, shape: InputShape, c: number): Uint8Array {
  const out = new Uint8Array(shape.n);
  for (let i = 0; i < shape.n; i++) {
    out[i] = shape.layout === 'indicator' ? (labels[i * shape.numClasses + c] as number) : labels[i] === c ? 1 : 0;
  }
  return out;
}

/** Index of the largest score in row `i` (the first one on ties, like numpy's and torch's argmax). */
export function argmaxRow(scores: ScoreArray, numClasses: number, i: number): number {
  let best = 0;
  let bestScore = scores[i * numClasses] as number;
  for (let c = 1; c < numClasses; c++) {
    const s = scores[i * numClasses + c] as number;
    if (s > bestScore) {
      best = c;
      bestScore = s;
    }
  }
  return best;
}
