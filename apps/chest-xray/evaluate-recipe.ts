/**
 * Evaluation, run in a worker thread: predictions on validation and test, per-finding AUC with 95%
 * CIs from a bootstrap over patients, AUPRC, a per-finding temperature fitted on validation and applied to
 * every probability after it (ECE before and after), operating points chosen on the calibrated validation
 * probabilities (thresholds and temperatures saved into the model's cxr.json for predict and review),
 * the logistic-regression baseline, Grad-CAM heatmaps with the pointing game where boxes exist, and the
 * worklist of test studies for the review page.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { DataFrame } from '../../src/data/dataframe/index.js';
import { CXR14_LABELS, type Cxr14Label } from '../../src/data/datasets/chestxray14.js';
import { decodeImageFile } from '../../src/data/image/decode-file.js';
import { readFileHeader } from '../../src/data/image/dicom/header.js';
import { torch } from '../../src/index.js';
import {
  type ClassifierEvaluation,
  calibration,
  chooseOperatingPoints,
  evaluateClassifier,
  fitTemperature,
  type OperatingPointRule,
} from '../../src/pipeline/metrics/index.js';
import type { RecipeContext } from '../../src/pipeline/worker-run.js';
import { writeFileAtomic } from '../../src/util/atomic-write.js';
import { type BaselineResult, logisticBaseline } from './baseline.js';
import type { CxrRow } from './dataset.js';
import { appCam, gradCam, peakOf, upsampleMap } from './gradcam.js';
import { calibrated, loadCxrModel, writeModelInfo } from './model-store.js';
import { writeOverlay } from './overlay.js';
import {
  boxToCrop,
  emptyTally,
  LOCALISED_FINDINGS,
  type NihBox,
  type PointingTally,
  scorePointing,
  zhangTolerance,
} from './pointing-game.js';
import { isDicomPath, studyIdOf } from './score.js';
import { decodeOptions, evalTransform, inputRegion } from './transforms.js';
import { triage } from './triage.js';
import { type HeatmapFile, type Study, writeWorklist } from './worklist.js';

export interface EvaluateJob {
  modelDir: string;
  rows: CxrRow[];
  outDir: string;
  operatingPoint: OperatingPointRule;
  bootstrap: number;
  baseline: boolean;
  /** the data set's BBox_List_2017.csv (NIH's format), for the pointing game */
  boxesCsv?: string | undefined;
  /** test studies put on the review worklist (highest priority first), with their heatmaps */
  worklist: number;
  /** 'temperature': a temperature per finding fitted on validation, saved with the thresholds and applied everywhere */
  calibration: 'temperature' | 'none';
}

export interface FindingSummary {
  label: string;
  positives: number;
  auc: number;
  lower: number;
  upper: number;
  auprc: number;
  threshold: number;
  sensitivity: number;
  specificity: number;
  ppv: number;
  npv: number;
  ece: number;
  eceCalibrated: number;
  temperature: number;
  /** share of test true positives whose heatmap peak lies in a box of the finding; NaN without boxes */
  pointing: number;
  pointingN: number;
  /** the same within Zhang et al.'s tolerance (15 px at 224 px, scaled to the input) */
  pointingTolerant: number;
  /** whether the finding counts toward the pointing-game goal (LOCALISED_FINDINGS) */
  localised: boolean;
  /** the same share for the image centre (a baseline that needs no model) */
  centre: number;
}

export interface EvaluateResult {
  evaluation: ClassifierEvaluation & { split: string };
  findings: FindingSummary[];
  meanAuc: number;
  meanAucLower: number;
  meanAucUpper: number;
  baseline: BaselineResult | null;
  /** pooled over findings, of the calibrated test probabilities (the uncalibrated ones without calibration) */
  reliability: { meanProbability: number; frequency: number; rows: number }[];
  ece: number;
  /** the same of the model's raw probabilities */
  reliabilityUncalibrated: { meanProbability: number; frequency: number; rows: number }[];
  eceUncalibrated: number;
  calibration: 'temperature' | 'none';
  /** what the heatmaps are (appCam's name) */
  heatmap: string;
  gallery: { label: string; file: string; probability: number }[];
  worklist: string;
  counts: { val: number; test: number; testPatients: number };
}

type Box = NihBox;

const share = (t: PointingTally | undefined, key: 'hit' | 'hitTolerant' | 'centre') =>
  t?.n ? t[key] / t.n : Number.NaN;

/** NIH's BBox_List_2017.csv: image -> finding -> boxes in the original image's pixels. */
export function readBoxes(path: string): Map<string, Map<string, Box[]>> {
  const out = new Map<string, Map<string, Box[]>>();
  const lines = readFileSync(path, 'utf8').split(/\r?\n/).slice(1);
  for (const line of lines) {
    const c = line.split(',');
    if (c.length < 6) continue;
    // NIH's file says 'Infiltrate' where the labels say 'Infiltration'
    const label = c[1] === 'Infiltrate' ? 'Infiltration' : (c[1] as string);
    const [x, y, w, h] = c.slice(2, 6).map(Number) as [number, number, number, number];
    if (![x, y, w, h].every(Number.isFinite)) continue;
    let m = out.get(c[0] as string);
    if (!m) out.set(c[0] as string, (m = new Map()));
    const list = m.get(label) ?? [];
    list.push({ x, y, w, h });
    m.set(label, list);
  }
  return out;
}

const frameOf = (rows: CxrRow[]) => DataFrame.fromColumns({ origin: rows.map((r) => r.path) });

export default async function evaluateCxr({ data: job, send }: RecipeContext<EvaluateJob>): Promise<EvaluateResult> {
  const { model, net, info } = await loadCxrModel(job.modelDir);
  const r = info.recipe;
  const val = job.rows.filter((x) => x.split === 'val');
  const test = job.rows.filter((x) => x.split === 'test');
  if (test.length === 0) throw new Error('evaluate: the test split is empty');
  send({ stage: 'predict', val: val.length, test: test.length });
  const predict = async (rows: CxrRow[]) => {
    const { predictions, errors } = await model.predictRows(frameOf(rows));
    if (errors.size > 0) throw new Error(`evaluate: ${errors.size} images unreadable, e.g. ${[...errors.values()][0]}`);
    return predictions.map((p) => Array.from(p as Float32Array));
  };
  const rawVal = val.length > 0 ? await predict(val) : [];
  const rawTest = await predict(test);
  const valLabels = val.map((x) => x.labels);
  const testLabels = test.map((x) => x.labels);
  // a temperature per finding fitted on validation (1 where validation lacks positives or negatives);
  // from here on every probability is the calibrated one, and the thresholds are chosen on them
  const column = (m: number[][], k: number) => m.map((row) => row[k] as number);
  const temperatures = CXR14_LABELS.map((_, k) => {
    const y = column(valLabels, k);
    const both = y.includes(1) && y.includes(0);
    return job.calibration === 'temperature' && both ? fitTemperature(column(rawVal, k), y) : 1;
  });
  const valScores = rawVal.map((p) => calibrated(p, temperatures));
  const testScores = rawTest.map((p) => calibrated(p, temperatures));
  send({ stage: 'bootstrap', iterations: job.bootstrap });
  const evaluation = evaluateClassifier(testScores.flat(), testLabels.flat(), 14, {
    classNames: CXR14_LABELS,
    groups: test.map((x) => x.patientId),
    ...(val.length > 0 ? { validation: { scores: valScores.flat(), labels: valLabels.flat() } } : {}),
    operatingPoint: job.operatingPoint,
    bootstrap: job.bootstrap > 0 ? { iterations: job.bootstrap, seed: 0 } : false,
  });
  const thresholds =
    val.length > 0
      ? chooseOperatingPoints(valScores.flat(), valLabels.flat(), 14, job.operatingPoint).thresholds.map((t) =>
          Number.isFinite(t) ? t : 0.5,
        )
      : CXR14_LABELS.map(() => 0.5);
  const { temperatures: _previous, ...rest } = info;
  writeModelInfo(job.modelDir, {
    ...rest,
    thresholds,
    thresholdRule: job.operatingPoint.rule === 'youden' ? 'youden' : `sensitivity>=${job.operatingPoint.target}`,
    ...(job.calibration === 'temperature' ? { temperatures } : {}),
  });
  // calibration per finding, before and after the temperature
  const calib = CXR14_LABELS.map((_, k) => {
    const y = column(testLabels, k);
    return {
      ece: calibration(column(rawTest, k), y).ece,
      eceCalibrated: calibration(column(testScores, k), y).ece,
      t: temperatures[k] as number,
    };
  });
  const uncalibrated = calibration(rawTest.flat(), testLabels.flat(), 10);
  const pooled = calibration(testScores.flat(), testLabels.flat(), 10);
  let baseline: BaselineResult | null = null;
  if (job.baseline) {
    send({ stage: 'baseline' });
    const train = job.rows.filter((x) => x.split === 'train');
    baseline = await logisticBaseline(
      { paths: train.map((x) => x.path), labels: train.map((x) => x.labels) },
      { paths: val.map((x) => x.path), labels: valLabels },
      { paths: test.map((x) => x.path), labels: testLabels },
    );
  }
  // Grad-CAM over the test split: pointing game, gallery, worklist heatmaps
  send({ stage: 'heatmaps' });
  const boxes =
    job.boxesCsv && existsSync(job.boxesCsv) ? readBoxes(job.boxesCsv) : new Map<string, Map<string, Box[]>>();
  const hits = CXR14_LABELS.map(emptyTally);
  const taken = new Set<string>();
  const studies: Study[] = test.map((row, i) => {
    const p = testScores[i] as number[];
    const t = triage(p, thresholds);
    return {
      // a DICOM folder's imageIndex is a relative path: the id is its file name, made safe and unique
      id: studyIdOf(row.imageIndex, taken),
      file: row.path,
      patientId: row.patientId,
      dicom: isDicomPath(row.path),
      probabilities: p,
      flags: t.flags,
      priority: t.priority,
      truth: CXR14_LABELS.filter((_, k) => row.labels[k] === 1),
    };
  });
  const order = studies.map((_, i) => i).sort((a, b) => (studies[b]?.priority ?? 0) - (studies[a]?.priority ?? 0));
  const onWorklist = new Set(order.slice(0, job.worklist));
  const maps = new Map<number, HeatmapFile>();
  const best = CXR14_LABELS.map(() => ({ i: -1, p: -1 }));
  const crop = r.crop;
  const transform = evalTransform(r);
  // the gallery's image per finding: its most confident true positive
  test.forEach((row, i) => {
    CXR14_LABELS.forEach((_, k) => {
      const p = testScores[i]?.[k] ?? 0;
      if (row.labels[k] === 1 && p > (best[k]?.p ?? 0)) best[k] = { i, p };
    });
  });
  // heatmaps only where they are used: worklist studies and images with boxes (the pointing game)
  const cam = appCam(net);
  const camRows = test.map((_, i) => i).filter((i) => onWorklist.has(i) || boxes.has((test[i] as CxrRow).imageIndex));
  for (let s = 0; s < camRows.length; s += 32) {
    const idx = camRows.slice(s, s + 32);
    const images = await Promise.all(idx.map((i) => decodeImageFile((test[i] as CxrRow).path, decodeOptions(r))));
    const sizes = await Promise.all(idx.map((i) => originalSize((test[i] as CxrRow).path)));
    const batch = torch.scope(() => torch.keep(torch.stack(images.map((im) => transform.apply(im, Math.random)))));
    const cams = gradCam(net, batch, 14, cam.options);
    batch.dispose();
    idx.forEach((i, b) => {
      const row = test[i] as CxrRow;
      const flagged = studies[i]?.flags ?? [];
      CXR14_LABELS.forEach((label, k) => {
        const m = cams.maps[b]?.[k] as Float32Array;
        const drawn = boxes.get(row.imageIndex)?.get(label);
        if (!drawn || row.labels[k] !== 1 || !flagged.includes(label)) return;
        const up = upsampleMap(m, cams.height, cams.width, crop);
        const [ow, oh] = sizes[b] as [number, number];
        const inCrop = drawn.map((bx) => boxToCrop(bx, ow, oh, r.resize, crop));
        scorePointing(hits[k] as PointingTally, peakOf(up, crop), inCrop, crop, zhangTolerance(crop));
      });
      if (onWorklist.has(i)) {
        maps.set(i, {
          region: inputRegion(r),
          h: cams.height,
          w: cams.width,
          maps: (cams.maps[b] ?? []).map((m) => Array.from(m, (v) => Math.round(v * 1000) / 1000)),
        });
      }
    });
  }
  const heatDir = join(job.outDir, 'heatmaps');
  mkdirSync(heatDir, { recursive: true });
  const gallery: EvaluateResult['gallery'] = [];
  for (const [k, b] of best.entries()) {
    if (b.i < 0) continue;
    const row = test[b.i] as CxrRow;
    const image = await decodeImageFile(row.path, decodeOptions(r));
    const batch = torch.scope(() => torch.keep(torch.stack([transform.apply(image, Math.random)])));
    const cams = gradCam(net, batch, 14, cam.options);
    batch.dispose();
    const label = CXR14_LABELS[k] as string;
    const file = `${basename(row.imageIndex, extname(row.imageIndex))}-${label}.png`;
    await writeOverlay(
      join(heatDir, file),
      image,
      upsampleMap(cams.maps[0]?.[k] as Float32Array, cams.height, cams.width, crop),
      Math.max(1, Math.floor(256 / crop)),
    );
    gallery.push({ label, file: `heatmaps/${file}`, probability: b.p });
  }
  const worklist = writeWorklist(
    join(job.outDir, 'worklist'),
    order.slice(0, job.worklist).map((i) => ({ ...(studies[i] as Study), heatmap: maps.get(i) })),
    { thresholds, modelDir: job.modelDir, source: `test split of ${info.data?.root ?? 'the data set'}` },
  );
  const findings: FindingSummary[] = evaluation.classes.map((c, k) => ({
    label: c.name,
    positives: c.positives,
    auc: c.auc,
    lower: c.aucInterval?.lower ?? Number.NaN,
    upper: c.aucInterval?.upper ?? Number.NaN,
    auprc: c.averagePrecision,
    threshold: thresholds[k] as number,
    sensitivity: c.operatingPoint?.sensitivity ?? Number.NaN,
    specificity: c.operatingPoint?.specificity ?? Number.NaN,
    ppv: c.operatingPoint?.ppv ?? Number.NaN,
    npv: c.operatingPoint?.npv ?? Number.NaN,
    ece: calib[k]?.ece ?? Number.NaN,
    eceCalibrated: calib[k]?.eceCalibrated ?? Number.NaN,
    temperature: calib[k]?.t ?? 1,
    pointing: share(hits[k], 'hit'),
    pointingN: hits[k]?.n ?? 0,
    pointingTolerant: share(hits[k], 'hitTolerant'),
    localised: LOCALISED_FINDINGS.has(c.name as Cxr14Label),
    centre: share(hits[k], 'centre'),
  }));
  net.dispose();
  const result: EvaluateResult = {
    evaluation: { ...evaluation, split: 'test' },
    findings,
    meanAuc: evaluation.meanAuc,
    meanAucLower: evaluation.meanAucInterval?.lower ?? Number.NaN,
    meanAucUpper: evaluation.meanAucInterval?.upper ?? Number.NaN,
    baseline,
    reliability: pooled.bins.map((b) => ({ meanProbability: b.meanProbability, frequency: b.frequency, rows: b.rows })),
    ece: pooled.ece,
    reliabilityUncalibrated: uncalibrated.bins.map((b) => ({
      meanProbability: b.meanProbability,
      frequency: b.frequency,
      rows: b.rows,
    })),
    eceUncalibrated: uncalibrated.ece,
    calibration: job.calibration,
    heatmap: cam.name,
    gallery,
    worklist,
    counts: { val: val.length, test: test.length, testPatients: new Set(test.map((x) => x.patientId)).size },
  };
  writeFileAtomic(join(job.outDir, 'evaluation.json'), JSON.stringify(result, null, 1), { mkdir: true });
  return result;
}

async function originalSize(path: string): Promise<[number, number]> {
  if (isDicomPath(path)) {
    const h = readFileHeader(path);
    return [h.columns, h.rows];
  }
  const { default: sharp } = await import('sharp');
  const m = await sharp(path).metadata();
  return [m.width ?? 0, m.height ?? 0];
}
