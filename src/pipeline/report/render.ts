/**
 * Renders a RunRecord as one self-contained HTML page: inline CSS and SVG, no scripts, no network.
 */
import type { ClassifierEvaluation } from '../metrics/index.js';
import { escapeHtml, formatNumber } from './html.js';
import type { RunRecord } from './run-record.js';
import { REPORT_CSS } from './style.js';
import { lineChart, prChart, rocChart, type Series } from './svg.js';

const fmt = formatNumber;

function cell(value: number | undefined, digits = 3): string {
  const text = fmt(value, digits);
  return text === '—' ? '<td class="undefined" title="undefined">—</td>' : `<td>${text}</td>`;
}

function summaryItems(run: RunRecord): string {
  const items: [string, string][] = [];
  const last = run.train.at(-1);
  if (last) items.push(['final training loss', fmt(last.loss, 4)]);
  const e = run.evaluation;
  if (e) {
    const ci = e.meanAucInterval ? ` [${fmt(e.meanAucInterval.lower)}, ${fmt(e.meanAucInterval.upper)}]` : '';
    items.push([`mean AUC${e.split ? ` (${e.split})` : ''}`, `${fmt(e.meanAuc)}${ci}`]);
    items.push([e.task === 'multilabel' ? 'subset accuracy' : 'accuracy', fmt(e.accuracy, 4)]);
  }
  if (run.durationSeconds !== undefined) items.push(['duration', `${fmt(run.durationSeconds, 1)} s`]);
  if (items.length === 0) return '';
  const body = items.map(([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd></div>`).join('');
  return `<dl class="summary">${body}</dl>`;
}

function trainingSection(run: RunRecord): string {
  if (run.train.length === 0) return '';
  const charts: string[] = [];
  const curve = (name: string, pick: (p: RunRecord['train'][number]) => number | undefined) => {
    const points = run.train.flatMap((p) => {
      const y = pick(p);
      return y === undefined ? [] : [[p.iteration, y] as [number, number]];
    });
    if (points.length > 0) charts.push(lineChart([{ name, points }], { title: name, xLabel: 'iteration' }));
  };
  // titled by their keys, as the validation charts (metric keys) and TensorBoard tags are
  curve('loss', (p) => p.loss);
  curve('learningRate', (p) => p.learningRate);
  curve('throughput (records/s)', (p) => p.throughput);
  return `<section id="training"><h2>Training</h2><div class="charts">${charts.join('')}</div></section>`;
}

function validationSection(run: RunRecord): string {
  if (run.validation.length === 0) return '';
  const names = [...new Set(run.validation.flatMap((v) => Object.keys(v.values)))].filter((k) => !k.includes('/'));
  const charts = names.map((name) => {
    const series: Series = {
      name,
      points: run.validation.flatMap((v) => (name in v.values ? [[v.epoch, v.values[name] as number]] : [])) as [
        number,
        number,
      ][],
    };
    return lineChart([series], { title: name, xLabel: 'epoch', integerX: true });
  });
  return `<section id="validation"><h2>Validation</h2><div class="charts">${charts.join('')}</div></section>`;
}

function perClassTable(e: ClassifierEvaluation): string {
  const withCi = e.classes.some((c) => c.aucInterval);
  const withOp = e.classes.some((c) => c.operatingPoint);
  const confidence = e.bootstrap ? `${Math.round(e.bootstrap.confidence * 100)}% CI` : 'CI';
  const head = [
    '<th class="name">class</th>',
    '<th>positives</th>',
    '<th>AUC</th>',
    withCi ? `<th>${confidence}</th>` : '',
    '<th>AP</th>',
    withOp ? '<th>threshold</th><th>sensitivity</th><th>specificity</th><th>PPV</th><th>NPV</th>' : '',
  ].join('');
  const ci = (i?: { lower: number; upper: number }) =>
    i && !Number.isNaN(i.lower) ? `<td>${fmt(i.lower)} – ${fmt(i.upper)}</td>` : '<td class="undefined">—</td>';
  const rows = e.classes.map((c) => {
    const op = c.operatingPoint;
    return [
      `<tr><td class="name">${escapeHtml(c.name)}</td>`,
      `<td>${c.positives}</td>`,
      cell(c.auc),
      withCi ? ci(c.aucInterval) : '',
      cell(c.averagePrecision),
      withOp
        ? [op?.threshold, op?.sensitivity, op?.specificity, op?.ppv, op?.npv]
            .map((v, i) => cell(v, i === 0 ? 4 : 3))
            .join('')
        : '',
      '</tr>',
    ].join('');
  });
  const span = withOp ? 5 : 0;
  const foot = [
    '<tr><td class="name">mean</td><td></td>',
    cell(e.meanAuc),
    withCi ? ci(e.meanAucInterval) : '',
    cell(e.meanAveragePrecision),
    span ? `<td colspan="${span}"></td>` : '',
    '</tr>',
  ].join('');
  return `<table id="per-class"><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody><tfoot>${foot}</tfoot></table>`;
}

function confusionTable(e: ClassifierEvaluation): string {
  const m = e.confusionMatrix;
  if (!m) return '';
  const names = e.task === 'binary' ? ['negative', 'positive'] : e.classes.map((c) => c.name);
  const head = names.map((n) => `<th>${escapeHtml(n)}</th>`).join('');
  const rows = m.map((row, i) => {
    const total = row.reduce((a, v) => a + v, 0) || 1;
    const cells = row.map((v) => {
      const alpha = (v / total).toFixed(3);
      return `<td style="background: rgba(31, 119, 180, ${alpha})">${v}</td>`;
    });
    return `<tr><th class="name">${escapeHtml(names[i])}</th>${cells.join('')}</tr>`;
  });
  return [
    '<h3>Confusion matrix</h3><p class="note">rows: true class; columns: predicted class; shade: share of the row</p>',
    `<table id="confusion-matrix" class="confusion"><thead><tr><th class="name">true \\ predicted</th>${head}</tr></thead>`,
    `<tbody>${rows.join('')}</tbody></table>`,
  ].join('');
}

function evaluationSection(run: RunRecord): string {
  const e = run.evaluation;
  if (!e) return '';
  const notes: string[] = [`${e.rows} rows, ${e.classes.length} classes (${e.task})`];
  if (e.bootstrap) {
    const b = e.bootstrap;
    notes.push(
      `intervals: percentile bootstrap, ${b.iterations} resamples of ${b.units} ${b.resampled === 'groups' ? 'groups (patients)' : 'rows'}, seed ${b.seed}`,
    );
  }
  if (e.operatingPointRule) {
    const r = e.operatingPointRule;
    const rule = r.rule === 'youden' ? "Youden's J" : `sensitivity ≥ ${r.target}`;
    notes.push(`operating points chosen on validation data by ${rule}, applied to these rows`);
  }
  if (e.undefinedClasses.length > 0) {
    notes.push(`AUC undefined (only one label value): ${e.undefinedClasses.join(', ')}`);
  }
  const rocs = e.classes
    .filter((c) => c.roc.fpr.length > 0)
    .map((c) => {
      const op = c.operatingPoint;
      const point = op ? { fpr: 1 - op.specificity, tpr: op.sensitivity } : undefined;
      return rocChart(`${c.name} (AUC ${fmt(c.auc)})`, c.roc, point);
    });
  // older evaluation records (JSON written before precision-recall curves) have no `pr`
  const prs = e.classes
    .filter((c) => (c.pr?.recall.length ?? 0) > 0)
    .map((c) => {
      const op = c.operatingPoint;
      const point = op ? { recall: op.sensitivity, precision: op.ppv } : undefined;
      return prChart(`${c.name} (AP ${fmt(c.averagePrecision)})`, c.pr, c.positives / e.rows, point);
    });
  return [
    `<section id="evaluation"><h2>Evaluation${e.split ? ` — ${escapeHtml(e.split)}` : ''}</h2>`,
    notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`).join(''),
    perClassTable(e),
    `<h3>ROC curves</h3><div id="roc" class="charts">${rocs.join('')}</div>`,
    prs.length > 0
      ? `<h3>Precision-recall curves</h3><p class="note">Dashed: the precision of a classifier without skill (the share of positives). AP: average precision, the area under the steps.</p><div id="pr" class="charts">${prs.join('')}</div>`
      : '',
    confusionTable(e),
    '</section>',
  ].join('');
}

/** Flattens nested settings to dotted keys. */
function flatten(value: unknown, prefix: string, out: [string, string][]): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0 && prefix) out.push([prefix, '{}']);
    for (const [k, v] of entries) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    const text =
      typeof value === 'string'
        ? value
        : JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
    out.push([prefix, text ?? String(value)]);
  }
}

function configSection(run: RunRecord): string {
  const rows: [string, string][] = [];
  flatten(run.config, '', rows);
  const body = rows.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`).join('');
  return `<section id="config"><h2>Configuration</h2><table class="config"><tbody>${body}</tbody></table></section>`;
}

/**
 * The report as an HTML string.
 *
 * @example
 * ```ts
 * const html = renderReport(run);
 * ```
 */
export function renderReport(run: RunRecord): string {
  const times = [
    run.startedAt ? `started ${run.startedAt}` : '',
    run.finishedAt ? `finished ${run.finishedAt}` : '',
  ].filter(Boolean);
  return [
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(run.title)}</title><style>${REPORT_CSS}</style></head><body>`,
    `<header><h1>${escapeHtml(run.title)}</h1>`,
    times.length > 0 ? `<p class="meta">${escapeHtml(times.join(' · '))}</p>` : '',
    (run.notes ?? []).map((n) => `<p class="note">${escapeHtml(n)}</p>`).join(''),
    summaryItems(run),
    '</header>',
    trainingSection(run),
    validationSection(run),
    evaluationSection(run),
    configSection(run),
    '<footer><p class="meta">tszoo training report</p></footer></body></html>\n',
  ].join('');
}
