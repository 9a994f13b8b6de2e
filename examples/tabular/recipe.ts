/**
 * The Spark-ML-style tabular recipe: CSV -> Imputer / StringIndexer / OneHotEncoder / VectorAssembler /
 * StandardScaler -> NN Estimator (regression) -> evaluate -> save -> load -> predict.
 */
import { data, nn, optim, pipeline } from '../../src/index.js';

const { Imputer, OneHotEncoder, StandardScaler, StringIndexer, VectorAssembler } = data.features;

export interface TabularConfig {
  /** a CSV with columns age, bmi, children, smoker, region and the target charges */
  csv: string;
  /** where the fitted pipeline is saved */
  out: string;
  epochs: number;
  seed: number;
}

export interface TabularResult {
  train: pipeline.metrics.RegressionMetrics;
  test: pipeline.metrics.RegressionMetrics;
  /** predictions of the reloaded pipeline for the first test rows, and their targets */
  sample: { charges: number; prediction: number }[];
}

/**
 * Writes a synthetic CSV shaped like the well-known insurance-charges table (no download needed): charges
 * grow with age and BMI, jump for smokers and differ by region; some BMIs are missing.
 */
export async function writeSyntheticInsuranceCsv(path: string, rows = 800, seed = 1): Promise<void> {
  const rng = data.seededRandom(seed);
  const regions = ['northeast', 'northwest', 'southeast', 'southwest'];
  const table = Array.from({ length: rows }, () => {
    const age = 18 + Math.floor(rng() * 47);
    const bmi = 18 + rng() * 22;
    const children = Math.floor(rng() * 4);
    const smoker = rng() < 0.2 ? 'yes' : 'no';
    const region = regions[Math.floor(rng() * 4)] as string;
    const charges =
      2000 +
      250 * age +
      300 * (bmi - 18) +
      500 * children +
      (smoker === 'yes' ? 20_000 : 0) +
      (region === 'southeast' ? 1000 : 0) +
      2000 * (rng() - 0.5);
    return {
      age,
      bmi: rng() < 0.05 ? null : Math.round(bmi * 10) / 10,
      children,
      smoker,
      region,
      charges: Math.round(charges),
    };
  });
  await data.DataFrame.fromRows(table).writeCsv(path);
}

/** Fits the pipeline on 80% of the rows, evaluates on the rest, saves, reloads and predicts. */
export async function runTabular(config: TabularConfig): Promise<TabularResult> {
  const frame = data.DataFrame.readCsv(config.csv).withColumn('label', 'charges / 10000.0');
  const [train, test] = frame.randomSplit([0.8, 0.2], { seed: config.seed }) as [data.DataFrame, data.DataFrame];
  const model = new nn.Sequential(new nn.Linear(9, 32), new nn.ReLU(), new nn.Linear(32, 1));
  const fitted = await new pipeline.Pipeline([
    new Imputer({ inputCols: ['bmi'], outputCols: ['bmi'], strategy: 'median' }),
    new StringIndexer({ inputCols: ['smoker', 'region'], outputCols: ['smokerIndex', 'regionIndex'] }),
    new OneHotEncoder({
      inputCols: ['smokerIndex', 'regionIndex'],
      outputCols: ['smokerVec', 'regionVec'],
      dropLast: false,
    }),
    new VectorAssembler({ inputCols: ['age', 'bmi', 'children', 'smokerVec', 'regionVec'], outputCol: 'raw' }),
    new StandardScaler({ inputCol: 'raw', outputCol: 'features', withMean: true }),
    new pipeline.Estimator(model, {
      task: 'regression',
      loss: new nn.MSELoss(),
      featuresCol: 'features',
      labelCol: 'label',
      batchSize: 32,
      maxEpoch: config.epochs,
      optimizer: optim.adam({ lr: 0.01 }),
      seed: config.seed,
    }),
  ]).fit(train);
  const score = async (df: data.DataFrame) => pipeline.metrics.evaluateRegression(await fitted.transform(df));
  const [trainMetrics, testMetrics] = [await score(train), await score(test)];
  await fitted.save(config.out);
  const again = await pipeline.PipelineModel.load(config.out);
  const predicted = await (await again.transform(test.limit(5)))
    .select('charges', 'prediction * 10000 AS prediction')
    .collect();
  return {
    train: trainMetrics,
    test: testMetrics,
    sample: predicted.map((r) => ({ charges: r.charges as number, prediction: r.prediction as number })),
  };
}
