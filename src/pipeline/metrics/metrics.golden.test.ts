// Metrics against scikit-learn 1.2 (test/golden/metrics.json, written by scripts/golden/make_metric_goldens.py)
// on random and tie-heavy inputs: multi-label, multi-class and binary; values within 1e-12, counts exact.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  accuracyScore,
  averagePrecisionScore,
  type ConfidenceInterval,
  chooseOperatingPoints,
  confusionMatrix,
  evaluateOperatingPoints,
  type OperatingPointStats,
  precisionRecallF1Score,
  rocAucConfidenceIntervals,
  rocAucScore,
  rocCurve,
  topKAccuracyScore,
} from './index.js';

interface Rates {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  sensitivity: number | null;
  specificity: number | null;
  ppv: number | null;
  npv: number | null;
}
interface Interval {
  lower: number | null;
  upper: number | null;
  resamples: number;
}
interface Curve {
  fpr: number[];
  tpr: number[];
  thresholds: number[];
}
interface PrfValues {
  precision: number;
  recall: number;
  f1: number;
}
interface GoldenCase {
  name: string;
  numClasses: number;
  layout: 'indicator' | 'index';
  scores: number[];
  labels: number[];
  groups: string[];
  threshold: number;
  rocAuc: (number | null)[];
  rocAucMean: number;
  averagePrecision: (number | null)[];
  rocCurves: (Curve | null)[];
  rocCurveClass0Full: Curve;
  topK?: Record<string, number>;
  confusionMatrix?: number[][];
  accuracy: number;
  prf: { perClass: Record<keyof PrfValues | 'support', number[]>; micro: PrfValues; macro: PrfValues };
  operatingPoints: {
    validationRows: number;
    targetSensitivity: number;
    youden: ({ threshold: number | null; test: Rates } | null)[];
    sensitivity: ({ threshold: number; test: Rates } | null)[];
  };
  bootstrap: {
    iterations: number;
    confidence: number;
    seed: number;
    grouped: { perClass: Interval[]; mean: Interval };
    rows: { perClass: Interval[]; mean: Interval };
  };
}

// dist-*/src/pipeline/metrics/ -> project root
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const golden = JSON.parse(readFileSync(join(root, 'test', 'golden', 'metrics.json'), 'utf8')) as {
  cases: GoldenCase[];
};
const TOL = 1e-12;

/** Equal within TOL, null standing for NaN (undefined). */
function close(actual: number, expected: number | null, what: string): void {
  if (expected === null) {
    assert.ok(Number.isNaN(actual), `${what}: expected undefined (NaN), got ${actual}`);
    return;
  }
  assert.ok(Math.abs(actual - expected) <= TOL, `${what}: ${actual} != ${expected} (diff ${actual - expected})`);
}

function closeAll(actual: ArrayLike<number>, expected: (number | null)[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  expected.forEach((e, i) => {
    close(actual[i] as number, e, `${what}[${i}]`);
  });
}

/** Rows [from, to) of a case's scores and labels. */
function rows(c: GoldenCase, from: number, to: number) {
  const k = c.numClasses;
  const per = c.layout === 'indicator' ? k : 1;
  return { scores: new Float32Array(c.scores.slice(from * k, to * k)), labels: c.labels.slice(from * per, to * per) };
}

function checkRates(actual: OperatingPointStats | undefined, expected: Rates, what: string) {
  assert.ok(actual, what);
  for (const key of ['tp', 'fp', 'tn', 'fn'] as const) assert.equal(actual[key], expected[key], `${what}.${key}`);
  for (const key of ['sensitivity', 'specificity', 'ppv', 'npv'] as const)
    close(actual[key], expected[key], `${what}.${key}`);
}

for (const c of golden.cases) {
  const scores = new Float32Array(c.scores);
  const labels = c.layout === 'indicator' ? Uint8Array.from(c.labels) : c.labels;
  const k = c.numClasses;
  const n = c.scores.length / k;
  const classScores = (cls: number) => Array.from({ length: n }, (_, i) => scores[i * k + cls] as number);
  const classLabels = (cls: number) =>
    Array.from({ length: n }, (_, i) =>
      c.layout === 'indicator' ? (labels[i * k + cls] as number) : labels[i] === cls ? 1 : 0,
    );

  describe(`metrics equal scikit-learn: ${c.name}`, () => {
    it('ROC-AUC per class, undefined classes flagged, mean over the defined ones', () => {
      const r = rocAucScore(scores, labels, k);
      closeAll(r.perClass, c.rocAuc, 'auc');
      close(r.mean, c.rocAucMean, 'mean auc');
      assert.deepEqual(
        r.undefinedClasses,
        c.rocAuc.flatMap((v, i) => (v === null ? [i] : [])),
      );
      // the same from float64 scores and plain number labels
      closeAll(rocAucScore(c.scores, c.labels, k).perClass, c.rocAuc, 'auc (number[])');
    });

    it('average precision per class', () => {
      closeAll(averagePrecisionScore(scores, labels, k).perClass, c.averagePrecision, 'ap');
    });

    it('ROC curve points and thresholds, with and without drop_intermediate', () => {
      c.rocCurves.forEach((expected, cls) => {
        if (!expected) return;
        const curve = rocCurve(classScores(cls), classLabels(cls));
        closeAll(curve.fpr, expected.fpr, `class ${cls} fpr`);
        closeAll(curve.tpr, expected.tpr, `class ${cls} tpr`);
        assert.equal(curve.thresholds[0], Number.POSITIVE_INFINITY);
        assert.deepEqual(Array.from(curve.thresholds.subarray(1)), expected.thresholds, `class ${cls} thresholds`);
      });
      const full = rocCurve(classScores(0), classLabels(0), { dropIntermediate: false });
      closeAll(full.fpr, c.rocCurveClass0Full.fpr, 'full fpr');
      closeAll(full.tpr, c.rocCurveClass0Full.tpr, 'full tpr');
      assert.deepEqual(Array.from(full.thresholds.subarray(1)), c.rocCurveClass0Full.thresholds);
    });

    it('accuracy, top-k and the confusion matrix', () => {
      close(accuracyScore(scores, labels, k, { threshold: c.threshold }), c.accuracy, 'accuracy');
      for (const [kk, expected] of Object.entries(c.topK ?? {})) {
        close(topKAccuracyScore(scores, labels, k, Number(kk)), expected, `top${kk}`);
      }
      if (c.confusionMatrix)
        assert.deepEqual(confusionMatrix(scores, labels, k, { threshold: c.threshold }), c.confusionMatrix);
    });

    it('precision, recall and F1 per class, micro and macro', () => {
      const r = precisionRecallF1Score(scores, labels, k, { threshold: c.threshold });
      for (const key of ['precision', 'recall', 'f1'] as const) {
        closeAll(
          r.perClass.map((p) => p[key]),
          c.prf.perClass[key],
          key,
        );
        close(r.micro[key], c.prf.micro[key], `micro ${key}`);
        close(r.macro[key], c.prf.macro[key], `macro ${key}`);
      }
      assert.deepEqual(
        r.perClass.map((p) => p.support),
        c.prf.perClass.support,
      );
    });

    it('operating points chosen on validation rows (Youden, target sensitivity), measured on test rows', () => {
      const half = c.operatingPoints.validationRows;
      const val = rows(c, 0, half);
      const test = rows(c, half, n);
      const youden = chooseOperatingPoints(val.scores, val.labels, k, { rule: 'youden' });
      const target = { rule: 'sensitivity' as const, target: c.operatingPoints.targetSensitivity };
      const bySensitivity = chooseOperatingPoints(val.scores, val.labels, k, target);
      const youdenStats = evaluateOperatingPoints(test.scores, test.labels, k, youden.thresholds);
      const sensitivityStats = evaluateOperatingPoints(test.scores, test.labels, k, bySensitivity.thresholds);
      c.operatingPoints.youden.forEach((expected, cls) => {
        if (!expected) {
          assert.ok(Number.isNaN(youden.thresholds[cls] as number) && youden.undefinedClasses.includes(cls));
          assert.ok(Number.isNaN(youdenStats[cls]?.sensitivity as number));
          return;
        }
        assert.equal(youden.thresholds[cls], expected.threshold ?? Number.POSITIVE_INFINITY, `youden threshold ${cls}`);
        checkRates(youdenStats[cls], expected.test, `youden ${cls}`);
      });
      c.operatingPoints.sensitivity.forEach((expected, cls) => {
        if (!expected) return;
        assert.equal(bySensitivity.thresholds[cls], expected.threshold, `sensitivity threshold ${cls}`);
        checkRates(sensitivityStats[cls], expected.test, `sensitivity ${cls}`);
      });
    });

    for (const mode of ['grouped', 'rows'] as const) {
      it(`bootstrap AUC intervals resampling ${mode === 'grouped' ? 'patients' : 'rows'}, replayed from the seed`, () => {
        const expected = c.bootstrap[mode];
        const ci = rocAucConfidenceIntervals(scores, labels, k, {
          iterations: c.bootstrap.iterations,
          confidence: c.bootstrap.confidence,
          seed: c.bootstrap.seed,
          ...(mode === 'grouped' ? { groups: c.groups } : {}),
        });
        const check = (actual: ConfidenceInterval | undefined, e: Interval, what: string) => {
          assert.ok(actual, what);
          assert.equal(actual.resamples, e.resamples, `${what} resamples`);
          close(actual.lower, e.lower, `${what} lower`);
          close(actual.upper, e.upper, `${what} upper`);
        };
        expected.perClass.forEach((e, cls) => {
          check(ci.perClass[cls], e, `class ${cls}`);
        });
        check(ci.mean, expected.mean, 'mean');
        closeAll(
          ci.perClass.map((p) => p.estimate),
          c.rocAuc,
          'estimate',
        );
      });
    }
  });
}
