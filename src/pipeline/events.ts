/** What a training run reports while it runs: for programs, progress bars, summaries and the dashboard. */

/** Before the first step: how the run computes. */
export interface StartEvent {
  type: 'start';
  /** the forward pass's precision, and why (e.g. 'bf16 (auto: the CPU runs bfloat16 natively; ...)') */
  precision: 'fp32' | 'bf16';
  precisionReason: string;
  /** samples and batches per epoch (in a data-parallel run: this worker's shard) */
  epochSamples: number;
  batches: number;
}

/** After every optimizer step. */
export interface IterationEvent {
  type: 'iteration';
  /** 0-based epoch this step belongs to */
  epoch: number;
  /** steps done since the start of training (1 after the first) */
  iteration: number;
  /** batch number within the epoch (0-based) and batches per epoch */
  batch: number;
  batches: number;
  loss: number;
  learningRate: number;
  /** samples per second of this step, data loading included */
  throughput: number;
  /** samples in this step, and in the whole epoch (in a data-parallel run: this worker's, and its shard) */
  samples: number;
  epochSamples: number;
  /** the layers' regularization penalty added to the loss before backward, when the model has regularizers */
  regularization?: number;
}

/** After every epoch (and its validation, if any). */
export interface EpochEvent {
  type: 'epoch';
  /** epochs finished (1 after the first) */
  epoch: number;
  iteration: number;
  /** mean training loss over the epoch */
  loss: number;
  seconds: number;
  samplesPerSecond: number;
}

/** When the validation trigger fires. */
export interface ValidationEvent {
  type: 'validation';
  epoch: number;
  iteration: number;
  /** metric name to value; the first one is the score that `maxScore` and Plateau read */
  metrics: Record<string, number>;
  seconds: number;
}

/** After a checkpoint is written. */
export interface CheckpointEvent {
  type: 'checkpoint';
  epoch: number;
  iteration: number;
  path: string;
}

/** Why training ended. */
export interface EndEvent {
  type: 'end';
  epoch: number;
  iteration: number;
  reason: string;
  seconds: number;
  /** samples that could not be read and were left out */
  skippedSamples: number;
}

export type TrainingEvent = StartEvent | IterationEvent | EpochEvent | ValidationEvent | CheckpointEvent | EndEvent;

/** Event type to its payload. */
export type TrainingEventMap = { [E in TrainingEvent as E['type']]: E };

/** Receives every event of a run. */
export type TrainingListener = (event: TrainingEvent) => void;
