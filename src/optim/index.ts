/**
 * Optimizers, learning-rate schedules and gradient clipping.
 *
 * Optimizers update exactly as PyTorch 1.13's `torch.optim` (single-tensor path): {@link SGD},
 * {@link Adam}, {@link AdamW}, {@link RMSprop}, {@link Adagrad}. Build one with `new` when you hold the
 * parameters, or with the lowercase factory (`adam({ ... })`) when something else supplies them later.
 * Schedules follow BigDL's semantics ({@link Warmup}, {@link Plateau}, {@link SequentialSchedule},
 * {@link Step}, {@link MultiStep}, {@link Exponential}, {@link Poly}) plus PyTorch's {@link Cosine}.
 * An optimizer's `stateDict()` holds everything needed to resume exactly: moments, step counts,
 * hyper-parameters, counters and the schedule's state.
 *
 * @example
 * ```ts
 * import { optim } from 'tszoo';
 * // The seed's chest X-ray recipe: Adam, warmed up from 1e-7 to 1e-4 over 5 epochs, then Plateau.
 * const ipe = Math.ceil(trainCount / batchSize);   // iterations per epoch
 * const schedule = new optim.SequentialSchedule(ipe)
 *   .add(new optim.Warmup((1e-4 - 1e-7) / (5 * ipe)), 5 * ipe)
 *   .add(new optim.Plateau({ monitor: 'loss', factor: 0.1, patience: 1, epsilon: 0.01, minLr: 1e-15 }), 10 * ipe);
 * const optimizer = new optim.Adam(model.parameters(), { lr: 1e-7, schedule });
 * // per batch: loss.backward(); optimizer.step(); optimizer.zeroGrad();
 * // per epoch: optimizer.endEpoch({ loss: lastBatchLoss });
 * ```
 */
export { Adagrad, type AdagradHyperParams, type AdagradOptions, adagrad } from './adagrad.js';
export { Adam, type AdamHyperParams, type AdamOptions, AdamW, adam, adamW } from './adam.js';
export { type ClipGradNormOptions, clipGradNorm, clipGradValue } from './clip.js';
export type { Json, JsonNumber } from './json.js';
export {
  Optimizer,
  type OptimizerFactory,
  type OptimizerKind,
  type OptimizerOptions,
  type ParamState,
} from './optimizer.js';
export type { LoadableStateDict, OptimizerMeta, OptimizerStateDict } from './optimizer-state.js';
export type { HyperParams, ParamGroup, ParamGroupOptions, Params } from './param-groups.js';
export { Plateau, type PlateauOptions } from './plateau.js';
export { RMSprop, type RMSpropHyperParams, type RMSpropOptions, rmsprop } from './rmsprop.js';
export type { EpochMetrics, LearningRateSchedule, ScheduleContext, ScheduleState } from './schedule.js';
export { Cosine, type CosineOptions, Exponential, MultiStep, Poly, Step, Warmup } from './schedules.js';
export { SequentialSchedule } from './sequential-schedule.js';
export { SGD, type SGDHyperParams, type SGDOptions, sgd } from './sgd.js';
