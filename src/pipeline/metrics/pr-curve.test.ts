// precisionRecallCurve against scikit-learn 1.2's precision_recall_curve (Debian's python3-sklearn, run
// live), on random and tie-heavy scores and without positives; values within 1e-12, thresholds exact.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { seededRandom } from '../../data/sampler.js';
import { binaryAveragePrecision, evaluateClassifier, precisionRecallCurve } from './index.js';

interface Oracle {
  precision: number[];
  recall: number[];
  thresholds: number[];
}

function sklearnCurves(cases: { scores: number[]; labels: number[] }[]): Oracle[] {
  const script = `
import json, sys, warnings
from sklearn.metrics import precision_recall_curve
warnings.simplefilter('ignore')
out = []
for c in json.load(sys.stdin):
    p, r, t = precision_recall_curve(c['labels'], c['scores'])
    out.append({'precision': p.tolist(), 'recall': r.tolist(), 'thresholds': t.tolist()})
print(json.dumps(out))`;
  const r = spawnSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Oracle[];
}

const close = (a: ArrayLike<number>, b: number[], what: string) => {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < b.length; i++)
    assert.ok(Math.abs((a[i] as number) - (b[i] as number)) <= 1e-12, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
};

describe('precisionRecallCurve', () => {
  it('gives the documented example', () => {
    const { precision, recall, thresholds } = precisionRecallCurve([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]);
    close(precision, [0.5, 2 / 3, 0.5, 1, 1], 'precision');
    close(recall, [1, 1, 0.5, 0.5, 0], 'recall');
    assert.deepEqual(Array.from(thresholds), [0.1, 0.35, 0.4, 0.8]);
  });

  it("matches scikit-learn's precision_recall_curve: random, tie-heavy, rare positives, no positives", () => {
    const rng = seededRandom(11);
    const random = Array.from({ length: 300 }, () => rng());
    const ties = Array.from({ length: 300 }, () => Math.round(rng() * 8) / 8);
    const cases = [
      { scores: random, labels: random.map((v) => (rng() < v ? 1 : 0)) },
      { scores: ties, labels: ties.map((v) => (rng() < 0.2 + 0.6 * v ? 1 : 0)) },
      { scores: random, labels: random.map((_, i) => (i % 50 === 7 ? 1 : 0)) },
      { scores: ties.slice(0, 40), labels: ties.slice(0, 40).map(() => 0) },
    ];
    const oracle = sklearnCurves(cases);
    cases.forEach((c, k) => {
      const ours = precisionRecallCurve(c.scores, c.labels);
      const o = oracle[k] as Oracle;
      close(ours.precision, o.precision, `case ${k} precision`);
      close(ours.recall, o.recall, `case ${k} recall`);
      assert.deepEqual(Array.from(ours.thresholds), o.thresholds, `case ${k} thresholds`);
    });
    assert.throws(() => precisionRecallCurve([0.1, 0.2], [0, 1, 1]), /2 scores but 3 labels/);
  });

  it("evaluateClassifier's step path has the average precision as its area", () => {
    const rng = seededRandom(3);
    const scores = Array.from({ length: 500 }, () => Math.round(rng() * 20) / 20);
    const labels = scores.map((v) => (rng() < v ? 1 : 0));
    const e = evaluateClassifier(scores, labels, 1, { bootstrap: false, maxRocPoints: 1e9 });
    const { recall, precision } = (e.classes[0] as { pr: { recall: number[]; precision: number[] } }).pr;
    let area = 0;
    for (let i = 1; i < recall.length; i++)
      area += ((recall[i - 1] as number) - (recall[i] as number)) * (precision[i - 1] as number);
    assert.ok(Math.abs(area - binaryAveragePrecision(scores, labels)) < 1e-12, `${area}`);
    assert.equal(recall[0], 1);
    assert.equal(recall.at(-1), 0);
  });
});
