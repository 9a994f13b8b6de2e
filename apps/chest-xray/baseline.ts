/**
 * The baseline a CNN must beat by far: logistic regression (one per finding, trained jointly) on the
 * image downsampled to 32 x 32 grey pixels, standardised with the training split's per-pixel mean and
 * standard deviation, fitted by full-batch Adam with a small L2 penalty. The L2 strength is chosen on
 * validation mean AUC among a few values.
 */
import { FrameDataset } from '../../src/data/frame-dataset.js';
import { chain, ToTensor } from '../../src/data/image/transforms.js';
import { nn, optim, torch } from '../../src/index.js';
import { rocAucScore } from '../../src/pipeline/metrics/index.js';

export interface BaselineResult {
  /** per finding on test, NaN where undefined */
  auc: number[];
  meanAuc: number;
  l2: number;
  pixels: number;
}

async function pixels(paths: string[], side: number): Promise<torch.Tensor> {
  const ds = FrameDataset.fromRows(
    paths.map((p) => ({ path: p })),
    { features: 'path', transform: chain<torch.Tensor>(ToTensor()), decode: { colour: 'grey', resize: [side, side] } },
  );
  const parts: torch.Tensor[] = [];
  for (let s = 0; s < paths.length; s += 256) {
    const idx = Int32Array.from({ length: Math.min(256, paths.length - s) }, (_, i) => s + i);
    const { tensors } = await ds.load(idx, { epoch: 0, batch: s / 256 });
    parts.push(torch.keep((tensors[0] as torch.Tensor).flatten(1)));
    for (const t of tensors.slice(1)) t.dispose();
  }
  return torch.keep(torch.cat(parts, 0));
}

const meanOf = (v: number[]) => {
  const d = v.filter((x) => !Number.isNaN(x));
  return d.reduce((a, b) => a + b, 0) / d.length;
};

/**
 * @example
 * ```ts
 * const b = await logisticBaseline(train, val, test); // each { paths, labels }
 * b.meanAuc; // about 0.7 on the synthetic set
 * ```
 */
export async function logisticBaseline(
  train: { paths: string[]; labels: number[][] },
  val: { paths: string[]; labels: number[][] },
  test: { paths: string[]; labels: number[][] },
  side = 32,
): Promise<BaselineResult> {
  const [xTrain, xVal, xTest] = [
    await pixels(train.paths, side),
    await pixels(val.paths, side),
    await pixels(test.paths, side),
  ];
  const mean = torch.keep(torch.mean(xTrain, [0], true));
  const std = torch.keep(torch.std(xTrain, [0], true, true).clamp(1e-6));
  const z = (x: torch.Tensor) => torch.keep(torch.div(torch.sub(x, mean), std));
  const [zTrain, zVal, zTest] = [z(xTrain), z(xVal), z(xTest)];
  const yTrain = torch.keep(torch.tensor(Float32Array.from(train.labels.flat()), { shape: [train.labels.length, 14] }));
  const fit = (l2: number) => {
    torch.manualSeed(0);
    const model = new nn.Linear(side * side, 14);
    const opt = new optim.Adam(model.parameters(), { lr: 0.01, weightDecay: l2 });
    const loss = new nn.BCEWithLogitsLoss();
    for (let step = 0; step < 300; step++) {
      torch.scope(() => {
        opt.zeroGrad();
        loss.forward(model.forward(zTrain), yTrain).backward();
        opt.step();
      });
    }
    return model;
  };
  const scores = (m: nn.Linear, x: torch.Tensor) =>
    torch.noGrad(() => torch.scope(() => torch.sigmoid(m.forward(x)).tolist())) as number[][];
  let best = { l2: 0, auc: -1, model: null as nn.Linear | null };
  for (const l2 of [1e-3, 1e-2, 1e-1]) {
    const m = fit(l2);
    const a = val.paths.length > 0 ? meanOf(rocAucScore(scores(m, zVal).flat(), val.labels.flat(), 14).perClass) : 0;
    if (a > best.auc) {
      best.model?.dispose();
      best = { l2, auc: a, model: m };
    } else m.dispose();
  }
  const model = best.model as nn.Linear;
  const perClass = rocAucScore(scores(model, zTest).flat(), test.labels.flat(), 14).perClass;
  for (const t of [xTrain, xVal, xTest, mean, std, zTrain, zVal, zTest, yTrain]) t.dispose();
  model.dispose();
  return { auc: perClass, meanAuc: meanOf(perClass), l2: best.l2, pixels: side };
}
