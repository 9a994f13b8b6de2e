/** The validation pass: the mean loss and each metric of a module over a dataset, without gradients. */
import type { FrameDataset } from '../../data/frame-dataset.js';
import { DataLoader } from '../../data/loader.js';
import { SkippedSamplesError } from '../../data/sample-error.js';
import type { ProcessGroup } from '../../distributed/index.js';
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
  /**
   * In distributed training: each rank evaluates its shard, and every rank computes the metrics over all
   * rows (gathered), so the figures equal a single process's and every rank takes the same decisions.
   */
  processGroup?: ProcessGroup;
}

/**
 * Evaluates `module` in eval mode (train mode is restored after): each metric's values, then `loss`.
 * The first key is the score that `maxScore` and Plateau read.
 *
 * @throws {SkippedSamplesError} from the dataset when too many rows cannot be read, or when none can.
 */
export async function validate(module: Module, pass: ValidationPass): Promise<Record<string, number>> {
  for (const m of pass.metrics) m.reset();
  const pg = pass.processGroup && pass.processGroup.worldSize > 1 ? pass.processGroup : null;
  const loader = new DataLoader(pass.dataset, {
    batchSize: pass.batchSize,
    shuffle: false,
    prefetch: pass.prefetch ?? 2,
    ...(pg ? { rank: pg.rank, worldSize: pg.worldSize } : {}),
  });
  const n = pass.dataset.length;
  let lossSum = 0;
  let rows = 0;
  const kept: RowsOfBatch[] = [];
  const wasTraining = module.training;
  module.eval();
  try {
    let position = 0;
    for await (const { tensors, dispose } of loader.epoch(0)) {
      torch.scope(() =>
        torch.noGrad(() => {
          let [x, y] = tensors as [Tensor, Tensor];
          if (pg) {
            // the sampler pads the last shards by repeating rows: leave those out
            const size = x.shape[0] as number;
            let valid = 0;
            while (valid < size && pg.rank + (position + valid) * pg.worldSize < n) valid++;
            position += size;
            if (valid === 0) return;
            x = x.narrow(0, 0, valid);
            y = y.narrow(0, 0, valid);
          }
          const input = inMemoryFormat(x, pass.memoryFormat);
          const out = float32Output(withPrecision(pass.precision ?? 'fp32', () => module.forward(input)));
          const count = x.shape[0] as number;
          const batchLoss = pass.loss.forward(out, y).item();
          lossSum += batchLoss * count;
          rows += count;
          const scores = scoresOf(pass.task, out).float().contiguous().data() as Float32Array;
          const labels = y.float().contiguous().data() as Float32Array;
          if (pg) kept.push({ scores: scores.slice(), labels: labels.slice(), numClasses: out.shape[1] as number });
          else
            for (const m of pass.metrics)
              m.update({ scores, labels, numClasses: out.shape[1] as number, loss: batchLoss });
        }),
      );
      dispose();
    }
  } finally {
    if (wasTraining) module.train();
  }
  if (pg) {
    const all = await gatherRows(pg, kept, lossSum, rows);
    lossSum = all.lossSum;
    rows = all.rows;
    for (const b of all.batches) for (const m of pass.metrics) m.update({ ...b, loss: all.lossSum / all.rows });
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

interface RowsOfBatch {
  scores: Float32Array;
  labels: Float32Array;
  numClasses: number;
}

/**
 * Every rank's validation rows, on every rank: one all-gather of [rows, lossSum, widths] then one of the
 * rows themselves (padded to the longest shard), in rank order.
 */
async function gatherRows(
  pg: ProcessGroup,
  kept: readonly RowsOfBatch[],
  lossSum: number,
  rows: number,
): Promise<{ batches: RowsOfBatch[]; lossSum: number; rows: number }> {
  const own = concat(kept.map((b) => b.scores));
  const ownLabels = concat(kept.map((b) => b.labels));
  const numClasses = kept[0]?.numClasses ?? 0;
  const head = torch.keep(
    torch.tensor([rows, lossSum, own.length, ownLabels.length, numClasses], { dtype: 'float64' }),
  );
  const heads = (await pg.allGather(head)).map((t) => {
    const v = t.toArray();
    t.dispose();
    return v;
  });
  head.dispose();
  const longest = Math.max(...heads.map((h) => (h[2] as number) + (h[3] as number)));
  const mine = new Float32Array(longest);
  mine.set(own);
  mine.set(ownLabels, own.length);
  const buf = torch.keep(torch.tensor(mine));
  const parts = await pg.allGather(buf);
  buf.dispose();
  const batches: RowsOfBatch[] = [];
  let total = 0;
  let totalRows = 0;
  for (const [r, h] of heads.entries()) {
    const [count, loss, sLen, lLen, classes] = h as [number, number, number, number, number];
    const data = (parts[r] as Tensor).data() as Float32Array;
    total += loss;
    totalRows += count;
    if (count > 0)
      batches.push({ scores: data.slice(0, sLen), labels: data.slice(sLen, sLen + lLen), numClasses: classes });
    (parts[r] as Tensor).dispose();
  }
  return { batches, lossSum: total, rows: totalRows };
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
