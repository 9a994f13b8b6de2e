/**
 * The protocol between the training loop and validation metrics: the loop feeds each validation batch's
 * scores and labels, then asks for named values.
 */

/** Scores and labels of one batch, row-major. */
export interface ScoredBatch {
  /** [rows x classes]: probabilities for classifiers (sigmoid for multi-label, softmax for multi-class) */
  scores: Float32Array;
  /** multi-label: [rows x classes] of 0/1; multi-class: [rows] class indices; regression: [rows x classes] targets */
  labels: Float32Array;
  rows: number;
  classes: number;
}

/**
 * A metric accumulated over batches, e.g. `auc()` or `accuracy()` from `pipeline/metrics`.
 *
 * @example
 * ```ts
 * const m: ValidationMethod = accuracy();
 * m.reset();
 * m.update({ scores, labels, rows: 2, classes: 3 });
 * m.compute(); // { accuracy: 0.5 }
 * ```
 */
export interface ValidationMethod {
  readonly name: string;
  reset(): void;
  update(batch: ScoredBatch): void;
  /** named values; the first is the score (BigDL's `state("score")`) when this is the first method */
  compute(): Record<string, number>;
}
