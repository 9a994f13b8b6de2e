import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DataFrame } from '../data/dataframe/index.js';
import { python } from '../data/image/oracle.testutil.js';
import { nn, torch } from '../index.js';
import { adam } from '../optim/index.js';
import { Estimator } from './estimator.js';

/**
 * Debian's PyTorch trains the same linear head on the same batches with Adam, adding the penalty BigDL's
 * regularizers stand for explicitly to the loss: l1 * sum|W| + l2 / 2 * sum W^2 on the weight, l2 / 2 *
 * sum b^2 on the bias. It prints the penalty before each step and the final weights, with and without it.
 */
const ORACLE = `
import sys, json, torch
spec = json.loads(sys.argv[1])
def run(penalised):
    head = torch.nn.Linear(8, 3)
    with torch.no_grad():
        head.weight.copy_(torch.tensor(spec['weight']))
        head.bias.copy_(torch.tensor(spec['bias']))
    opt = torch.optim.Adam(head.parameters(), lr=0.01)
    x, y = torch.tensor(spec['x'], dtype=torch.float32), torch.tensor(spec['y'], dtype=torch.float32)
    penalties = []
    for epoch in range(spec['epochs']):
        for start in range(0, len(x), spec['batch']):
            xb, yb = x[start:start + spec['batch']], y[start:start + spec['batch']]
            loss = torch.nn.functional.binary_cross_entropy_with_logits(head(xb), yb)
            p = 0.01 * head.weight.abs().sum() + 0.1 / 2 * head.weight.pow(2).sum() + 0.1 / 2 * head.bias.pow(2).sum()
            penalties.append(p.item())
            if penalised: loss = loss + p
            opt.zero_grad()
            loss.backward()
            opt.step()
    return {'weight': head.weight.flatten().tolist(), 'bias': head.bias.tolist(), 'penalties': penalties}
print(json.dumps({'penalised': run(True), 'plain': run(False)}))
`;

const chunk = (a: readonly number[], n: number) =>
  Array.from({ length: a.length / n }, (_, i) => a.slice(i * n, i * n + n));
const maxDiff = (a: readonly number[], b: readonly number[]) =>
  Math.max(...a.map((v, i) => Math.abs(v - (b[i] as number))));

describe('regularizers in Estimator.fit', () => {
  it('adds the layers penalty to the loss over several Adam steps, as PyTorch computing it explicitly', async () => {
    let s = 7;
    const rand = () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
    const x = Array.from({ length: 32 }, () => Array.from({ length: 8 }, () => rand() * 2 - 1));
    const y = x.map((r) => [
      (r[0] as number) > 0 ? 1 : 0,
      (r[1] as number) + (r[2] as number) > 0 ? 1 : 0,
      rand() > 0.7 ? 1 : 0,
    ]);
    torch.manualSeed(3);
    const head = new nn.Linear(8, 3, { wRegularizer: nn.l1l2(0.01, 0.1), bRegularizer: nn.l2(0.1) });
    const weight = head.weight.toArray() as number[];
    const bias = head.bias?.toArray() as number[];
    const penalties: number[] = [];
    await new Estimator(head, {
      task: 'multi-label',
      featuresCol: 'x',
      labelCol: 'y',
      batchSize: 8,
      maxEpoch: 3,
      shuffle: false,
      optimizer: adam({ lr: 0.01 }),
      progress: false,
    })
      .on('iteration', (e) => penalties.push(e.regularization ?? 0))
      .fit(DataFrame.fromColumns({ x, y }));
    type Run = { weight: number[]; bias: number[]; penalties: number[] };
    const spec = { weight: chunk(weight, 8), bias, x, y, epochs: 3, batch: 8 };
    const oracle = JSON.parse(python(ORACLE, JSON.stringify(spec))) as { penalised: Run; plain: Run };
    const got = { weight: head.weight.toArray() as number[], bias: head.bias?.toArray() as number[] };
    assert.equal(penalties.length, 12);
    // float32 on both sides, sums reduced in other orders: equal to rounding, not bit for bit
    assert.ok(
      maxDiff(penalties, oracle.penalised.penalties) < 1e-5,
      `penalties ${penalties} vs ${oracle.penalised.penalties}`,
    );
    assert.ok(
      maxDiff(got.weight, oracle.penalised.weight) < 1e-5,
      `weight differs by ${maxDiff(got.weight, oracle.penalised.weight)}`,
    );
    assert.ok(
      maxDiff(got.bias, oracle.penalised.bias) < 1e-5,
      `bias differs by ${maxDiff(got.bias, oracle.penalised.bias)}`,
    );
    // and the penalty mattered: without it PyTorch ends elsewhere
    assert.ok(maxDiff(got.weight, oracle.plain.weight) > 1e-3, 'the regularizer changed the weights');
  });
});
