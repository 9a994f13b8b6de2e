/**
 * The application's HTML report: the pipeline's run report (training curves, validation AUC, per-finding
 * evaluation with ROC and precision-recall curves, configuration) plus the chest X-ray sections: the
 * per-finding table with CIs, operating points, calibration and pointing game beside the published
 * columns, the pixel baseline, the reliability curve and a Grad-CAM gallery.
 */
import { CXR14_LABELS } from '../../src/data/datasets/chestxray14.js';
import type { RunRecord } from '../../src/pipeline/report/index.js';
import { escapeHtml, formatNumber as fmt, lineChart, renderReport } from '../../src/pipeline/report/index.js';
import { writeFileAtomic } from '../../src/util/atomic-write.js';
import type { EvaluateResult } from './evaluate-recipe.js';
import { CHEXNET, WHITE_PAPER_RESNET50 } from './published.js';

const td = (v: number, d = 3) => `<td>${Number.isFinite(v) ? fmt(v, d) : '—'}</td>`;

function findingTable(e: EvaluateResult): string {
  const head = [
    'finding',
    'test positives',
    'AUC [95% CI]',
    'AUPRC',
    'threshold',
    'sensitivity',
    'specificity',
    'PPV',
    'NPV',
    'ECE (raw)',
    'ECE (calibrated)',
    'temperature',
    'pointing game (strict)',
    'pointing game (15 px at 224)',
    'centre baseline',
    `${CHEXNET.name}`,
    `${WHITE_PAPER_RESNET50.name}`,
  ];
  const rows = e.findings.map((f, k) => {
    const base = e.baseline ? e.baseline.auc[k] : Number.NaN;
    return [
      `<tr><th>${escapeHtml(f.label)}</th><td>${f.positives}</td>`,
      `<td>${fmt(f.auc)} [${fmt(f.lower)}, ${fmt(f.upper)}]</td>`,
      td(f.auprc),
      td(f.threshold),
      td(f.sensitivity),
      td(f.specificity),
      td(f.ppv),
      td(f.npv),
      td(f.ece),
      td(f.eceCalibrated),
      td(f.temperature, 2),
      `<td>${Number.isFinite(f.pointing) ? `${fmt(f.pointing, 2)} (${f.pointingN})${f.localised ? '' : ' diffuse'}` : '—'}</td>`,
      td(f.pointingTolerant, 2),
      td(f.centre, 2),
      td(CHEXNET.auc[k] ?? Number.NaN),
      td(WHITE_PAPER_RESNET50.auc[k] ?? Number.NaN),
      `<!-- baseline ${fmt(base)} --></tr>`,
    ].join('');
  });
  const mean = `<tr><th>mean</th><td></td><td>${fmt(e.meanAuc)} [${fmt(e.meanAucLower)}, ${fmt(e.meanAucUpper)}]</td><td colspan="12"></td>${td(CHEXNET.mean)}${td(WHITE_PAPER_RESNET50.mean)}</tr>`;
  return `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}${mean}</tbody></table>`;
}

function baselineSection(e: EvaluateResult): string {
  if (!e.baseline) return '';
  const b = e.baseline;
  const rows = CXR14_LABELS.map(
    (l, k) => `<tr><th>${escapeHtml(l)}</th>${td(e.findings[k]?.auc ?? Number.NaN)}${td(b.auc[k] ?? Number.NaN)}</tr>`,
  ).join('');
  return [
    '<section><h2>Baseline: logistic regression on 32x32 pixels</h2>',
    `<p class="note">The same test split; L2 ${b.l2} chosen on validation. A CNN should beat it by far: model mean AUC ${fmt(e.meanAuc)}, baseline ${fmt(b.meanAuc)}.</p>`,
    `<table><thead><tr><th>finding</th><th>model AUC</th><th>baseline AUC</th></tr></thead><tbody>${rows}<tr><th>mean</th>${td(e.meanAuc)}${td(b.meanAuc)}</tr></tbody></table>`,
    '</section>',
  ].join('');
}

function calibrationSection(e: EvaluateResult): string {
  const on = e.calibration === 'temperature';
  const series = [
    {
      name: on ? 'calibrated (test, all findings pooled)' : 'test (all findings pooled)',
      points: e.reliability.map((b): [number, number] => [b.meanProbability, b.frequency]),
    },
  ];
  if (on) {
    series.push({
      name: 'raw model output',
      points: e.reliabilityUncalibrated.map((b): [number, number] => [b.meanProbability, b.frequency]),
    });
  }
  const chart = lineChart(series, {
    title: on ? `Reliability (ECE ${fmt(e.ece)}; raw ${fmt(e.eceUncalibrated)})` : `Reliability (ECE ${fmt(e.ece)})`,
    xLabel: 'mean predicted probability',
    xRange: [0, 1],
    yRange: [0, 1],
    reference: [0, 0, 1, 1],
  });
  const note = on
    ? 'Probabilities in this report, the worklist, predict and the server are calibrated: sigmoid(logit(p) / T) with a temperature T per finding fitted on validation (table above; 1 where validation lacks positives or negatives). Thresholds were chosen on the calibrated validation probabilities, so flags are the same wherever they are shown.'
    : "No calibration (--calibration none): probabilities are the model's raw outputs.";
  return `<section><h2>Calibration</h2><p class="note">${escapeHtml(note)}</p>${chart}</section>`;
}

function gallerySection(e: EvaluateResult): string {
  if (e.gallery.length === 0) return '';
  const items = e.gallery
    .map(
      (g) =>
        `<figure style="display:inline-block;margin:6px"><img src="${escapeHtml(g.file)}" alt="Grad-CAM ${escapeHtml(g.label)}" width="192"><figcaption>${escapeHtml(g.label)} p=${fmt(g.probability)}</figcaption></figure>`,
    )
    .join('');
  return `<section><h2>Heatmaps</h2><p class="note">For each finding, the test image with the highest probability among its positives; the map is ${escapeHtml(e.heatmap ?? 'Grad-CAM')}. Heatmaps show the region that drove the score, not a localisation.</p>${items}</section>`;
}

/**
 * Writes the report to `path` (heatmaps are linked relative to it).
 *
 * @example
 * ```ts
 * writeCxrReport('runs/cxr/report.html', run, evaluation);
 * ```
 */
export function writeCxrReport(path: string, run: RunRecord, e: EvaluateResult, notes: string[] = []): string {
  const base = renderReport({ ...run, evaluation: e.evaluation, notes: [...(run.notes ?? []), ...notes] });
  const extra = [
    '<section><h2>Per finding on the test split</h2>',
    `<p class="note">${e.counts.test} test images of ${e.counts.testPatients} patients; 95% CIs from a bootstrap over patients. Thresholds chosen on validation (${e.counts.val} images${e.calibration === 'temperature' ? ', calibrated probabilities' : ''}), then applied to test. Published columns are on other data and splits: ${escapeHtml(CHEXNET.name)}: ${escapeHtml(CHEXNET.split)}; ${escapeHtml(WHITE_PAPER_RESNET50.name)}: ${escapeHtml(WHITE_PAPER_RESNET50.split)}. Pointing game: share of test true positives whose heatmap peak (${escapeHtml(e.heatmap ?? 'Grad-CAM')}) lies inside a box of the finding (number of true positives in brackets); the next column allows Zhang et al.&#39;s 15 px at 224 px.</p>`,
    findingTable(e),
    '</section>',
    baselineSection(e),
    calibrationSection(e),
    gallerySection(e),
  ].join('');
  const html = base.replace('<footer>', `${extra}<footer>`);
  writeFileAtomic(path, html, { mkdir: true });
  return path;
}
