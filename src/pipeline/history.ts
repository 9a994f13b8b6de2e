/** What a training run leaves behind: its curves, why it stopped, what it could not read. */
import type { SampleError } from '../data/sample-error.js';
import type { EpochEvent, ValidationEvent } from './events.js';
import type { PrecisionChoice } from './precision.js';

/** One optimizer step's record (the report's training curves). */
export interface IterationRecord {
  iteration: number;
  epoch: number;
  loss: number;
  learningRate: number;
  throughput: number;
  /** the layers' weight penalty added to the loss, when the model has regularizers */
  regularization?: number;
}

/** What a run leaves behind. */
export interface TrainingHistory {
  iterations: IterationRecord[];
  epochs: Omit<EpochEvent, 'type'>[];
  validations: Omit<ValidationEvent, 'type'>[];
  /** why training ended */
  stopReason: string;
  /** shape of one model input (after the batch dimension), as first seen */
  inputShape?: number[];
  /** samples left out because they could not be read */
  skippedSamples: SampleError[];
  /** the precision the forward passes ran in, and why */
  precision?: PrecisionChoice;
}

/** An empty history. */
export function emptyHistory(): TrainingHistory {
  return { iterations: [], epochs: [], validations: [], stopReason: '', skippedSamples: [] };
}
