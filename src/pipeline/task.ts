/** What a model is trained to do, and what follows from it: label shapes, scores, the default loss. */
import type { LabelKind } from '../data/frame-dataset.js';
import { BCEWithLogitsLoss, CrossEntropyLoss, type Loss } from '../nn/index.js';
import type { Tensor } from '../tensor/index.js';

/**
 * 'multi-label' (sigmoid outputs, multi-hot labels, e.g. 14 chest X-ray findings), 'multi-class' (softmax,
 * one class index per row) or 'regression' (raw outputs, numeric targets).
 */
export type Task = 'multi-label' | 'multi-class' | 'regression';

/** How a task's labels are read from a frame. */
export function labelKindOf(task: Task): LabelKind {
  return task === 'multi-class' ? 'class' : task === 'regression' ? 'target' : 'multi-hot';
}

/** BCEWithLogits for multi-label, CrossEntropy for multi-class; regression has no default. */
export function defaultLoss(task: Task): Loss | null {
  if (task === 'multi-label') return new BCEWithLogitsLoss();
  if (task === 'multi-class') return new CrossEntropyLoss();
  return null;
}

/** Scores from raw outputs: sigmoid for multi-label, softmax for multi-class, identity for regression. */
export function scoresOf(task: Task, output: Tensor): Tensor {
  if (task === 'multi-label') return output.sigmoid();
  if (task === 'multi-class') return output.softmax(1);
  return output;
}

/** Checks a first batch's output against its labels; throws saying what does not fit. */
export function checkOutput(output: Tensor, labels: Tensor, task: Task): void {
  if (output.dim() !== 2)
    throw new Error(`fit: the model's output has shape [${output.shape}], expected [batch, outputs]`);
  const k = output.shape[1] as number;
  if (task === 'multi-class') {
    const hi = labels.max().item();
    if (hi >= k) throw new Error(`fit: label ${hi} is out of range: the model has ${k} outputs (classes 0..${k - 1})`);
  } else if (labels.dim() !== 2 || labels.shape[1] !== k) {
    throw new Error(`fit: labels have ${labels.shape[1] ?? 1} values per row, the model outputs ${k}`);
  }
}
