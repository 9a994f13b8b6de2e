/**
 * Accumulating metrics: objects a training loop feeds batch by batch during validation, then asks
 * for the result. `estimator.setValidation(everyEpoch(), df, [auc(), loss()])` takes a list of them.
 *
 * The contract, for any metric m:
 * - `m.reset()` before an evaluation pass (a new metric starts reset);
 * - `m.update(batch)` once per batch: `scores` is the model output turned into probabilities
 *   (sigmoid for multi-label, softmax for multi-class), row-major `[rows x numClasses]`; `labels`
 *   are 0/1 indicators `[rows x numClasses]` or class indices `[rows]`; `loss` is the batch's mean
 *   loss. The metric copies what it needs: the caller may reuse its buffers;
 * - `m.compute()` returns named numbers. The key equal to `m.name` is the headline value (what early
 *   stopping monitors and what TensorBoard shows under that tag); keys `name/<class>` give per-class
 *   values. NaN marks an undefined value (e.g. AUC of a class with only one label value).
 *
 * Keys are lower camelCase, as Keras names its metrics: `auc`, `auprc`, `accuracy`, `top5Accuracy`,
 * `loss`, `f1` (with `f1/micro`, `precision`, `recall`), and `auc/<class>` per class. The training loop's
 * own values use the same casing (`loss`, `learningRate`, `throughput`).
 */
import { aucFromCounts, averagePrecisionFromCounts, type BinaryCounts, binaryCounts } from './binary-counts.js';
import {
  accuracyScore,
  precisionRecallF1FromCounts,
  precisionRecallF1Score,
  topKAccuracyScore,
} from './classification.js';
import {
  type BatchLabelArray,
  checkInputs,
  type InputShape,
  type LabelArray,
  labelColumn,
  numberLabels,
  type ScoreArray,
  scoreColumn,
} from './inputs.js';

/** One validation batch. */
export interface MetricBatch {
  scores: ScoreArray;
  /** 0/1 indicators [rows x numClasses] or class indices [rows]; int64 tensor data (BigInt64Array) is accepted */
  labels: BatchLabelArray;
  numClasses: number;
  /** the batch's mean loss; needed by {@link loss} */
  loss?: number;
}

/** Named results of a metric; the key equal to the metric's name is its headline value. */
export type MetricValues = Record<string, number>;

/** An accumulating metric (see the module comment for the contract). */
export interface Metric {
  /** headline key of compute(), also the TensorBoard tag, e.g. 'auc' */
  readonly name: string;
  /** whether larger headline values are better (false for loss) */
  readonly higherIsBetter: boolean;
  update(batch: MetricBatch): void;
  compute(): MetricValues;
  reset(): void;
}

/** Options of the per-class metrics. */
export interface PerClassMetricOptions {
  /** names for the per-class keys (`auc/<name>`); class indices when omitted */
  classNames?: readonly string[];
}

/** Keeps every row's scores and labels of an evaluation pass (the ranking metrics need them all). */
class RowStore {
  private scores = new Float64Array(1024);
  private labels = new Uint8Array(1024);
  private rows = 0;
  private shape: { numClasses: number; layout: InputShape['layout'] } | null = null;

  constructor(private readonly where: string) {}

  add(batch: MetricBatch): void {
    const labels = numberLabels(batch.labels);
    const shape = checkInputs(batch.scores, labels, batch.numClasses, this.where);
    if (this.shape && (this.shape.numClasses !== shape.numClasses || this.shape.layout !== shape.layout)) {
      throw new Error(
        `${this.where}: batch has ${shape.numClasses} classes (${shape.layout} labels), earlier batches ` +
          `${this.shape.numClasses} (${this.shape.layout} labels)`,
      );
    }
    this.shape = { numClasses: shape.numClasses, layout: shape.layout };
    const width = shape.numClasses;
    const need = (this.rows + shape.n) * width;
    if (need > this.scores.length) {
      const size = Math.max(need, this.scores.length * 2);
      const scores = new Float64Array(size);
      scores.set(this.scores.subarray(0, this.rows * width));
      this.scores = scores;
      const labels = new Uint8Array(size);
      labels.set(this.labels.subarray(0, this.rows * width));
      this.labels = labels;
    }
    // labels are stored as indicators whatever their layout, so one-vs-rest is uniform
    for (let i = 0; i < shape.n; i++) {
      for (let c = 0; c < width; c++) {
        const k = (this.rows + i) * width + c;
        this.scores[k] = batch.scores[i * width + c] as number;
        this.labels[k] = shape.layout === 'indicator' ? (labels[i * width + c] as number) : labels[i] === c ? 1 : 0;
      }
    }
    this.rows += shape.n;
  }

  /** Counts of each class over the stored rows. */
  classCounts(): BinaryCounts[] {
    if (!this.shape) return [];
    const shape: InputShape = { n: this.rows, numClasses: this.shape.numClasses, layout: 'indicator' };
    const scores = this.scores.subarray(0, this.rows * shape.numClasses);
    const labels = this.labels.subarray(0, this.rows * shape.numClasses);
    return Array.from({ length: shape.numClasses }, (_, c) =>
      binaryCounts(scoreColumn(scores, shape, c), labelColumn(labels, shape, c)),
    );
  }

  clear(): void {
    this.rows = 0;
    this.shape = null;
  }
}

function perClassValues(name: string, values: number[], classNames?: readonly string[]): MetricValues {
  const defined = values.filter((v) => !Number.isNaN(v));
  const out: MetricValues = {
    [name]: defined.length > 0 ? defined.reduce((a, v) => a + v, 0) / defined.length : Number.NaN,
  };
  if (values.length > 1)
    values.forEach((v, c) => {
      out[`${name}/${classNames?.[c] ?? c}`] = v;
    });
  return out;
}

function rankingMetric(
  name: string,
  measure: (counts: BinaryCounts) => number,
  options: PerClassMetricOptions,
): Metric {
  const store = new RowStore(name);
  return {
    name,
    higherIsBetter: true,
    update: (batch) => store.add(batch),
    compute: () => perClassValues(name, store.classCounts().map(measure), options.classNames),
    reset: () => store.clear(),
  };
}

/**
 * Exact ROC-AUC per class (one-vs-rest for class indices); headline `auc` = mean over the classes
 * where it is defined.
 *
 * @example
 * ```ts
 * const m = auc({ classNames: ['Atelectasis', 'Cardiomegaly'] });
 * m.update({ scores: probs, labels: multiHot, numClasses: 2 });
 * m.compute(); // { auc: 0.81, 'auc/Atelectasis': 0.78, 'auc/Cardiomegaly': 0.84 }
 * ```
 */
export function auc(options: PerClassMetricOptions = {}): Metric {
  return rankingMetric('auc', aucFromCounts, options);
}

/** Average precision (area under the precision-recall curve) per class; headline `auprc` = mean. */
export function auprc(options: PerClassMetricOptions = {}): Metric {
  return rankingMetric('auprc', averagePrecisionFromCounts, options);
}

/** A batch whose labels are numbers. */
type NumberBatch = Omit<MetricBatch, 'labels'> & { labels: LabelArray };

/** Metrics that only count, so keep no rows: `rate(batch)` is a per-batch value weighted by its rows. */
function countingMetric(
  name: string,
  higherIsBetter: boolean,
  rate: (batch: NumberBatch) => { value: number; rows: number },
): Metric {
  let sum = 0;
  let rows = 0;
  return {
    name,
    higherIsBetter,
    update: (batch) => {
      const r = rate({ ...batch, labels: numberLabels(batch.labels) });
      if (r.rows === 0) return;
      sum += r.value * r.rows;
      rows += r.rows;
    },
    compute: () => ({ [name]: rows > 0 ? sum / rows : Number.NaN }),
    reset: () => {
      sum = 0;
      rows = 0;
    },
  };
}

function rowsOf(batch: NumberBatch, where: string): number {
  return checkInputs(batch.scores, batch.labels, batch.numClasses, where).n;
}

/**
 * Accuracy: argmax == label for class indices; all classes right at `threshold` for indicators.
 *
 * @example
 * ```ts
 * const m = accuracy();
 * m.update({ scores: new Float32Array([0.9, 0.1, 0.3, 0.7]), labels: [0, 0], numClasses: 2 });
 * m.compute(); // { accuracy: 0.5 }
 * ```
 */
export function accuracy(options: { threshold?: number } = {}): Metric {
  return countingMetric('accuracy', true, (batch) => ({
    value: accuracyScore(batch.scores, batch.labels, batch.numClasses, options),
    rows: rowsOf(batch, 'accuracy'),
  }));
}

/** Top-k accuracy (class indices); named `top<k>Accuracy` (BigDL's Top1Accuracy / Top5Accuracy, lower camelCase). */
export function topK(k: number): Metric {
  if (!Number.isInteger(k) || k < 1) throw new Error(`topK: k must be a positive integer, got ${k}`);
  const name = `top${k}Accuracy`;
  return countingMetric(name, true, (batch) => ({
    value: topKAccuracyScore(batch.scores, batch.labels, batch.numClasses, k),
    rows: rowsOf(batch, name),
  }));
}

/** Top-1 accuracy (ties ranked as scikit-learn's top_k_accuracy_score). */
export const top1 = (): Metric => topK(1);
/** Top-5 accuracy. */
export const top5 = (): Metric => topK(5);

/**
 * Mean loss over rows (each batch's `loss` weighted by its rows); lower is better.
 *
 * @example
 * ```ts
 * const m = loss();
 * m.update({ scores, labels, numClasses: 10, loss: 0.42 });
 * m.compute(); // { loss: 0.42 }
 * ```
 */
export function loss(): Metric {
  return countingMetric('loss', false, (batch) => {
    const value = batch.loss;
    if (typeof value !== 'number' || Number.isNaN(value)) {
      throw new Error(`loss: the batch carries no loss (got ${value}); pass { loss } with the batch's mean loss`);
    }
    return { value, rows: rowsOf(batch, 'loss') };
  });
}

/**
 * Precision, recall and F1 at a threshold (argmax for class indices); headline `f1` = macro F1, plus
 * `f1/micro`, `precision` and `recall` (macro) and `f1/<class>`.
 */
export function f1(options: { threshold?: number } & PerClassMetricOptions = {}): Metric {
  let tp: number[] = [];
  let fp: number[] = [];
  let fn: number[] = [];
  return {
    name: 'f1',
    higherIsBetter: true,
    update: (batch) => {
      const r = precisionRecallF1Score(batch.scores, numberLabels(batch.labels), batch.numClasses, options);
      if (tp.length === 0) {
        tp = r.perClass.map(() => 0);
        fp = r.perClass.map(() => 0);
        fn = r.perClass.map(() => 0);
      } else if (tp.length !== r.perClass.length) {
        throw new Error(`f1: batch has ${r.perClass.length} classes, earlier batches ${tp.length}`);
      }
      r.perClass.forEach((c, i) => {
        tp[i] = (tp[i] as number) + c.tp;
        fp[i] = (fp[i] as number) + c.fp;
        fn[i] = (fn[i] as number) + c.fn;
      });
    },
    compute: () => {
      if (tp.length === 0) return { f1: Number.NaN };
      const f = precisionRecallF1FromCounts;
      const per = tp.map((t, i) => f(t, fp[i] as number, fn[i] as number));
      const mean = (key: 'precision' | 'recall' | 'f1') => per.reduce((s, v) => s + v[key], 0) / per.length;
      const sum = (a: number[]) => a.reduce((s, v) => s + v, 0);
      const out: MetricValues = {
        f1: mean('f1'),
        'f1/micro': f(sum(tp), sum(fp), sum(fn)).f1,
        precision: mean('precision'),
        recall: mean('recall'),
      };
      if (per.length > 1)
        per.forEach((v, c) => {
          out[`f1/${options.classNames?.[c] ?? c}`] = v.f1;
        });
      return out;
    },
    reset: () => {
      tp = [];
      fp = [];
      fn = [];
    },
  };
}
