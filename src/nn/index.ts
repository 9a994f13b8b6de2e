/**
 * Neural-network building blocks, the PyTorch way: Module with named parameters, layers with
 * torch.nn's names, shapes and initialisation, losses, init functions, BigDL-style regularizers, and
 * `functional` (torch.nn.functional: `crossEntropy`, `interpolate`, `pad`).
 *
 * @example
 * ```ts
 * import { nn, torch } from 'tszoo';
 * const model = new nn.Sequential(
 *   new nn.Conv2d(1, 16, 3, { padding: 1 }), new nn.BatchNorm2d(16), new nn.ReLU(),
 *   new nn.GlobalAvgPool2d(), new nn.Dropout(0.2), new nn.Linear(16, 14),
 * );
 * const loss = new nn.BCEWithLogitsLoss().forward(model.forward(x), labels);
 * ```
 */
export * from './activation.js';
export * from './conv.js';
export * from './dropout.js';
export * from './embedding.js';
export * as functional from './functional.js';
export * as init from './init.js';
export { Flatten, Identity, Linear, type LinearOptions } from './linear.js';
export * from './loss.js';
export { type LoadResult, Module, type ModuleToOptions } from './module.js';
export * from './normalization.js';
export * from './pooling.js';
export { isRegularized, l1, l1l2, l2, type Regularized, type Regularizer } from './regularizer.js';
export * from './rnn.js';
export { Sequential } from './sequential.js';
