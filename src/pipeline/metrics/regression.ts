/**
 * Regression metrics with scikit-learn's names and definitions: mean squared error, root mean squared error,
 * mean absolute error and R² (coefficient of determination), on plain arrays, as validation metrics
 * (`mse()`, `mae()`, `r2()`), and on a scored DataFrame inside DuckDB (`evaluateRegression`), as Spark's
 * RegressionEvaluator does.
 */
import { DataFrame, quoteIdent } from '../../data/dataframe/index.js';
import { numberLabels, type ScoreArray } from './inputs.js';
import type { Metric, MetricBatch, MetricValues } from './metric.js';

/** All regression scores of one set of predictions. */
export interface RegressionMetrics {
  mse: number;
  rmse: number;
  mae: number;
  /** 1 - SS_res / SS_tot; NaN when the targets are constant (scikit-learn gives 0 or 1 there) */
  r2: number;
  count: number;
}

function checkPair(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, where: string): void {
  if (yTrue.length !== yPred.length)
    throw new Error(`${where}: ${yTrue.length} targets but ${yPred.length} predictions`);
  if (yTrue.length === 0) throw new Error(`${where}: no values`);
}

/** Running sums from which every regression score follows (Welford-free: float64 sums suffice here). */
class Sums {
  n = 0;
  sq = 0;
  abs = 0;
  y = 0;
  yy = 0;
  add(t: number, p: number): void {
    const d = p - t;
    this.n += 1;
    this.sq += d * d;
    this.abs += Math.abs(d);
    this.y += t;
    this.yy += t * t;
  }
  result(): RegressionMetrics {
    const mse = this.sq / this.n;
    const ssTot = this.yy - (this.y * this.y) / this.n;
    return {
      mse,
      rmse: Math.sqrt(mse),
      mae: this.abs / this.n,
      r2: ssTot > 0 ? 1 - this.sq / ssTot : Number.NaN,
      count: this.n,
    };
  }
}

/** MSE, RMSE, MAE and R² of predictions against targets (all outputs pooled, as scikit-learn's `'uniform_average'` over one output). */
export function regressionMetrics(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): RegressionMetrics {
  checkPair(yTrue, yPred, 'regressionMetrics');
  const s = new Sums();
  for (let i = 0; i < yTrue.length; i++) s.add(yTrue[i] as number, yPred[i] as number);
  return s.result();
}

/** scikit-learn's mean_squared_error. */
export function meanSquaredError(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  return regressionMetrics(yTrue, yPred).mse;
}

/** scikit-learn's mean_absolute_error. */
export function meanAbsoluteError(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  return regressionMetrics(yTrue, yPred).mae;
}

/** scikit-learn's r2_score (NaN for constant targets). */
export function r2Score(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  return regressionMetrics(yTrue, yPred).r2;
}

class RegressionMetric implements Metric {
  #sums = new Sums();
  constructor(
    readonly name: 'mse' | 'rmse' | 'mae' | 'r2',
    readonly higherIsBetter: boolean,
  ) {}
  update(batch: MetricBatch): void {
    const scores = batch.scores as ScoreArray;
    const labels = numberLabels(batch.labels);
    checkPair(labels as ArrayLike<number>, scores as ArrayLike<number>, this.name);
    for (let i = 0; i < scores.length; i++) this.#sums.add(Number(labels[i]), scores[i] as number);
  }
  compute(): MetricValues {
    if (this.#sums.n === 0) return { [this.name]: Number.NaN };
    return { [this.name]: this.#sums.result()[this.name] };
  }
  reset(): void {
    this.#sums = new Sums();
  }
}

/**
 * Validation metrics for `task: 'regression'`: keys `mse`, `rmse`, `mae`, `r2`.
 *
 * @example
 * ```ts
 * est.setValidation(everyEpoch(), val, [metrics.mse(), metrics.r2()]);
 * ```
 */
export const mse = (): Metric => new RegressionMetric('mse', false);
export const rmse = (): Metric => new RegressionMetric('rmse', false);
export const mae = (): Metric => new RegressionMetric('mae', false);
export const r2 = (): Metric => new RegressionMetric('r2', true);

/**
 * Scores a DataFrame's predictions against its labels inside DuckDB (Spark's RegressionEvaluator). Both
 * columns are numbers, or equally long numeric lists (every element counts as one value).
 *
 * @example
 * ```ts
 * const scored = await fitted.transform(test);
 * const { rmse, r2 } = await metrics.evaluateRegression(scored, { labelCol: 'price' });
 * ```
 */
export async function evaluateRegression(
  frame: DataFrame,
  options: { labelCol?: string; predictionCol?: string } = {},
): Promise<RegressionMetrics> {
  const label = options.labelCol ?? 'label';
  const prediction = options.predictionCol ?? 'prediction';
  const schema = await frame.schema();
  const typeOf = (c: string) => {
    const col = schema.find((s) => s.name === c);
    if (!col)
      throw new Error(`evaluateRegression: column '${c}' not found (columns: ${schema.map((s) => s.name).join(', ')})`);
    return col.type;
  };
  const list = (c: string) =>
    typeOf(c).endsWith(']') ? `unnest(CAST(${quoteIdent(c)} AS DOUBLE[]))` : `CAST(${quoteIdent(c)} AS DOUBLE)`;
  const [row] = await DataFrame.sql(
    `WITH v AS (SELECT ${list(label)} AS y, ${list(prediction)} AS p FROM t),
          s AS (SELECT count(*) AS n, count(*) FILTER (WHERE y IS NULL OR p IS NULL) AS nulls,
                       avg((p - y) * (p - y)) AS mse, avg(abs(p - y)) AS mae,
                       sum((p - y) * (p - y)) AS ss_res, var_pop(y) * count(*) AS ss_tot FROM v)
     SELECT * FROM s`,
    { t: frame },
  ).collect();
  const r = row as Record<string, number>;
  if (r.nulls > 0) throw new Error(`evaluateRegression: ${r.nulls} row(s) have a null label or prediction`);
  if (r.n === 0) throw new Error('evaluateRegression: no rows');
  return {
    mse: r.mse,
    rmse: Math.sqrt(r.mse),
    mae: r.mae,
    r2: r.ss_tot > 0 ? 1 - r.ss_res / r.ss_tot : Number.NaN,
    count: r.n,
  };
}
