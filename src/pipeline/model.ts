/**
 * Model: a trained module with its preprocessing (Analytics Zoo's NNModel / NNClassifierModel).
 * `transform(frame)` appends predictions to every row; `save(dir)` writes weights and settings as data.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { stackSamples } from '../data/collate.js';
import { DataFrame, quoteIdent, type Row } from '../data/dataframe/index.js';
import { FrameDataset } from '../data/frame-dataset.js';
import type { DecodeImageOptions } from '../data/image/decode.js';
import type { Transform } from '../data/image/transform.js';
import type { Image } from '../data/image/types.js';
import { seededRandom } from '../data/sampler.js';
import { exportOnnx, importOnnx, OnnxGraph } from '../interop/onnx/index.js';
import { loadSafetensors, saveSafetensors } from '../interop/safetensors.js';
import type { Module } from '../nn/index.js';
import type { Tensor } from '../tensor/index.js';
import * as torch from '../tensor/index.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { withFeatureColumn } from './features-col.js';
import type { TrainingHistory } from './history.js';
import { type ClassifierEvaluation, evaluateRegression, type RegressionMetrics } from './metrics/index.js';
import { type EvaluateOptions, evaluateModel, writeModelReport } from './model-report.js';
import {
  checkPrecision,
  choosePrecision,
  float32Output,
  inMemoryFormat,
  type MemoryFormat,
  type Precision,
  type PrecisionChoice,
  withPrecision,
} from './precision.js';
import { scoresOf, type Task } from './task.js';

/** What a Model knows besides its weights. */
export interface ModelSettings {
  task: Task;
  transform?: Transform<Image, Tensor> | undefined;
  featureShape?: number[] | undefined;
  /** one column, or several numeric columns assembled into one vector (see EstimatorOptions.featuresCol) */
  featuresCol?: string | string[];
  predictionCol?: string;
  classNames?: string[] | undefined;
  decode?: DecodeImageOptions | undefined;
  batchSize?: number;
  /** multi-label: a finding is predicted at or above this probability (default 0.5) */
  threshold?: number;
  /** forward-pass precision of predict/transform, resolved on the machine that runs them (default 'fp32') */
  precision?: Precision;
  /** layout of 4-d input batches in predict/transform (the module's weights are laid out by Module.to) */
  memoryFormat?: MemoryFormat;
  history?: TrainingHistory;
}

const FORMAT = 'tszoo.model/1';

/**
 * @example
 * ```ts
 * const fitted = await estimator.fit(train);
 * const scored = await fitted.transform(test);      // + prediction (probabilities) and predictedLabel
 * await fitted.save('models/cxr');
 * const again = await Model.load('models/cxr', { module: buildModel(), transform });
 * ```
 */
export class Model {
  /** its name as a Pipeline stage */
  readonly stageName = 'Model';
  readonly settings: Required<
    Pick<ModelSettings, 'task' | 'featuresCol' | 'predictionCol' | 'batchSize' | 'threshold'>
  > &
    ModelSettings;

  #precision: PrecisionChoice | undefined;

  constructor(
    readonly module: Module,
    settings: ModelSettings,
  ) {
    if (settings.precision !== undefined) checkPrecision(settings.precision, 'Model');
    this.settings = {
      featuresCol: 'origin',
      predictionCol: 'prediction',
      batchSize: 32,
      threshold: 0.5,
      ...settings,
    };
  }

  /** Replaces the feature transform, e.g. the training one (with random augmentation) by a deterministic one. */
  setTransform(transform: Transform<Image, Tensor>): this {
    this.settings.transform = transform;
    return this;
  }

  /** The precision predictions run in on this machine ('auto' resolved against its CPU), and why. */
  get precision(): PrecisionChoice {
    if (this.#precision === undefined) {
      // a module holding an imported ONNX graph predicts through the graph's inference path: one native
      // plan where the graph's ops allow it, node by node otherwise
      const graphs = this.module.modules().filter((m): m is OnnxGraph => m instanceof OnnxGraph);
      const workload =
        graphs.length === 0
          ? 'default'
          : graphs.every((g) => g.nativePlanReason() === null)
            ? 'native-plan-inference'
            : 'imported-graph-inference';
      this.#precision = choosePrecision(this.settings.precision ?? 'fp32', undefined, workload);
    }
    return this.#precision;
  }

  /**
   * Sets the precision of predictions: 'fp32', 'bf16' or 'auto' (bf16 where the CPU runs it natively; for a
   * module holding an imported ONNX graph that the native plan cannot take, only with AMX: see `bf16PaysFor`).
   */
  setPrecision(precision: Precision): this {
    this.settings.precision = checkPrecision(precision, 'Model.setPrecision');
    this.#precision = undefined;
    return this;
  }

  /** Training history when the model came from `fit`. */
  get history(): TrainingHistory | undefined {
    return this.settings.history;
  }

  /**
   * Probabilities (classifiers) or outputs, one row per input: a batch tensor [B, ...] as the module takes
   * it, or decoded images, which go through the model's transform first.
   *
   * @example
   * ```ts
   * const [p] = fitted.predict([await decodeImage('scan.png', { colour: 'grey' })]); // Float32Array of 14
   * ```
   */
  predict(input: Tensor | readonly Image[]): Float32Array[] {
    const out = torch.scope(() =>
      torch.noGrad(() => {
        this.module.eval();
        let x: Tensor;
        if (Array.isArray(input)) {
          const transform = this.settings.transform;
          if (!transform) throw new Error('Model.predict: images need the model to have a transform');
          if (input.length === 0) throw new Error('Model.predict: no images');
          // deterministic transforms ignore the random source; a fixed one keeps random ones repeatable
          const rng = seededRandom(0);
          x = stackSamples(input.map((img) => transform.apply(img, rng)));
        } else x = input as Tensor;
        const used = this.precision.used;
        const batch = inMemoryFormat(x, this.settings.memoryFormat);
        const out = float32Output(withPrecision(used, () => this.module.forward(batch)));
        const y = scoresOf(this.settings.task, out).float().contiguous();
        return { data: y.data() as Float32Array, k: y.shape[1] ?? 1 };
      }),
    );
    const rows: Float32Array[] = [];
    for (let i = 0; i < out.data.length; i += out.k) rows.push(out.data.slice(i, i + out.k));
    return rows;
  }

  #labelOf(p: Float32Array): unknown {
    const { task, classNames, threshold } = this.settings;
    if (task === 'multi-class') {
      let arg = 0;
      for (let j = 1; j < p.length; j++) if ((p[j] as number) > (p[arg] as number)) arg = j;
      return classNames?.[arg] ?? arg;
    }
    if (task === 'multi-label') {
      const hits: unknown[] = [];
      p.forEach((v, j) => {
        if (v >= threshold) hits.push(classNames?.[j] ?? j);
      });
      return hits;
    }
    return null;
  }

  /**
   * The frame with `prediction` (probabilities, or outputs for regression: a number for one output) and, for classifiers,
   * `predictedLabel` (the class, or the list of findings at the threshold). A row whose features cannot be
   * read keeps its place with null predictions and the reason in `predictionError`.
   */
  async transform(frame: DataFrame): Promise<DataFrame> {
    const { rows, predictions, errors } = await this.predictRows(frame);
    const classifier = this.settings.task !== 'regression';
    const out: Row[] = rows.map((r, i) => {
      const p = predictions[i];
      // a regression with one output predicts a number, as Spark's regressors do
      const value = p && !classifier && p.length === 1 ? (p[0] as number) : p ? Array.from(p) : null;
      const row: Row = { ...r, [this.settings.predictionCol]: value };
      if (classifier) row.predictedLabel = p ? this.#labelOf(p) : null;
      row.predictionError = errors.get(i) ?? null;
      return row;
    });
    // the input's columns keep their types (FLOAT[] labels, INTEGER, DATE, ...), not the ones JS values suggest
    const schema = await frame.schema();
    const added = Object.keys(out[0] ?? {}).filter((c) => !schema.some((s) => s.name === c));
    if (out.length === 0) {
      const p = this.settings.predictionCol;
      const empty = frame.withColumn(p, classifier ? 'NULL::DOUBLE[]' : 'NULL::DOUBLE');
      const label = this.settings.classNames ? 'VARCHAR' : 'BIGINT';
      const labelType = this.settings.task === 'multi-label' ? `${label}[]` : label;
      return (classifier ? empty.withColumn('predictedLabel', `NULL::${labelType}`) : empty).withColumn(
        'predictionError',
        'NULL::VARCHAR',
      );
    }
    return DataFrame.fromRows(out).select(
      ...schema.map((c) => `CAST(${quoteIdent(c.name)} AS ${c.type}) AS ${quoteIdent(c.name)}`),
      ...added,
    );
  }

  /**
   * The frame's rows with each one's prediction (null where the features could not be read, with the
   * reason in `errors` by row number): what `transform` and `evaluate` build on, one query of the frame.
   */
  async predictRows(
    frame: DataFrame,
  ): Promise<{ rows: Row[]; predictions: (Float32Array | null)[]; errors: Map<number, string> }> {
    const { batchSize } = this.settings;
    const { frame: input, column } = await withFeatureColumn(frame, this.settings.featuresCol);
    const assembled = column !== this.settings.featuresCol;
    const rows = await input.collect();
    if (rows.length > 0 && !(column in (rows[0] as Row))) {
      throw new Error(`column '${column}' not found; the frame has: ${Object.keys(rows[0] as Row).join(', ')}`);
    }
    const ds = FrameDataset.fromRows(rows, {
      features: column,
      ...(this.settings.transform ? { transform: this.settings.transform } : {}),
      ...(this.settings.featureShape ? { featureShape: this.settings.featureShape } : {}),
      ...(this.settings.decode ? { decode: this.settings.decode } : {}),
    });
    const predictions: (Float32Array | null)[] = new Array(rows.length).fill(null);
    for (let start = 0; start < rows.length; start += batchSize) {
      const indices = Int32Array.from({ length: Math.min(batchSize, rows.length - start) }, (_, i) => start + i);
      const { tensors, kept } = await ds.load(indices, { epoch: 0, batch: start / batchSize });
      if (tensors.length === 0) continue;
      const probs = this.predict(tensors[0] as Tensor);
      for (const t of tensors) t.dispose();
      kept.forEach((row, i) => {
        predictions[row] = probs[i] as Float32Array;
      });
    }
    if (assembled) for (const r of rows) delete r[column];
    return { rows, predictions, errors: new Map(ds.errors.map((e) => [e.row, e.message])) };
  }

  /**
   * Classifier metrics on a labelled frame: per-class AUC with bootstrap intervals (by group when
   * `groupCol` is given), average precision, operating points, ROC curves, accuracy, confusion matrix.
   *
   * @example
   * ```ts
   * const evaluation = await fitted.evaluate(test, { labelCol: 'labels', groupCol: 'Patient ID', validation: val });
   * fitted.writeReport('runs/cxr/report.html', { title: 'CheXNet-style DenseNet-121', evaluation });
   * ```
   */
  evaluate(frame: DataFrame, options: EvaluateOptions = {}): Promise<ClassifierEvaluation & { split?: string }> {
    return evaluateModel(this, frame, options);
  }

  /**
   * Regression scores of the model's predictions on a labelled frame (MSE, RMSE, MAE, R², computed in
   * DuckDB), as Spark's RegressionEvaluator.
   *
   * @example
   * ```ts
   * const { rmse, r2 } = await fitted.evaluateRegression(test, { labelCol: 'price' });
   * ```
   */
  async evaluateRegression(frame: DataFrame, options: { labelCol?: string } = {}): Promise<RegressionMetrics> {
    if (this.settings.task !== 'regression')
      throw new Error(`Model.evaluateRegression: the model's task is '${this.settings.task}'; use evaluate()`);
    return evaluateRegression(await this.transform(frame), {
      labelCol: options.labelCol ?? 'label',
      predictionCol: this.settings.predictionCol,
    });
  }

  /** Writes a self-contained HTML report: training curves, validation metrics, evaluation, configuration. */
  writeReport(path: string, extra: Parameters<typeof writeModelReport>[2]): string {
    return writeModelReport(this, path, extra);
  }

  /**
   * Writes `dir/model.safetensors` (weights), `dir/model.json` (settings) and, when every layer has an
   * ONNX exporter, `dir/model.onnx` (architecture and weights, dynamic batch): data, never code.
   */
  async save(dir: string): Promise<void> {
    mkdirSync(dir, { recursive: true });
    torch.scope(() => saveSafetensors(join(dir, 'model.safetensors'), this.module.stateDict()));
    let onnx: string | null = null;
    let onnxError: string | null = null;
    const inputShape = this.settings.history?.inputShape;
    try {
      await exportOnnx(this.module, join(dir, 'model.onnx'), inputShape ? { inputShape } : {});
      onnx = 'model.onnx';
    } catch (e) {
      onnxError = (e as Error).message;
    }
    const { transform, history, ...plain } = this.settings;
    const meta = {
      format: FORMAT,
      ...plain,
      transformName: transform?.name ?? null,
      onnx,
      onnxError,
      history: history ?? null,
    };
    writeFileAtomic(join(dir, 'model.json'), JSON.stringify(meta, null, 2));
  }

  /**
   * Loads a saved model. The architecture comes from `parts.module` (built by your code; the weights are
   * loaded into it) or, without one, from the saved `model.onnx` (imported as a trainable graph). Pass
   * the transform the model was trained with; its name is checked against the saved one.
   */
  static async load(
    dir: string,
    parts: { module?: Module; transform?: Transform<Image, Tensor> } = {},
  ): Promise<Model> {
    const meta = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as ModelSettings & {
      format: string;
      transformName: string | null;
      onnx?: string | null;
      onnxError?: string | null;
      history: TrainingHistory | null;
    };
    if (meta.format !== FORMAT) throw new Error(`Model.load: '${dir}' is not a tszoo model (format '${meta.format}')`);
    if (meta.transformName && parts.transform && parts.transform.name !== meta.transformName) {
      throw new Error(`Model.load: the model was trained with ${meta.transformName}, not ${parts.transform.name}`);
    }
    if (meta.transformName && !parts.transform) {
      throw new Error(`Model.load: pass the transform the model was trained with: ${meta.transformName}`);
    }
    let module = parts.module;
    if (!module) {
      if (!meta.onnx) {
        throw new Error(
          `Model.load: '${dir}' has no ONNX architecture (${meta.onnxError ?? 'not exported'}); pass { module } built by your code`,
        );
      }
      module = await importOnnx(join(dir, basename(meta.onnx)));
    }
    const target = module;
    torch.scope(() => {
      const tensors = loadSafetensors(join(dir, 'model.safetensors')).tensors;
      if (!parts.module) {
        // an ONNX graph has no batch-norm step counters (training state only): leave them out
        const own = new Set(Object.keys(target.stateDict()));
        for (const k of Object.keys(tensors)) if (k.endsWith('num_batches_tracked') && !own.has(k)) delete tensors[k];
      }
      target.loadStateDict(tensors);
    });
    const { format: _f, transformName: _t, onnx: _o, onnxError: _e, history, ...settings } = meta;
    return new Model(module, {
      ...settings,
      transform: parts.transform,
      ...(history ? { history } : {}),
    });
  }
}
