/** What the HTTP frontend serves: an in-process InferenceModel or a Redis Cluster Serving client. */
import type { ModelInput } from './inputs.js';
import type { Prediction } from './scores.js';
import type { TensorPayload } from './tensor-payload.js';

/**
 * A model behind a name. `predictOne` takes one input (image or DICOM bytes, a JSON tensor of one sample),
 * `predict` a JSON tensor batch `[B, ...]`.
 */
export interface Predictor {
  predictOne(input: ModelInput, where?: string): Promise<Prediction>;
  predict(batch: TensorPayload): Promise<Prediction[]>;
  /** shown by `GET /v1/models` */
  readonly info: object;
  /** requests waiting */
  readonly queueDepth: number;
  /** workers serving it */
  readonly workers: number;
  /** batch size -> batches run */
  readonly batchSizes?: ReadonlyMap<number, number>;
  /** brings queueDepth, workers and batchSizes up to date (called before /metrics reads them) */
  refresh?(): Promise<void>;
}

/** A request waited longer than its time limit for a result (HTTP 504). */
export class PredictTimeoutError extends Error {
  override name = 'PredictTimeoutError';
}
