/** The validation pass: the mean loss and each metric of a module over a dataset, without gradients. */
import type { FrameDataset } from '../../data/frame-dataset.js';
import { DataLoader } from '../../data/loader.js';
import { SkippedSamplesError } from '../../data/sample-error.js';
import type { Loss, Module } from '../../nn/index.js';
import type { Tensor } from '../../tensor/index.js';
import * as torch from '../../tensor/index.js';
import type { Metric } from '../metrics/index.js';
import { float32Output, inMemoryFormat, type MemoryFormat, withPrecision } from '../precision.js';
import { scoresOf, type Task } from '../task.js';

/** What a validation pass needs besides the module. */
export interface ValidationPass {
  dataset: FrameDataset;
  task: Task;
  loss: Loss;
  /** e.g. [auc()]; the mean loss is always reported as 'loss' */
  metrics: readonly Metric[];
  batchSize: number;
  prefetch?: number;
  /** the forward pass's precision (default 'fp32'); the loss and metrics are computed in float32 */
  precision?: 'fp32' | 'bf16';
  /** layout of 4-d input batches (default 'contiguous') */
  memoryFormat?: MemoryFormat;
}

/**
 * Evaluates `module` in eval mode (train mode is restored after): each metric's values, then `loss`.
 * The first key is the score that `maxScore` and Plateau read.
 *
 * @throws {SkippedSamplesError} from the dataset when too many rows cannot be read, or when none can.
 */
export async function validate(module: Module, pass: ValidationPass): Promise<Record<string, number>> {
  for (const m of pass.metrics) m.reset();
  const loader = new DataLoader(pass.dataset, {
    batchSize: pass.batchSize,
    shuffle: false,
    prefetch: pass.prefetch ?? 2,
  });
  let lossSum = 0;
  let rows = 0;
  const wasTraining = module.training;
  module.eval();
  try {
    for await (const { tensors, dispose } of loader.epoch(0)) {
      torch.scope(() =>
        torch.noGrad(() => {
          const [x, y] = tensors as [Tensor, Tensor];
          const input = inMemoryFormat(x, pass.memoryFormat);
          const out = float32Output(withPrecision(pass.precision ?? 'fp32', () => module.forward(input)));
          const n = x.shape[0] as number;
          const batchLoss = pass.loss.forward(out, y).item();
          lossSum += batchLoss * n;
          rows += n;
          const scores = scoresOf(pass.task, out).float().contiguous().data() as Float32Array;
          const labels = y.float().contiguous().data() as Float32Array;
          for (const m of pass.metrics)
            m.update({ scores, labels, numClasses: out.shape[1] as number, loss: batchLoss });
        }),
      );
      dispose();
    }
  } finally {
    if (wasTraining) module.train();
  }
  if (rows === 0) {
    const { tried, failed } = pass.dataset.counts;
    throw new SkippedSamplesError(tried, failed, pass.dataset.errors.slice(0, 5), null, 'validation');
  }
  const out: Record<string, number> = {};
  for (const m of pass.metrics) Object.assign(out, m.compute());
  out.loss = lossSum / rows;
  return out;
}
