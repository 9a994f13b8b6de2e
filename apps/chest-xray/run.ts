/**
 * The steps `npm start` and the `cxr` commands share: train in a worker thread with a live progress
 * bar, evaluate in a worker thread, write the report, print the per-finding table.
 */
import { join, relative } from 'node:path';
import type { TrainingEvent } from '../../src/pipeline/events.js';
import type { OperatingPointRule } from '../../src/pipeline/metrics/index.js';
import { progressListener } from '../../src/pipeline/progress-listener.js';
import type { RunRecord } from '../../src/pipeline/report/index.js';
import { runInWorker } from '../../src/pipeline/worker-run.js';
import { type CxrRecipe, formatRecipe } from './config.js';
import type { CxrIndex } from './dataset.js';
import type { EvaluateJob, EvaluateResult } from './evaluate-recipe.js';
import { writeCxrReport } from './report.js';
import type { TrainJob, TrainResult, TrainStart } from './train-recipe.js';

const f3 = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : '  —  ');

/** Trains `recipe` on the index's train split (validating on val) and saves the model to `modelDir`. */
export async function trainModel(
  index: CxrIndex,
  recipe: CxrRecipe,
  modelDir: string,
  out = process.stdout,
): Promise<TrainResult> {
  out.write(`recipe:\n${formatRecipe(recipe)}\n`);
  const progress = progressListener(out, { unit: 'img' });
  let lastVal = Number.NaN;
  const onEvent = (e: TrainingEvent) => {
    if (e.type === 'validation') lastVal = e.metrics.auc ?? Number.NaN;
    else progress(e);
    if (e.type === 'epoch') {
      out.write(
        `epoch ${e.epoch}: loss ${e.loss.toFixed(4)}, ${e.seconds.toFixed(0)} s, ${e.samplesPerSecond.toFixed(0)} img/s\n`,
      );
    }
    if (e.type === 'validation') out.write(`epoch ${e.epoch}: validation mean AUC ${f3(lastVal)}\n`);
  };
  const counts = { train: 0, val: 0, test: 0 };
  for (const r of index.rows) counts[r.split]++;
  const job: TrainJob = {
    recipe,
    rows: index.rows.map((r) => ({ path: r.path, labels: r.labels, split: r.split })),
    modelDir,
    data: { root: index.root, csvVersion: index.csvVersion, split: recipe.split, ...counts },
  };
  return runInWorker<TrainJob, TrainResult>(new URL('./train-recipe.js', import.meta.url), {
    data: job,
    onEvent,
    onMessage: (m) => {
      const s = m as TrainStart;
      out.write(
        `training ${recipe.backbone} (${s.parameters.toLocaleString('en')} parameters) on ${s.train} images, validating on ${s.val}; ${s.iterationsPerEpoch} iterations per epoch, ${s.threads} threads${s.worldSize > 1 ? `; data-parallel, rank ${s.rank} of ${s.worldSize} workers` : ''}\n`,
      );
    },
    progress: false,
  });
}

export interface EvaluateSettings {
  operatingPoint?: OperatingPointRule;
  bootstrap?: number;
  baseline?: boolean;
  worklist?: number;
  /** 'temperature' (default): fit a temperature per finding on validation, apply it everywhere after */
  calibration?: 'temperature' | 'none';
}

/** Evaluates the model on the index's test split (thresholds on val) and writes evaluation.json, heatmaps and the worklist. */
export async function evaluateModel(
  index: CxrIndex,
  modelDir: string,
  outDir: string,
  settings: EvaluateSettings = {},
  out = process.stdout,
): Promise<EvaluateResult> {
  const job: EvaluateJob = {
    modelDir,
    rows: index.rows,
    outDir,
    operatingPoint: settings.operatingPoint ?? { rule: 'youden' },
    bootstrap: settings.bootstrap ?? 1000,
    baseline: settings.baseline ?? false,
    boxesCsv: join(index.root, 'BBox_List_2017.csv'),
    worklist: settings.worklist ?? 200,
    calibration: settings.calibration ?? 'temperature',
  };
  return runInWorker<EvaluateJob, EvaluateResult>(new URL('./evaluate-recipe.js', import.meta.url), {
    data: job,
    onMessage: (m) => {
      const s = m as { stage: string };
      const what: Record<string, string> = {
        predict: 'predicting validation and test images',
        bootstrap: 'bootstrap over patients',
        baseline: 'fitting the 32x32-pixel logistic-regression baseline',
        heatmaps: 'Grad-CAM heatmaps and pointing game',
      };
      out.write(`evaluate: ${what[s.stage] ?? s.stage}\n`);
    },
    progress: false,
  });
}

/** The per-finding table as printed at the end of a run. */
export function formatTable(e: EvaluateResult): string {
  const lines = [
    `${'finding'.padEnd(20)}${'pos'.padStart(6)}  AUC    95% CI (patients)  AUPRC  sens   spec   ${e.baseline ? 'base   ' : ''}pointing`,
  ];
  e.findings.forEach((f, k) => {
    const base = e.baseline ? `${f3(e.baseline.auc[k] ?? Number.NaN)}  ` : '';
    const point = Number.isFinite(f.pointing) ? `${f.pointing.toFixed(2)} (${f.pointingN})` : '—';
    lines.push(
      `${f.label.padEnd(20)}${String(f.positives).padStart(6)}  ${f3(f.auc)}  [${f3(f.lower)}, ${f3(f.upper)}]     ${f3(f.auprc)}  ${f3(f.sensitivity)}  ${f3(f.specificity)}  ${base}${point}`,
    );
  });
  lines.push(
    `${'mean'.padEnd(20)}${''.padStart(6)}  ${f3(e.meanAuc)}  [${f3(e.meanAucLower)}, ${f3(e.meanAucUpper)}]${e.baseline ? `     baseline (logistic regression, 32x32 pixels) mean AUC ${f3(e.baseline.meanAuc)}` : ''}`,
  );
  return `${lines.join('\n')}\n`;
}

/** Writes `<outDir>/report.html` from a training result (may be null) and an evaluation. */
export function writeRunReport(
  outDir: string,
  title: string,
  recipe: CxrRecipe,
  trained: TrainResult | null,
  e: EvaluateResult,
  notes: string[],
): string {
  const run: RunRecord = {
    title,
    config: recipe as unknown as Record<string, unknown>,
    train: trained?.train ?? [],
    validation: trained?.validation ?? [],
    finishedAt: new Date().toISOString(),
    ...(trained ? { durationSeconds: trained.seconds } : {}),
  };
  return writeCxrReport(join(outDir, 'report.html'), run, e, notes);
}

export const shown = (path: string) => {
  const r = relative(process.cwd(), path);
  return r.startsWith('..') ? path : r;
};
