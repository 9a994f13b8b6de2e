import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { nn, optim, torch } from '../../index.js';
import { FrameDataset } from '../frame-dataset.js';
import { chain, ToTensor } from '../image/index.js';
import { DataLoader, TensorDataset } from '../loader.js';
import { CXR14_LABELS, findChestXray14 } from './chestxray14.js';
import { generateSyntheticCxr } from './synthetic-cxr.js';

const dir = mkdtempSync(join(tmpdir(), 'tszoo-learn-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** ROC AUC by pair counting (ties count half): small, obviously right, independent of tszoo. */
function auc(scores: number[], labels: number[]): number {
  const pos = scores.filter((_, i) => labels[i] === 1);
  const neg = scores.filter((_, i) => labels[i] === 0);
  if (pos.length === 0 || neg.length === 0) return Number.NaN;
  let wins = 0;
  for (const p of pos) for (const n of neg) wins += p > n ? 1 : p === n ? 0.5 : 0;
  return wins / (pos.length * neg.length);
}

describe('synthetic ChestX-ray14', () => {
  it('is learnable but not trivial: a small CNN reaches a mean held-out AUC well above chance, below perfect', async () => {
    const root = join(dir, 'cxr');
    const rows = await generateSyntheticCxr(root, { count: 700, size: 48, seed: 11 });
    const layout = findChestXray14(root);
    const test = new Set(layout.testList);
    const all = rows.map((r) => ({
      path: layout.imagePaths.get(r.imageIndex) as string,
      label: CXR14_LABELS.map((l) => (r.findings.includes(l) ? 1 : 0)),
    }));
    const load = async (samples: typeof all) => {
      const ds = FrameDataset.fromRows(samples, {
        features: 'path',
        label: 'label',
        transform: chain<torch.Tensor>(ToTensor()),
      });
      const [x, y] = (await ds.getBatch(Int32Array.from(samples.map((_, i) => i)))) as [torch.Tensor, torch.Tensor];
      // each image to zero mean and unit variance: exposure differs per image by design (as in the app's small CNN)
      const mean = torch.mean(x, [1, 2, 3], true);
      const std = torch.std(x, [1, 2, 3], false, true).clamp(1e-5);
      return torch.keep([torch.div(torch.sub(x, mean), std), y]);
    };
    const [xTrain, yTrain] = (await load(all.filter((s) => !test.has(basename(s.path))))) as [
      torch.Tensor,
      torch.Tensor,
    ];
    const [xVal, yVal] = (await load(all.filter((s) => test.has(basename(s.path))))) as [torch.Tensor, torch.Tensor];
    torch.manualSeed(0);
    const model = new nn.Sequential(
      new nn.Conv2d(1, 16, 3, { padding: 1 }),
      new nn.BatchNorm2d(16),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Conv2d(16, 32, 3, { padding: 1 }),
      new nn.BatchNorm2d(32),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Conv2d(32, 64, 3, { padding: 1 }),
      new nn.BatchNorm2d(64),
      new nn.ReLU(),
      new nn.GlobalAvgPool2d(),
      new nn.Linear(64, 14),
    );
    const optimizer = new optim.Adam(model.parameters(), { lr: 3e-3 });
    const lossFn = new nn.BCEWithLogitsLoss();
    const loader = new DataLoader(new TensorDataset(xTrain, yTrain), { batchSize: 32, shuffle: true, seed: 1 });
    for (let epoch = 0; epoch < 8; epoch++) {
      model.train();
      for await (const batch of loader.epoch(epoch)) {
        torch.scope(() => {
          optimizer.zeroGrad();
          lossFn.forward(model.forward(batch.tensors[0] as torch.Tensor), batch.tensors[1] as torch.Tensor).backward();
          optimizer.step();
        });
        batch.dispose();
      }
    }
    model.eval();
    const scores = torch.noGrad(() => torch.scope(() => torch.sigmoid(model.forward(xVal)).tolist())) as number[][];
    const truth = yVal.tolist() as number[][];
    const aucs = CXR14_LABELS.map((_, k) =>
      auc(
        scores.map((r) => r[k] as number),
        truth.map((r) => r[k] as number),
      ),
    ).filter((a) => !Number.isNaN(a));
    const mean = aucs.reduce((a, b) => a + b, 0) / aucs.length;
    assert.ok(mean > 0.7, `mean AUC ${mean.toFixed(3)}: learnable`);
    assert.ok(mean < 0.99, `mean AUC ${mean.toFixed(3)}: not trivial`);
    assert.ok(Math.min(...aucs) < 0.9, 'some findings stay hard');
    for (const t of [xTrain, yTrain, xVal, yVal]) t.dispose();
    model.dispose();
  });
});
