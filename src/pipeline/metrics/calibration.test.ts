import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { seededRandom } from '../../data/sampler.js';
import { applyTemperature, calibration, fitTemperature } from './calibration.js';

/** scikit-learn's calibration_curve (uniform bins) as the oracle of the reliability curve. */
function sklearnCurve(p: number[], y: number[], bins: number): { prob_true: number[]; prob_pred: number[] } {
  const script = `
import json, sys
from sklearn.calibration import calibration_curve
d = json.load(sys.stdin)
t, q = calibration_curve(d['y'], d['p'], n_bins=d['bins'], strategy='uniform')
print(json.dumps({'prob_true': t.tolist(), 'prob_pred': q.tolist()}))`;
  const r = spawnSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify({ p, y, bins }), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

describe('calibration', () => {
  const rng = seededRandom(5);
  const p = Array.from({ length: 400 }, () => rng());
  const y = p.map((v) => (rng() < v * v ? 1 : 0));

  it("matches scikit-learn's calibration_curve and computes ECE from the same bins", () => {
    const ours = calibration(p, y, 10);
    const oracle = sklearnCurve(p, y, 10);
    assert.equal(ours.bins.length, oracle.prob_true.length);
    ours.bins.forEach((b, i) => {
      assert.ok(Math.abs(b.frequency - (oracle.prob_true[i] as number)) < 1e-12);
      assert.ok(Math.abs(b.meanProbability - (oracle.prob_pred[i] as number)) < 1e-12);
    });
    const ece = ours.bins.reduce((s, b) => s + (b.rows / p.length) * Math.abs(b.frequency - b.meanProbability), 0);
    assert.ok(Math.abs(ours.ece - ece) < 1e-15 && ours.ece > 0.05, `ECE ${ours.ece}`);
    assert.throws(() => calibration([0.5, 1.2], [0, 1]), /probability 1.2 at row 1/);
    assert.throws(() => calibration([0.5], [2]), /label 2 at row 0/);
  });

  it('a temperature fitted on overconfident scores lowers their ECE', () => {
    const logit = (q: number) => Math.log(q / (1 - q));
    const truth = Array.from({ length: 2000 }, () => rng());
    const labels = truth.map((q) => (rng() < q ? 1 : 0));
    const overconfident = truth.map((q) => 1 / (1 + Math.exp(-3 * logit(Math.min(0.999, Math.max(0.001, q))))));
    const t = fitTemperature(overconfident, labels);
    assert.ok(t > 2 && t < 4, `temperature ${t}`);
    const after = calibration(
      overconfident.map((q) => applyTemperature(q, t)),
      labels,
    ).ece;
    assert.ok(after < calibration(overconfident, labels).ece / 2, `ECE ${after}`);
  });
});
