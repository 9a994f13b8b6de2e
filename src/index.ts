/** tszoo: deep learning on big data for TypeScript, on LibTorch. */

export * as data from './data/index.js';
export * from './interop/index.js';
export * as models from './models/index.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * from './pipeline/checkpoint.js';
export * as pipeline from './pipeline/index.js';
export * as torch from './tensor/index.js';
export { keep, memory, noGrad, scope, Tensor, tensor } from './tensor/index.js';
