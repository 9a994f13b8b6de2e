// The HTML report: structure parsed back from the file (charts, table rows per class, ROC paths per
// class, confusion matrix, configuration), escaping of hostile labels, self-containment, bad input.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { seededRandom } from '../../data/sampler.js';
import { evaluateClassifier } from '../metrics/index.js';
import { escapeHtml, niceTicks, type RunRecord, renderReport, writeReport } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'tszoo-report-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const count = (html: string, pattern: RegExp) => (html.match(new RegExp(pattern, 'g')) ?? []).length;
/** The markup of the element with this id, up to its closing tag (no nesting of the same tag inside). */
function element(html: string, tag: string, id: string): string {
  const start = html.indexOf(`<${tag} id="${id}"`);
  assert.ok(start >= 0, `no <${tag} id="${id}">`);
  return html.slice(start, html.indexOf(`</${tag}>`, start) + tag.length + 3);
}

function history(iterations: number, epochs: number): Pick<RunRecord, 'train' | 'validation'> {
  const perEpoch = iterations / epochs;
  return {
    train: Array.from({ length: iterations }, (_, i) => ({
      iteration: i + 1,
      epoch: Math.floor(i / perEpoch) + 1,
      loss: 2 / Math.sqrt(i + 1),
      learningRate: i < 10 ? 1e-3 : 1e-4,
      throughput: 800 + (i % 7),
    })),
    validation: Array.from({ length: epochs }, (_, e) => ({
      epoch: e + 1,
      iteration: (e + 1) * perEpoch,
      values: { top1Accuracy: 0.7 + 0.05 * e, loss: 0.8 - 0.1 * e, 'auc/0': 0.9, auc: 0.9 },
    })),
  };
}

function multiClassRun(classNames: string[]): RunRecord {
  const k = classNames.length;
  const random = seededRandom(5);
  const n = 400;
  const labels = Array.from({ length: n }, () => Math.floor(random() * k));
  const scores = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) scores[i * k + c] = random() + (labels[i] === c ? 0.5 : 0);
  const validation = { scores: scores.slice(0, 200 * k), labels: labels.slice(0, 200) };
  return {
    title: 'Fashion <small> CNN',
    startedAt: '2026-01-01T00:00:00Z',
    durationSeconds: 123.4,
    config: {
      batchSize: 64,
      optimizer: { name: 'Adam', lr: 0.001, betas: [0.9, 0.999] },
      note: 'a "quoted" & <odd> value',
    },
    ...history(3000, 4),
    evaluation: {
      ...evaluateClassifier(scores.slice(200 * k), labels.slice(200), k, {
        classNames,
        validation,
        bootstrap: { iterations: 50 },
      }),
      split: 'test',
    },
  };
}

describe('HTML report', () => {
  const names = ['T-shirt', 'Trouser', '<script>alert(1)</script>', 'Dress', 'Coat'];
  const path = writeReport(join(dir, 'sub', 'report.html'), multiClassRun(names));
  const html = readFileSync(path, 'utf8');

  it('is one self-contained page: no scripts, no external resources, balanced markup', () => {
    assert.ok(html.startsWith('<!DOCTYPE html>'));
    assert.equal(count(html, /<html/), 1);
    assert.equal(count(html, /<script/i), 0);
    assert.equal(count(html, /https?:|src=|href=|@import|url\(/), 0);
    for (const tag of ['svg', 'table', 'tr', 'section', 'path']) {
      assert.equal(count(html, new RegExp(`<${tag}[ >]`)), count(html, new RegExp(`</${tag}>`)), tag);
    }
  });

  it('escapes every label: a class named <script> appears only as text', () => {
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(html.includes('<title>Fashion &lt;small&gt; CNN</title>'));
    assert.ok(html.includes('a &quot;quoted&quot; &amp; &lt;odd&gt; value'));
    assert.equal(escapeHtml(`<a href='x'>&"`), '&lt;a href=&#39;x&#39;&gt;&amp;&quot;');
  });

  it('draws loss, learning rate and throughput against iterations, and each validation metric against epochs', () => {
    const training = element(html, 'section', 'training');
    assert.equal(count(training, /<svg /), 3);
    assert.equal(count(training, /<path class="series"/), 3);
    for (const key of ['loss', 'learningRate', 'throughput (records/s)']) {
      assert.ok(training.includes(`aria-label="${key}"`), `a chart titled by the key ${key}`);
    }
    // 3000 iterations are drawn as at most 600 averaged points
    const d = /<path class="series" d="([^"]+)"/.exec(training)?.[1] ?? '';
    assert.ok(count(d, /[ML]/) <= 600 && count(d, /[ML]/) > 100, `${count(d, /[ML]/)} points`);
    const validation = element(html, 'section', 'validation');
    // top1Accuracy, loss, auc; the per-class key auc/0 is left to the table
    assert.equal(count(validation, /<svg /), 3);
    assert.ok(validation.includes('aria-label="top1Accuracy"'));
  });

  it('has one table row per class with AUC, interval and operating point, and a mean row', () => {
    const table = element(html, 'table', 'per-class');
    const body = table.slice(table.indexOf('<tbody>'), table.indexOf('</tbody>'));
    assert.equal(count(body, /<tr>/), names.length);
    assert.equal(count(table.slice(table.indexOf('<tfoot>')), /<tr>/), 1);
    for (const h of ['AUC', '95% CI', 'sensitivity', 'specificity', 'PPV', 'NPV'])
      assert.ok(table.includes(`<th>${h}</th>`), h);
    assert.equal(count(body, /<td>\d\.\d{3} – \d\.\d{3}<\/td>/), names.length);
  });

  it('draws one ROC curve per class, each with its operating point, as small multiples', () => {
    const roc = element(html, 'div', 'roc');
    assert.equal(count(roc, /<svg /), names.length);
    assert.equal(count(roc, /<path class="roc-curve"/), names.length);
    assert.equal(count(roc, /<circle class="marker"/), names.length);
    assert.equal(count(roc, /<line class="reference"/), names.length);
  });

  it('draws one precision-recall curve per class beside them, with its operating point and the prevalence line', () => {
    const pr = element(html, 'div', 'pr');
    assert.equal(count(pr, /<svg /), names.length);
    assert.equal(count(pr, /<path class="pr-curve"/), names.length);
    assert.equal(count(pr, /<circle class="marker"/), names.length);
    assert.equal(count(pr, /<line class="reference"/), names.length);
    assert.ok(html.indexOf('id="pr"') > html.indexOf('id="roc"'));
  });

  it('shows the confusion matrix for a multi-class run, with counts summing to the rows', () => {
    const table = element(html, 'table', 'confusion-matrix');
    assert.equal(count(table.slice(table.indexOf('<tbody>')), /<tr>/), names.length);
    const cells = [...table.matchAll(/<td style="[^"]*">(\d+)<\/td>/g)].map((m) => Number(m[1]));
    assert.equal(cells.length, names.length ** 2);
    assert.equal(
      cells.reduce((a, v) => a + v, 0),
      200,
    );
  });

  it('lists the configuration with nested keys flattened', () => {
    const config = element(html, 'section', 'config');
    assert.ok(config.includes('<tr><td>optimizer.lr</td><td>0.001</td></tr>'));
    assert.ok(config.includes('<tr><td>optimizer.betas</td><td>[0.9,0.999]</td></tr>'));
  });

  it('reports undefined values as such and leaves out what a run does not have', () => {
    const random = seededRandom(2);
    const n = 60;
    const labels = new Uint8Array(n * 2);
    const scores = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) {
      labels[i * 2] = random() < 0.4 ? 1 : 0; // class 1 never positive
      scores[i * 2] = random();
      scores[i * 2 + 1] = random();
    }
    const page = renderReport({
      title: 'multi-label',
      config: {},
      train: [],
      validation: [],
      evaluation: evaluateClassifier(scores, labels, 2, { classNames: ['Effusion', 'Hernia'], bootstrap: false }),
    });
    assert.equal(count(page, /id="training"|id="validation"|id="confusion-matrix"/), 0);
    assert.equal(count(page, /<path class="roc-curve"/), 1);
    assert.ok(page.includes('AUC undefined (only one label value): Hernia'));
    assert.ok(page.includes('<td class="undefined" title="undefined">—</td>'));
  });

  it('refuses a run without its arrays, naming the file', () => {
    assert.throws(
      () => writeReport(join(dir, 'x.html'), { title: 't' } as RunRecord),
      /writeReport\(.*x\.html\): run needs/,
    );
  });

  it('puts axis ticks at round numbers', () => {
    assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(niceTicks(3, 2987), [500, 1000, 1500, 2000, 2500]);
  });
});
