/** Training events to TensorBoard summaries (the seed's TrainSummary / ValidationSummary) and a JSON-lines log. */
import type { TrainingListener } from './events.js';
import type { JsonLinesWriter, TrainSummary, ValidationSummary } from './summary/index.js';

/** Where a run's events are written; each part is optional. */
export interface SummaryTargets {
  train?: TrainSummary | undefined;
  validation?: ValidationSummary | undefined;
  /** every event, one JSON object per line */
  log?: JsonLinesWriter | undefined;
}

/**
 * Writes loss, learningRate and throughput per iteration, every validation value at its iteration, and
 * (with `log`) every event; flushes at each epoch and at the end.
 *
 * @example
 * ```ts
 * estimator.onEvent(summaryListener({ train: new TrainSummary('runs', 'cxr'), validation: new ValidationSummary('runs', 'cxr') }));
 * ```
 */
export function summaryListener(targets: SummaryTargets): TrainingListener {
  return (e) => {
    targets.log?.write({ ...e, time: Date.now() / 1000 });
    if (e.type === 'iteration') {
      targets.train?.write({
        iteration: e.iteration,
        loss: e.loss,
        learningRate: e.learningRate,
        throughput: e.throughput,
      });
    } else if (e.type === 'validation') {
      targets.validation?.write(e.iteration, e.metrics);
    } else if (e.type === 'epoch' || e.type === 'end') {
      targets.train?.flush();
      targets.validation?.flush();
    }
  };
}
