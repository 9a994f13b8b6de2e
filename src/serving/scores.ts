/** From a model's raw outputs to what a client gets: probabilities with label names, and the predicted label. */
import type { Task } from '../pipeline/task.js';

/**
 * One prediction. `output` holds probabilities for classifiers (softmax for multi-class, sigmoid for
 * multi-label) and raw values for regression; `probabilities` names them when the model has class names.
 */
export interface Prediction {
  output: Float32Array;
  /** label name -> probability (classifiers with class names) */
  probabilities?: Record<string, number>;
  /** multi-class: the top class; multi-label: every finding at or above the threshold */
  label?: string | number | (string | number)[];
}

/** Scores of one row of raw outputs, in float64 then rounded to float32 (the same code for every backend). */
export function scoreRow(task: Task, raw: Float32Array): Float32Array {
  if (task === 'multi-label') return raw.map((v) => 1 / (1 + Math.exp(-v)));
  if (task === 'multi-class') {
    let max = Number.NEGATIVE_INFINITY;
    for (const v of raw) max = Math.max(max, v);
    let sum = 0;
    const e = Array.from(raw, (v) => {
      const x = Math.exp(v - max);
      sum += x;
      return x;
    });
    return Float32Array.from(e, (x) => x / sum);
  }
  return raw.slice();
}

/** The prediction for one row of raw outputs. */
export function toPrediction(
  task: Task,
  raw: Float32Array,
  classNames: readonly string[] | null,
  threshold: number,
): Prediction {
  const output = scoreRow(task, raw);
  const p: Prediction = { output };
  if (task === 'regression') return p;
  const names = classNames && classNames.length === output.length ? classNames : null;
  if (names) p.probabilities = Object.fromEntries(names.map((n, i) => [n, output[i] as number]));
  if (task === 'multi-class') {
    let arg = 0;
    for (let j = 1; j < output.length; j++) if ((output[j] as number) > (output[arg] as number)) arg = j;
    p.label = names?.[arg] ?? arg;
  } else {
    const hits: (string | number)[] = [];
    output.forEach((v, j) => {
      if (v >= threshold) hits.push(names?.[j] ?? j);
    });
    p.label = hits;
  }
  return p;
}

/** A prediction as JSON (output as a plain array). */
export function predictionJson(p: Prediction): Record<string, unknown> {
  return { ...p, output: Array.from(p.output) };
}
