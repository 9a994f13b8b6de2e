/** tszoo: deep learning on big data for TypeScript, on LibTorch. */
export * as torch from './tensor/index.js';
export { keep, memory, noGrad, scope, Tensor, tensor } from './tensor/index.js';
