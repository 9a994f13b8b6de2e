// Metrics beyond the scikit-learn goldens: accumulating metric objects equal the one-shot functions,
// bootstrap reproducibility and group resampling, operating-point edge cases, evaluateClassifier, bad input.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../../data/sampler.js';
import {
  accuracy,
  accuracyScore,
  auc,
  aucFromCounts,
  auprc,
  averagePrecisionConfidenceIntervals,
  averagePrecisionFromCounts,
  averagePrecisionScore,
  binaryCounts,
  binaryRocAuc,
  bootstrapConfidenceIntervals,
  chooseOperatingPoints,
  evaluateClassifier,
  evaluateOperatingPoints,
  f1,
  loss,
  precisionRecallF1Score,
  rocAucConfidenceIntervals,
  rocAucScore,
  rocCurve,
  sortClass,
  top1,
  top5,
  topK,
  topKAccuracyScore,
  weightedAucAndAveragePrecision,
} from './index.js';

/** A multi-label problem: n rows x k classes, informative scores, prevalence rising with the class. */
function multiLabel(n: number, k: number, seed: number) {
  const random = seededRandom(seed);
  const labels = new Uint8Array(n * k);
  const scores = new Float32Array(n * k);
  for (let i = 0; i < n * k; i++) {
    labels[i] = random() < 0.1 + 0.1 * (i % k) ? 1 : 0;
    scores[i] = Math.round((0.3 * (labels[i] as number) + 0.7 * random()) * 64) / 64;
  }
  return { scores, labels };
}

/** A multi-class problem with class indices. */
function multiClass(n: number, k: number, seed: number) {
  const random = seededRandom(seed);
  const labels = Array.from({ length: n }, () => Math.floor(random() * k));
  const scores = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) scores[i * k + c] = random() + (labels[i] === c ? 0.4 : 0);
  return { scores, labels };
}

describe('accumulating metrics', () => {
  it('name their keys in lower camelCase, as Keras does (what early stopping and TensorBoard use)', () => {
    const metrics = [auc(), auprc(), accuracy(), top1(), top5(), topK(3), loss(), f1({ classNames: ['a', 'b'] })];
    assert.deepEqual(
      metrics.map((m) => m.name),
      ['auc', 'auprc', 'accuracy', 'top1Accuracy', 'top5Accuracy', 'top3Accuracy', 'loss', 'f1'],
    );
    const batch = { scores: new Float32Array([0.9, 0.1, 0.2, 0.8]), labels: [0, 1], numClasses: 2, loss: 0.5 };
    const r = auc({ classNames: ['a', 'b'] });
    const f = metrics[7] as (typeof metrics)[number];
    r.update(batch);
    f.update(batch);
    assert.deepEqual(Object.keys(r.compute()), ['auc', 'auc/a', 'auc/b']);
    assert.deepEqual(Object.keys(f.compute()), ['f1', 'f1/micro', 'precision', 'recall', 'f1/a', 'f1/b']);
  });

  it('auc() and auprc() fed in uneven batches equal rocAucScore / averagePrecisionScore on all rows', () => {
    const { scores, labels } = multiLabel(250, 3, 1);
    const names = ['Atelectasis', 'Cardiomegaly', 'Effusion'];
    const m = auc({ classNames: names });
    const p = auprc();
    for (const [from, to] of [
      [0, 7],
      [7, 100],
      [100, 250],
    ] as const) {
      const batch = { scores: scores.slice(from * 3, to * 3), labels: labels.slice(from * 3, to * 3), numClasses: 3 };
      m.update(batch);
      p.update(batch);
    }
    const expected = rocAucScore(scores, labels, 3);
    const values = m.compute();
    // exact: plain JS double arithmetic on the same rows in the same order, no native kernels involved
    assert.equal(values.auc, expected.mean);
    names.forEach((name, c) => {
      assert.equal(values[`auc/${name}`], expected.perClass[c]);
    });
    assert.equal(p.compute().auprc, averagePrecisionScore(scores, labels, 3).mean);
    assert.equal(p.compute()['auprc/2'], averagePrecisionScore(scores, labels, 3).perClass[2]);
    m.reset();
    assert.ok(Number.isNaN(m.compute().auc as number), 'reset empties the metric');
  });

  it('auc() copies its input: the caller may reuse the batch buffer', () => {
    const { scores, labels } = multiLabel(40, 2, 2);
    const m = auc();
    const buffer = new Float32Array(20 * 2);
    buffer.set(scores.subarray(0, 40));
    m.update({ scores: buffer, labels: labels.subarray(0, 40), numClasses: 2 });
    buffer.set(scores.subarray(40, 80));
    m.update({ scores: buffer, labels: labels.subarray(40, 80), numClasses: 2 });
    assert.equal(m.compute().auc, rocAucScore(scores, labels, 2).mean);
  });

  it('accuracy(), topK(), top5() and f1() accumulate to the one-shot values', () => {
    const { scores, labels } = multiClass(97, 7, 3);
    const metrics = [accuracy(), topK(2), top5(), f1()];
    for (let from = 0; from < 97; from += 32) {
      const to = Math.min(97, from + 32);
      const batch = { scores: scores.subarray(from * 7, to * 7), labels: labels.slice(from, to), numClasses: 7 };
      for (const m of metrics) m.update(batch);
    }
    const [acc, t2, t5, f] = metrics.map((m) => m.compute());
    assert.ok(Math.abs((acc?.accuracy as number) - accuracyScore(scores, labels, 7)) < 1e-15);
    assert.ok(Math.abs((t2?.top2Accuracy as number) - topKAccuracyScore(scores, labels, 7, 2)) < 1e-15);
    assert.ok(Math.abs((t5?.top5Accuracy as number) - topKAccuracyScore(scores, labels, 7, 5)) < 1e-15);
    const prf = precisionRecallF1Score(scores, labels, 7);
    assert.equal(f?.f1, prf.macro.f1);
    assert.equal(f?.['f1/micro'], prf.micro.f1);
    assert.equal(f?.precision, prf.macro.precision);
    assert.equal(f?.['f1/3'], prf.perClass[3]?.f1);
  });

  it('take int64 tensor labels (BigInt64Array) in update(); the one-shot functions say how to convert them', () => {
    const { scores, labels } = multiClass(50, 4, 10);
    const int64 = BigInt64Array.from(labels, (v) => BigInt(v));
    for (const m of [auc(), accuracy(), topK(2), f1()]) {
      m.update({ scores, labels: int64, numClasses: 4 });
      const reference =
        m.name === 'auc' ? auc() : m.name === 'accuracy' ? accuracy() : m.name === 'f1' ? f1() : topK(2);
      reference.update({ scores, labels, numClasses: 4 });
      assert.deepEqual(m.compute(), reference.compute(), m.name);
    }
    assert.throws(
      () => rocAucScore(scores, int64 as unknown as number[], 4),
      /rocAucScore: labels are a BigInt64Array \(int64 tensor data\); convert them with numberLabels\(labels\)/,
    );
  });

  it('loss() is the row-weighted mean of the batch losses, lower is better, and needs a loss', () => {
    const m = loss();
    assert.equal(m.higherIsBetter, false);
    assert.equal(auc().higherIsBetter, true);
    m.update({ scores: new Float32Array(6), labels: [0, 1, 0], numClasses: 2, loss: 1 });
    m.update({ scores: new Float32Array(2), labels: [1], numClasses: 2, loss: 3 });
    assert.equal(m.compute().loss, (3 * 1 + 1 * 3) / 4);
    assert.throws(
      () => m.update({ scores: new Float32Array(2), labels: [1], numClasses: 2 }),
      /loss: the batch carries no loss/,
    );
  });

  it('a batch whose class count differs from earlier batches is refused', () => {
    const m = auc();
    m.update({ scores: new Float32Array(4), labels: new Uint8Array(4), numClasses: 2 });
    assert.throws(
      () => m.update({ scores: new Float32Array(6), labels: new Uint8Array(6), numClasses: 3 }),
      /auc: batch has 3 classes \(indicator labels\), earlier batches 2/,
    );
  });
});

describe('bootstrap confidence intervals', () => {
  const { scores, labels } = multiLabel(120, 2, 4);

  it('are reproducible with a seed and change with it', () => {
    const a = rocAucConfidenceIntervals(scores, labels, 2, { iterations: 100, seed: 11 });
    const b = rocAucConfidenceIntervals(scores, labels, 2, { iterations: 100, seed: 11 });
    const c = rocAucConfidenceIntervals(scores, labels, 2, { iterations: 100, seed: 12 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.perClass[0], c.perClass[0]);
    for (const ci of [...a.perClass, a.mean]) {
      assert.ok(ci.lower < ci.estimate && ci.estimate < ci.upper, JSON.stringify(ci));
      assert.equal(ci.resamples, 100);
    }
  });

  it('resample whole groups: patients with identical copies of a row act as single rows', () => {
    // each of 60 patients has 3 identical rows; resampling patients must give exactly what
    // resampling the 60 distinct rows gives (same draws, every multiplicity times 3, so equal AUCs)
    const distinct = multiLabel(60, 2, 5);
    const copies = 3;
    const rep = {
      scores: new Float32Array(60 * copies * 2),
      labels: new Uint8Array(60 * copies * 2),
      groups: [] as string[],
    };
    for (let i = 0; i < 60; i++) {
      for (let r = 0; r < copies; r++) {
        const row = i * copies + r;
        rep.scores.set(distinct.scores.subarray(i * 2, i * 2 + 2), row * 2);
        rep.labels.set(distinct.labels.subarray(i * 2, i * 2 + 2), row * 2);
        rep.groups.push(`patient-${i}`);
      }
    }
    const options = { iterations: 50, seed: 3 };
    const byPatient = rocAucConfidenceIntervals(rep.scores, rep.labels, 2, { ...options, groups: rep.groups });
    const byRow = rocAucConfidenceIntervals(distinct.scores, distinct.labels, 2, options);
    assert.deepEqual(byPatient, byRow);
    // resampling the copied rows one by one instead gives narrower (overconfident) intervals
    const naive = rocAucConfidenceIntervals(rep.scores, rep.labels, 2, options);
    const width = (ci: { lower: number; upper: number }) => ci.upper - ci.lower;
    assert.ok(width(naive.mean) < width(byPatient.mean), `${width(naive.mean)} vs ${width(byPatient.mean)}`);
  });

  it('drop undefined resamples and report how many were kept', () => {
    // one positive among 30 rows: many resamples miss it
    const s = Array.from({ length: 30 }, (_, i) => i / 30);
    const y = s.map((_, i) => (i === 29 ? 1 : 0));
    const [ci] = bootstrapConfidenceIntervals(30, (w) => [binaryRocAucWeighted(s, y, w)], { iterations: 200, seed: 1 });
    assert.ok(ci && ci.resamples > 0 && ci.resamples < 200, `kept ${ci?.resamples}`);
    assert.equal(ci?.estimate, 1);
  });

  it('evaluate a resample in one pass exactly as counting the weighted rows does', () => {
    const random = seededRandom(9);
    const s = Array.from({ length: 300 }, () => Math.round(random() * 20) / 20);
    const y = s.map((v) => (random() < v ? 1 : 0));
    const sorted = sortClass(s, y);
    for (let trial = 0; trial < 20; trial++) {
      const w = Int32Array.from(s, () => Math.floor(random() * 3));
      const counts = binaryCounts(s, y, undefined, w);
      assert.deepEqual(weightedAucAndAveragePrecision(sorted, w), [
        aucFromCounts(counts),
        averagePrecisionFromCounts(counts),
      ]);
    }
    const ap = averagePrecisionConfidenceIntervals(Float64Array.from(s), y, 1, { iterations: 20 });
    assert.equal(ap.perClass[0]?.estimate, averagePrecisionScore(Float64Array.from(s), y, 1).perClass[0]);
  });

  it('refuse bad options', () => {
    assert.throws(() => rocAucConfidenceIntervals(scores, labels, 2, { groups: ['a'] }), /1 group ids for 120 rows/);
    assert.throws(() => rocAucConfidenceIntervals(scores, labels, 2, { confidence: 1.5 }), /confidence must be in/);
    assert.throws(() => rocAucConfidenceIntervals(scores, labels, 2, { iterations: 0 }), /iterations must be/);
  });
});

/** AUC of rows repeated by their weights (the plain definition, for the test above). */
function binaryRocAucWeighted(s: number[], y: number[], w: Int32Array): number {
  const rs: number[] = [];
  const ry: number[] = [];
  w.forEach((k, i) => {
    for (let j = 0; j < k; j++) {
      rs.push(s[i] as number);
      ry.push(y[i] as number);
    }
  });
  return binaryRocAuc(rs, ry);
}

describe('ROC and operating points', () => {
  it('rocCurve and binaryRocAuc give the documented example (ties count one half)', () => {
    const { fpr, tpr, thresholds } = rocCurve([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]);
    assert.deepEqual(Array.from(fpr), [0, 0, 0.5, 0.5, 1]);
    assert.deepEqual(Array.from(tpr), [0, 0.5, 0.5, 1, 1]);
    assert.deepEqual(Array.from(thresholds), [Number.POSITIVE_INFINITY, 0.8, 0.4, 0.35, 0.1]);
    assert.equal(binaryRocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
    assert.equal(binaryRocAuc([0.5, 0.5], [0, 1]), 0.5);
  });

  it('a class with one label value gets NaN and a flag; the mean is over the others', () => {
    const r = rocAucScore(new Float32Array([0.9, 0.2, 0.3, 0.7, 0.6, 0.4]), [1, 0, 0, 0, 0, 0], 2);
    assert.equal(r.perClass[0], 1);
    assert.ok(Number.isNaN(r.perClass[1] as number));
    assert.deepEqual(r.undefinedClasses, [1]);
    assert.equal(r.mean, 1);
  });

  it('Youden on separable validation data picks the lowest positive score; it carries over to test unchanged', () => {
    const val = { scores: [0.9, 0.8, 0.3, 0.2, 0.1], labels: [1, 1, 0, 0, 0] };
    const points = chooseOperatingPoints(val.scores, val.labels, 1, { rule: 'youden' });
    assert.deepEqual(points.thresholds, [0.8]);
    const [stats] = evaluateOperatingPoints([0.85, 0.5, 0.79, 0.1], [1, 1, 0, 0], 1, points.thresholds);
    assert.deepEqual(stats, {
      threshold: 0.8,
      tp: 1,
      fp: 0,
      tn: 2,
      fn: 1,
      sensitivity: 0.5,
      specificity: 1,
      ppv: 1,
      npv: 2 / 3,
    });
  });

  it('a target sensitivity takes the highest threshold that reaches it', () => {
    const s = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4];
    const y = [1, 0, 1, 0, 1, 1];
    assert.deepEqual(chooseOperatingPoints(s, y, 1, { rule: 'sensitivity', target: 0.5 }).thresholds, [0.7]);
    assert.deepEqual(chooseOperatingPoints(s, y, 1, { rule: 'sensitivity', target: 0.75 }).thresholds, [0.5]);
    assert.throws(
      () => chooseOperatingPoints(s, y, 1, { rule: 'sensitivity', target: 0 }),
      /target sensitivity must be in/,
    );
  });

  it('PPV is NaN (not 0) when nothing is called positive', () => {
    const [stats] = evaluateOperatingPoints([0.1, 0.2], [1, 0], 1, [0.5]);
    assert.ok(Number.isNaN(stats?.ppv as number));
    assert.equal(stats?.npv, 0.5);
  });
});

describe('evaluateClassifier', () => {
  it('gathers per-class AUC with intervals, operating points from validation, curves and the mean', () => {
    const test = multiLabel(200, 3, 6);
    const val = multiLabel(100, 3, 7);
    const groups = Array.from({ length: 200 }, (_, i) => `p${i % 50}`);
    const e = evaluateClassifier(test.scores, test.labels, 3, {
      classNames: ['a', 'b', 'c'],
      groups,
      validation: val,
      bootstrap: { iterations: 50, seed: 1 },
    });
    assert.equal(e.task, 'multilabel');
    assert.equal(e.rows, 200);
    assert.deepEqual(
      e.classes.map((c) => c.name),
      ['a', 'b', 'c'],
    );
    const aucs = rocAucScore(test.scores, test.labels, 3);
    assert.deepEqual(
      e.classes.map((c) => c.auc),
      aucs.perClass,
    );
    assert.equal(e.meanAuc, aucs.mean);
    const thresholds = chooseOperatingPoints(val.scores, val.labels, 3, { rule: 'youden' }).thresholds;
    assert.deepEqual(
      e.classes.map((c) => c.operatingPoint),
      evaluateOperatingPoints(test.scores, test.labels, 3, thresholds),
    );
    assert.deepEqual(e.bootstrap, { iterations: 50, confidence: 0.95, seed: 1, resampled: 'groups', units: 50 });
    for (const c of e.classes) {
      assert.ok(c.aucInterval && c.aucInterval.lower <= c.auc && c.auc <= c.aucInterval.upper);
      assert.equal(c.roc.fpr[0], 0);
      assert.equal(c.roc.tpr.at(-1), 1);
    }
    assert.equal(e.confusionMatrix, undefined);
  });

  it('multi-class: confusion matrix and thinned ROC curves', () => {
    const { scores, labels } = multiClass(3000, 4, 8);
    const e = evaluateClassifier(scores, labels, 4, { bootstrap: false, maxRocPoints: 50 });
    assert.equal(e.task, 'multiclass');
    assert.equal(
      e.confusionMatrix?.flat().reduce((a, v) => a + v, 0),
      3000,
    );
    for (const c of e.classes)
      assert.ok(c.roc.fpr.length <= 101 && c.roc.fpr.length > 10, `${c.roc.fpr.length} points`);
    assert.equal(e.meanAucInterval, undefined);
  });
});

describe('bad input', () => {
  const scores = new Float32Array([0.1, 0.9, 0.8, 0.2]);
  it('names the function and the problem', () => {
    assert.throws(
      () => rocAucScore(scores, [0, 1, 0], 2),
      /rocAucScore: 3 labels for 2 rows of 2 classes; expected 4 0\/1 indicators or 2 class indices/,
    );
    assert.throws(() => rocAucScore(scores, [0, 2, 0, 1], 2), /rocAucScore: label 1 is 2, expected 0 or 1/);
    assert.throws(
      () => accuracyScore(scores, [0, 5], 2),
      /accuracyScore: label 1 is 5, expected a class index in 0..1/,
    );
    assert.throws(
      () => rocAucScore(new Float32Array([0.1, Number.NaN]), [0, 1], 1),
      /rocAucScore: score 1 \(row 1\) is NaN/,
    );
    assert.throws(() => rocAucScore(scores, [0, 1, 0, 1], 3), /4 scores do not form rows of 3 classes/);
    assert.throws(
      () => topKAccuracyScore(scores, [0, 1, 0, 1], 2, 1),
      /topKAccuracyScore: needs one class index per row/,
    );
    assert.throws(() => binaryRocAuc([0.1, 0.2], [1]), /binaryRocAuc: 2 scores but 1 labels/);
    assert.throws(() => topK(0), /topK: k must be a positive integer/);
  });
});
