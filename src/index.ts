/**
 * tszoo: deep learning on big data for TypeScript, on LibTorch.
 *
 * Each symbol has one import path: the namespaces below (`torch.scope`, `nn.Linear`,
 * `pipeline.saveCheckpoint`, ...) and, at the root, model interchange (`importOnnx`, `saveSafetensors`).
 * `src/api-surface.test.ts` checks it.
 */

export * as data from './data/index.js';
export * as distributed from './distributed/index.js';
export * from './interop/index.js';
export * as models from './models/index.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as pipeline from './pipeline/index.js';
export * as serving from './serving/index.js';
export * as torch from './tensor/index.js';
