/**
 * The tensor engine: LibTorch tensors and autograd for TypeScript.
 *
 * @example
 * ```ts
 * import { torch } from 'tszoo';
 * const w = torch.randn([3, 1]).requiresGrad_();
 * const loss = torch.mseLoss(torch.matmul(x, w), y);
 * loss.backward();
 * ```
 */
import './methods.js';

export { type AutocastDType, type AutocastOptions, autocast, getAutocastDtype, isAutocastEnabled } from './autocast.js';
export * from './autograd.js';
export { backends, type CpuCapability } from './cpu-capability.js';
export { arange, type CreationScalar, full } from './creation.js';
export { allSchemas, type IntList, OpSet, ops, type Reduction, type Scalar } from './dispatch.js';
export * from './dtype.js';
export * from './memory.js';
export * from './ops.generated.js';
export * from './runtime.js';
export { inScope, keep, scope } from './scope.js';
export { ScriptObject } from './script-object.js';
export {
  detectLeaks,
  fromBuffer,
  inferDtype,
  isTensor,
  leakReport,
  type NestedArray,
  Tensor,
  type TensorOptions,
  tensor,
} from './tensor.js';
