/**
 * The seed's TrainSummary and ValidationSummary: TensorBoard runs `<logDir>/<appName>/train` (tags
 * loss, learningRate, throughput, one point per iteration) and `<logDir>/<appName>/validation` (one
 * tag per metric value, e.g. auc, auc/Atelectasis, loss). Use the global iteration as the step of
 * both, so that TensorBoard draws them on one axis, and the training and validation `loss` in one chart.
 *
 * Tags are tszoo's metric keys, lower camelCase everywhere (the names `compute()`, early stopping and
 * reports use), where BigDL wrote Loss, LearningRate, Throughput and Top1Accuracy.
 */
import { join } from 'node:path';
import { readScalars, type ScalarPoint } from './event-reader.js';
import { EventFileWriter, type EventFileWriterOptions } from './event-writer.js';

/** What one training iteration logs. */
export interface IterationScalars {
  /** global iteration (1-based or 0-based, as the loop counts) */
  iteration: number;
  /** the iteration's mean loss */
  loss: number;
  learningRate?: number;
  /** records (images) per second */
  throughput?: number;
}

/** Tags of the training run: the keys of {@link IterationScalars} (BigDL's Loss, LearningRate, Throughput). */
export const TRAIN_TAGS = { loss: 'loss', learningRate: 'learningRate', throughput: 'throughput' } as const;

abstract class RunSummary {
  /** the run's directory */
  readonly dir: string;
  protected readonly writer: EventFileWriter;

  constructor(logDir: string, appName: string, run: string, options?: EventFileWriterOptions) {
    this.dir = join(logDir, appName, run);
    this.writer = new EventFileWriter(this.dir, options);
  }

  /** Everything logged under `tag` so far (this run's directory, all files), after a flush. */
  readScalar(tag: string): ScalarPoint[] {
    this.writer.flush();
    return readScalars(this.dir)[tag] ?? [];
  }

  flush(): void {
    this.writer.flush();
  }

  close(): void {
    this.writer.close();
  }
}

/**
 * @example
 * ```ts
 * const summary = new TrainSummary('runs', 'cxr');
 * summary.write({ iteration: 1, loss: 0.69, learningRate: 1e-3, throughput: 212 });
 * summary.close();
 * ```
 */
export class TrainSummary extends RunSummary {
  constructor(logDir: string, appName: string, options?: EventFileWriterOptions) {
    super(logDir, appName, 'train', options);
  }

  write(scalars: IterationScalars, wallTime?: number): void {
    const values: Record<string, number> = { [TRAIN_TAGS.loss]: scalars.loss };
    if (scalars.learningRate !== undefined) values[TRAIN_TAGS.learningRate] = scalars.learningRate;
    if (scalars.throughput !== undefined) values[TRAIN_TAGS.throughput] = scalars.throughput;
    this.writer.addScalars(values, scalars.iteration, wallTime);
  }
}

/**
 * @example
 * ```ts
 * const summary = new ValidationSummary('runs', 'cxr');
 * summary.write(1200, auc().compute()); // auc, auc/Atelectasis, ...
 * ```
 */
export class ValidationSummary extends RunSummary {
  constructor(logDir: string, appName: string, options?: EventFileWriterOptions) {
    super(logDir, appName, 'validation', options);
  }

  /** Logs every value of a validation (e.g. the merged compute() of its metrics) at `step`. */
  write(step: number, values: Record<string, number>, wallTime?: number): void {
    this.writer.addScalars(values, step, wallTime);
  }
}
