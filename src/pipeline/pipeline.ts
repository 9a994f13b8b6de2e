/**
 * Pipeline (Spark ML): stages run in order on a DataFrame. `fit` fits each estimator on the output of the
 * stages before it and returns a PipelineModel of transformers; its `save(dir)` writes the fitted pipeline as
 * data (pipeline.json, pipeline.safetensors, and each NN model in a folder of its own), never code.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataFrame } from '../data/dataframe/index.js';
import { type FeatureEstimator, loadFeatureStage, type SavedStage, type Transformer } from '../data/features/index.js';
import type { Transform } from '../data/image/transform.js';
import type { Image } from '../data/image/types.js';
import { loadSafetensors, saveSafetensors } from '../interop/safetensors.js';
import type { Module } from '../nn/index.js';
import type { Tensor } from '../tensor/index.js';
import * as torch from '../tensor/index.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { Model } from './model.js';

/** A stage of a Pipeline: a Transformer (applied as is) or an estimator (fitted, then applied). */
export type PipelineStage = Transformer | FeatureEstimator;

const FORMAT = 'tszoo.pipeline/1';

interface SavedPipeline {
  format: string;
  stages: ({ stage: string; params: Record<string, unknown>; arrays: string[] } | { stage: 'Model'; dir: string })[];
}

function isEstimator(stage: PipelineStage): stage is FeatureEstimator {
  return typeof (stage as FeatureEstimator).fit === 'function';
}

function checkStage(stage: unknown, i: number): PipelineStage {
  const s = stage as Partial<Transformer & FeatureEstimator> | null;
  if (s === null || typeof s !== 'object' || (typeof s.fit !== 'function' && typeof s.transform !== 'function'))
    throw new TypeError(`Pipeline: stage ${i} is not a transformer or an estimator (it has no fit or transform)`);
  return s as PipelineStage;
}

/**
 * Chains feature stages and the NN Estimator.
 *
 * @example
 * ```ts
 * const { StringIndexer, OneHotEncoder, VectorAssembler, StandardScaler } = data.features;
 * const pipe = new pipeline.Pipeline([
 *   new StringIndexer({ inputCol: 'city', outputCol: 'cityIndex' }),
 *   new OneHotEncoder({ inputCol: 'cityIndex', outputCol: 'cityVec' }),
 *   new VectorAssembler({ inputCols: ['age', 'income', 'cityVec'], outputCol: 'raw' }),
 *   new StandardScaler({ inputCol: 'raw', outputCol: 'features', withMean: true }),
 *   new pipeline.Estimator(net, { featuresCol: 'features', labelCol: 'label', maxEpoch: 20 }),
 * ]);
 * const fitted = await pipe.fit(train);
 * const scored = await fitted.transform(test);
 * await fitted.save('models/tabular');
 * const again = await pipeline.PipelineModel.load('models/tabular');
 * ```
 */
export class Pipeline implements FeatureEstimator<PipelineModel> {
  readonly stageName = 'Pipeline';
  readonly stages: readonly PipelineStage[];

  constructor(stages: readonly PipelineStage[]) {
    if (!Array.isArray(stages)) throw new TypeError('Pipeline: stages must be an array of transformers and estimators');
    this.stages = stages.map(checkStage);
  }

  /** Fits the estimators in order, each on the output of the stages before it (Spark's semantics). */
  async fit(frame: DataFrame): Promise<PipelineModel> {
    const fitted: Transformer[] = [];
    let current = frame;
    const lastEstimator = this.stages.findLastIndex(isEstimator);
    for (const [i, stage] of this.stages.entries()) {
      let t: Transformer;
      try {
        t = isEstimator(stage) ? await stage.fit(current) : stage;
        // as in Spark, stages after the last estimator are not run during fit
        if (i < lastEstimator) current = await t.transform(current);
      } catch (e) {
        throw new Error(`Pipeline.fit: stage ${i} (${stage.stageName}): ${(e as Error).message}`, { cause: e });
      }
      fitted.push(t);
    }
    return new PipelineModel(fitted);
  }
}

/** A fitted pipeline: transformers applied in order. */
export class PipelineModel implements Transformer {
  readonly stageName = 'PipelineModel';
  constructor(readonly stages: readonly Transformer[]) {}

  /** Runs every stage's transform in order. */
  async transform(frame: DataFrame): Promise<DataFrame> {
    let current = frame;
    for (const [i, stage] of this.stages.entries()) {
      try {
        current = await stage.transform(current);
      } catch (e) {
        throw new Error(`PipelineModel.transform: stage ${i} (${stage.stageName}): ${(e as Error).message}`, {
          cause: e,
        });
      }
    }
    return current;
  }

  /**
   * Writes `dir/pipeline.json` (each stage's class and parameters), `dir/pipeline.safetensors` (fitted
   * arrays, float64) and `dir/stage-<i>/` for each NN Model (see Model.save).
   */
  async save(dir: string): Promise<void> {
    mkdirSync(dir, { recursive: true });
    const meta: SavedPipeline = { format: FORMAT, stages: [] };
    const arrays: Record<string, Float64Array> = {};
    for (const [i, stage] of this.stages.entries()) {
      if (stage instanceof Model) {
        const sub = `stage-${i}`;
        await stage.save(join(dir, sub));
        meta.stages.push({ stage: 'Model', dir: sub });
        continue;
      }
      const saveable = stage as Transformer & { saved?: () => SavedStage };
      if (typeof saveable.saved !== 'function')
        throw new Error(`PipelineModel.save: stage ${i} (${stage.stageName}) cannot be saved as data`);
      const s = saveable.saved();
      for (const [name, a] of Object.entries(s.arrays ?? {})) arrays[`${i}.${name}`] = a;
      meta.stages.push({ stage: s.stage, params: s.params, arrays: Object.keys(s.arrays ?? {}) });
    }
    torch.scope(() => {
      const tensors = Object.fromEntries(
        Object.entries(arrays).map(([k, a]) => [k, torch.fromBuffer(a, { dtype: 'float64', shape: [a.length] })]),
      );
      saveSafetensors(join(dir, 'pipeline.safetensors'), tensors, { format: FORMAT });
    });
    writeFileAtomic(join(dir, 'pipeline.json'), JSON.stringify(meta, null, 2));
  }

  /**
   * Loads a saved pipeline. NN models are rebuilt from their saved ONNX architecture unless `model.module`
   * is given; pass `model.transform` when the model was trained with an image transform.
   */
  static async load(
    dir: string,
    parts: { model?: { module?: Module; transform?: Transform<Image, Tensor> } } = {},
  ): Promise<PipelineModel> {
    const path = join(dir, 'pipeline.json');
    if (!existsSync(path)) throw new Error(`PipelineModel.load: no pipeline.json in '${dir}'`);
    const meta = JSON.parse(readFileSync(path, 'utf8')) as SavedPipeline;
    if (meta.format !== FORMAT)
      throw new Error(`PipelineModel.load: '${dir}' is not a tszoo pipeline (format '${String(meta.format)}')`);
    const arrays: Record<string, Float64Array> = {};
    torch.scope(() => {
      for (const [k, t] of Object.entries(loadSafetensors(join(dir, 'pipeline.safetensors')).tensors))
        arrays[k] = Float64Array.from(t.data() as Float64Array);
    });
    const stages: Transformer[] = [];
    for (const [i, s] of meta.stages.entries()) {
      if ('dir' in s) {
        if (!/^stage-\d+$/.test(s.dir)) throw new Error(`PipelineModel.load: stage ${i} has a bad folder '${s.dir}'`);
        stages.push(await Model.load(join(dir, s.dir), parts.model ?? {}));
        continue;
      }
      const own = Object.fromEntries(
        s.arrays.map((name) => {
          const a = arrays[`${i}.${name}`];
          if (!a) throw new Error(`PipelineModel.load: stage ${i} (${s.stage}) misses its array '${name}'`);
          return [name, a];
        }),
      );
      stages.push(loadFeatureStage({ stage: s.stage, params: s.params, arrays: own }));
    }
    return new PipelineModel(stages);
  }
}
