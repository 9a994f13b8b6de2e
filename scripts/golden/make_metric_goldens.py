#!/usr/bin/env python3
"""Writes test/golden/metrics.json: reference values for src/pipeline/metrics from scikit-learn.

Run with Debian's python3 (scikit-learn 1.2): `/usr/bin/python3 scripts/golden/make_metric_goldens.py`.

Each case holds scores [n x classes] (exact float32 values: multiples of 2^-12), labels (0/1
indicators [n x classes], or class indices [n]) and group ids, and what scikit-learn computes on them:
- roc_auc_score per class (one-vs-rest for class indices; null where only one label value occurs),
  roc_curve per class (drop_intermediate True; class 0 also False; the first threshold, which
  scikit-learn 1.2 writes as max + 1, is left out), average_precision_score (null without positives);
- accuracy_score (subset accuracy for indicators), top_k_accuracy_score, confusion_matrix,
  precision_recall_fscore_support (per class, micro, macro; zero_division=0) at threshold 0.5 or argmax;
- operating points chosen on the first half of the rows (Youden's J = argmax(tpr - fpr) on the full
  roc_curve; the highest threshold with tpr >= 0.8) and the counts and rates they give on the second half;
- bootstrap intervals of the per-class and mean ROC-AUC: the resamples are replayed from tszoo's
  seeded stream (xoshiro128** seeded by splitmix32, src/data/sampler.ts), each one's AUCs come from
  roc_auc_score on the resampled rows, and the bounds from numpy.percentile (linear).
"""
import json
import os

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    confusion_matrix,
    precision_recall_fscore_support,
    roc_auc_score,
    roc_curve,
    top_k_accuracy_score,
)

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
OUT = os.path.join(ROOT, 'test', 'golden', 'metrics.json')
M32 = 0xFFFFFFFF
THRESHOLD = 0.5
TARGET_SENSITIVITY = 0.8
BOOTSTRAP = {'iterations': 200, 'confidence': 0.95, 'seed': 7}


def seeded_random(seed):
    """tszoo's seededRandom (src/data/sampler.ts): xoshiro128** seeded by splitmix32, floats in [0, 1)."""
    s = seed & M32

    def splitmix():
        nonlocal s
        s = (s + 0x9E3779B9) & M32
        z = s
        z = ((z ^ (z >> 16)) * 0x85EBCA6B) & M32
        z = ((z ^ (z >> 13)) * 0xC2B2AE35) & M32
        return (z ^ (z >> 16)) & M32

    state = [splitmix() for _ in range(4)]

    def rotl(x, k):
        return ((x << k) | (x >> (32 - k))) & M32

    def nxt():
        a, b, c, d = state
        t = (b << 9) & M32
        r = (rotl((b * 5) & M32, 7) * 9) & M32
        c ^= a
        d ^= b
        b ^= c
        a ^= d
        c ^= t
        d = rotl(d, 11)
        state[:] = [a, b, c, d]
        return r / 4294967296

    return nxt


def nan_to_none(values):
    return [None if (v is None or np.isnan(v)) else float(v) for v in values]


def indicator(labels, layout, n, k):
    if layout == 'indicator':
        return np.asarray(labels).reshape(n, k)
    y = np.zeros((n, k), dtype=int)
    y[np.arange(n), labels] = 1
    return y


def auc_or_nan(y, s):
    return roc_auc_score(y, s) if 0 < y.sum() < len(y) else float('nan')


def rates(y, s, threshold):
    if threshold is None:
        return None
    pred = s >= threshold
    tp = int(np.sum(pred & (y == 1)))
    fp = int(np.sum(pred & (y == 0)))
    tn = int(np.sum(~pred & (y == 0)))
    fn = int(np.sum(~pred & (y == 1)))
    div = lambda a, b: a / b if b > 0 else None  # noqa: E731
    return {
        'tp': tp, 'fp': fp, 'tn': tn, 'fn': fn,
        'sensitivity': div(tp, tp + fn), 'specificity': div(tn, tn + fp),
        'ppv': div(tp, tp + fp), 'npv': div(tn, tn + fn),
    }


def operating_points(Y, S, half):
    out = {'validationRows': half, 'targetSensitivity': TARGET_SENSITIVITY, 'youden': [], 'sensitivity': []}
    for c in range(Y.shape[1]):
        yv, sv, yt, st = Y[:half, c], S[:half, c], Y[half:, c], S[half:, c]
        if not 0 < yv.sum() < len(yv):
            out['youden'].append(None)
            out['sensitivity'].append(None)
            continue
        fpr, tpr, thr = roc_curve(yv, sv, drop_intermediate=False)
        j = int(np.argmax(tpr - fpr))
        youden = float('inf') if j == 0 else float(thr[j])
        sens = float(thr[int(np.argmax(tpr >= TARGET_SENSITIVITY))])
        out['youden'].append({'threshold': None if j == 0 else youden, 'test': rates(yt, st, youden)})
        out['sensitivity'].append({'threshold': sens, 'test': rates(yt, st, sens)})
    return out


def bootstrap(Y, S, groups):
    """Per-class and mean AUC intervals, resampling groups (when given) or rows, replayed from the seed."""
    n, k = Y.shape
    if groups is None:
        units = [[i] for i in range(n)]
    else:
        order = {}
        for i, g in enumerate(groups):
            order.setdefault(g, []).append(i)
        units = list(order.values())
    rand = seeded_random(BOOTSTRAP['seed'])
    samples = [[] for _ in range(k + 1)]
    for _ in range(BOOTSTRAP['iterations']):
        rows = []
        for _ in range(len(units)):
            rows.extend(units[int(rand() * len(units))])
        values = [auc_or_nan(Y[rows, c], S[rows, c]) for c in range(k)]
        defined = [v for v in values if not np.isnan(v)]
        values.append(float(np.mean(defined)) if defined else float('nan'))
        for j, v in enumerate(values):
            if not np.isnan(v):
                samples[j].append(v)
    alpha = (1 - BOOTSTRAP['confidence']) / 2 * 100
    out = []
    for vals in samples:
        if vals:
            lo, hi = np.percentile(vals, [alpha, 100 - alpha])
            out.append({'lower': float(lo), 'upper': float(hi), 'resamples': len(vals)})
        else:
            out.append({'lower': None, 'upper': None, 'resamples': 0})
    return {'perClass': out[:k], 'mean': out[k]}


def make_case(name, S, labels, layout, groups):
    n, k = S.shape
    Y = indicator(labels, layout, n, k)
    case = {
        'name': name, 'numClasses': k, 'layout': layout,
        'scores': S.reshape(-1).tolist(),
        'labels': np.asarray(labels).reshape(-1).tolist(),
        'groups': groups,
        'threshold': THRESHOLD,
    }
    aucs = [auc_or_nan(Y[:, c], S[:, c]) for c in range(k)]
    case['rocAuc'] = nan_to_none(aucs)
    defined = [a for a in aucs if not np.isnan(a)]
    case['rocAucMean'] = float(np.mean(defined))
    case['averagePrecision'] = nan_to_none(
        [average_precision_score(Y[:, c], S[:, c]) if Y[:, c].sum() > 0 else float('nan') for c in range(k)]
    )
    curves = []
    for c in range(k):
        if not 0 < Y[:, c].sum() < n:
            curves.append(None)
            continue
        fpr, tpr, thr = roc_curve(Y[:, c], S[:, c])
        curves.append({'fpr': fpr.tolist(), 'tpr': tpr.tolist(), 'thresholds': thr[1:].tolist()})
    case['rocCurves'] = curves
    fpr, tpr, thr = roc_curve(Y[:, 0], S[:, 0], drop_intermediate=False)
    case['rocCurveClass0Full'] = {'fpr': fpr.tolist(), 'tpr': tpr.tolist(), 'thresholds': thr[1:].tolist()}

    if layout == 'index':
        y_true, y_pred, prf_labels = np.asarray(labels), S.argmax(axis=1), list(range(k))
        case['topK'] = {str(t): top_k_accuracy_score(y_true, S, k=t, labels=prf_labels) for t in (1, 2, 3)}
        case['confusionMatrix'] = confusion_matrix(y_true, y_pred, labels=prf_labels).tolist()
    else:
        y_true, y_pred, prf_labels = Y, (S >= THRESHOLD).astype(int), None
        if k == 1:
            y_true, y_pred, prf_labels = Y[:, 0], y_pred[:, 0], [1]
            case['confusionMatrix'] = confusion_matrix(y_true, y_pred, labels=[0, 1]).tolist()
    case['accuracy'] = accuracy_score(y_true, y_pred)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=prf_labels, average=None, zero_division=0)
    case['prf'] = {'perClass': {'precision': p.tolist(), 'recall': r.tolist(), 'f1': f.tolist(), 'support': s.tolist()}}
    for avg in ('micro', 'macro'):
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, labels=prf_labels, average=avg, zero_division=0)
        case['prf'][avg] = {'precision': float(p), 'recall': float(r), 'f1': float(f)}

    case['operatingPoints'] = operating_points(Y, S, n // 2)
    case['bootstrap'] = {**BOOTSTRAP, 'grouped': bootstrap(Y, S, groups), 'rows': bootstrap(Y, S, None)}
    return case


def quantize(x, levels):
    """Exact float32 values: multiples of 1/levels (levels a power of two)."""
    return (np.round(np.clip(x, 0, 1) * levels) / levels).astype(np.float32).astype(np.float64)


def patient_ids(rng, n, per):
    ids = [f'p{i // per:03d}' for i in range(n)]
    rng.shuffle(ids)
    return ids


def main():
    rng = np.random.default_rng(20240611)
    cases = []

    # multi-label, random: prevalence from 5% to 50%, scores informative but noisy, few ties
    n, k = 240, 5
    prevalence = np.array([0.05, 0.1, 0.2, 0.35, 0.5])
    Y = (rng.random((n, k)) < prevalence).astype(int)
    S = quantize(0.3 * Y + 0.7 * rng.random((n, k)), 4096)
    cases.append(make_case('multilabel random', S, Y, 'indicator', patient_ids(rng, n, 3)))

    # multi-label, tie-heavy: 5 score levels; class 2 never positive, class 3 always positive
    n, k = 300, 4
    Y = (rng.random((n, k)) < np.array([0.3, 0.5, 0.0, 1.0])).astype(int)
    S = quantize(0.25 * Y + 0.75 * rng.random((n, k)), 4)
    cases.append(make_case('multilabel ties, absent and constant classes', S, Y, 'indicator', patient_ids(rng, n, 4)))

    # multi-class, random: softmax of noisy one-hot logits
    n, k = 200, 5
    y = rng.integers(0, k, n)
    logits = 1.5 * np.eye(k)[y] + rng.normal(size=(n, k))
    P = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    cases.append(make_case('multiclass random', quantize(P, 4096), y.tolist(), 'index', patient_ids(rng, n, 2)))

    # multi-class, tie-heavy: 3 score levels, so argmax and top-k meet ties in most rows
    n, k = 200, 5
    y = rng.integers(0, k, n)
    S = quantize(0.3 * np.eye(k)[y] + 0.7 * rng.random((n, k)), 2)
    cases.append(make_case('multiclass ties', S, y.tolist(), 'index', patient_ids(rng, n, 5)))

    # binary (one indicator column), tie-heavy
    n = 120
    Y = (rng.random((n, 1)) < 0.3).astype(int)
    S = quantize(0.3 * Y + 0.7 * rng.random((n, 1)), 8)
    cases.append(make_case('binary ties', S, Y, 'indicator', patient_ids(rng, n, 2)))

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as f:
        json.dump({'generator': 'scripts/golden/make_metric_goldens.py', 'cases': cases}, f, separators=(',', ':'), allow_nan=False)
    print(f'wrote {OUT} ({os.path.getsize(OUT)} bytes, {len(cases)} cases)')


if __name__ == '__main__':
    main()
