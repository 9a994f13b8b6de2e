/**
 * Serving: InferenceModel (a saved model in worker threads, dynamic batching, LibTorch or onnxruntime),
 * an HTTP frontend (fastify), and Cluster Serving over Redis Streams (InputQueue / OutputQueue, workers).
 *
 * @example
 * ```ts
 * import { serving } from 'tszoo';
 * const model = await serving.InferenceModel.load('models/tiny', { concurrency: 2, backend: 'auto' });
 * const [p] = await model.predict(torch.rand([1, 1, 16, 16]));
 * console.log(p.label, p.probabilities);
 * ```
 */
export { BACKENDS, type Backend } from './backend.js';
export type { BackendReport } from './executor-worker.js';
export { BINARY_TYPES, MODEL_NAME, type Server, type ServerOptions, startServer } from './http/server.js';
export {
  BusyError,
  InferenceModel,
  type InferenceModelOptions,
  type ModelInfo,
} from './inference-model.js';
export type { ModelInput, Sample } from './inputs.js';
export { type ModelSource, readModelSource } from './model-source.js';
export { type Predictor, PredictTimeoutError } from './predictor.js';
export { type Prediction, predictionJson } from './scores.js';
export { InputError, PAYLOAD_DTYPES, type PayloadDType, type TensorPayload } from './tensor-payload.js';
export { loadTransform, transformFromName } from './transform-module.js';
