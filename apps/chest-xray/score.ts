/**
 * Scoring image files with a trained model (what predict, explain and the server share): PNG, JPEG and
 * DICOM (first frame, VOI LUT or window, MONOCHROME1 inverted; PatientID and StudyInstanceUID kept),
 * decoded and preprocessed as in training, 14 probabilities, the flags at the saved thresholds, the triage
 * priority and, on request, Grad-CAM maps.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { decodeImageFile } from '../../src/data/image/decode-file.js';
import { readFileHeader } from '../../src/data/image/dicom/header.js';
import type { Image } from '../../src/data/image/types.js';
import { torch } from '../../src/index.js';
import type { Model } from '../../src/pipeline/model.js';
import type { CxrRecipe } from './config.js';
import { appCam, gradCam } from './gradcam.js';
import type { CxrNet } from './model.js';
import { calibrated } from './model-store.js';
import { decodeOptions, evalTransform, inputRegion } from './transforms.js';
import { triage } from './triage.js';
import type { HeatmapFile, Study } from './worklist.js';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.dcm', '.dicom']);

export const isDicomPath = (p: string) => ['.dcm', '.dicom'].includes(extname(p).toLowerCase());

/** The image files among `paths`, folders expanded (not recursively into hidden folders), sorted. */
export function listImages(paths: readonly string[]): string[] {
  const out: string[] = [];
  const visit = (p: string) => {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) throw new Error(`no such file or folder: ${p}`);
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) if (!name.startsWith('.')) visit(join(p, name));
    } else if (IMAGE_EXTENSIONS.has(extname(p).toLowerCase())) out.push(resolve(p));
  };
  for (const p of paths) visit(p);
  return out;
}

/** PatientID (0010,0020) and StudyInstanceUID (0020,000D) of a DICOM file. */
export function dicomIds(path: string): { patientId?: string; studyInstanceUid?: string } {
  const ds = readFileHeader(path).dataSet;
  const clean = (v: string | undefined) => v?.replace(/\0/g, '').trim() || undefined;
  return { patientId: clean(ds.string('x00100020')), studyInstanceUid: clean(ds.string('x0020000d')) };
}

/** A study id from a file name: its stem, with anything but [A-Za-z0-9._-] replaced, made unique. */
export function studyIdOf(path: string, taken: Set<string>): string {
  let base =
    basename(path, extname(path))
      .replace(/[^A-Za-z0-9._-]/g, '_')
      .replace(/^\.+/, '_')
      .slice(0, 100) || 'study';
  if (taken.has(base)) {
    let k = 2;
    while (taken.has(`${base}-${k}`)) k++;
    base = `${base}-${k}`;
  }
  taken.add(base);
  return base;
}

export interface ScoredStudy extends Study {
  heatmap?: HeatmapFile | undefined;
}

export interface ScoreResult {
  studies: ScoredStudy[];
  errors: { file: string; message: string }[];
}

/** Decodes one file as the model expects it (grey, resized, centre-cropped). */
export function decodeForModel(path: string, recipe: CxrRecipe): Promise<Image> {
  return decodeImageFile(path, decodeOptions(recipe));
}

/**
 * Scores files in batches; an unreadable file is reported in `errors`, the others go on. Probabilities are
 * calibrated with `options.temperatures` (the model's, from `operatingOf(info)`) before the thresholds apply.
 *
 * @example
 * ```ts
 * const { model, net, info } = await loadCxrModel('runs/cxr/model');
 * const { thresholds, temperatures } = operatingOf(info);
 * const { studies } = await scoreFiles(['scan.dcm'], model, net, info.recipe, thresholds, { heatmaps: true, temperatures });
 * ```
 */
export async function scoreFiles(
  files: readonly string[],
  model: Model,
  net: CxrNet,
  recipe: CxrRecipe,
  thresholds: readonly number[],
  options: { heatmaps?: boolean; batchSize?: number; temperatures?: readonly number[] | undefined } = {},
): Promise<ScoreResult> {
  const batchSize = options.batchSize ?? 16;
  const transform = evalTransform(recipe);
  const taken = new Set<string>();
  const studies: ScoredStudy[] = [];
  const errors: ScoreResult['errors'] = [];
  for (let s = 0; s < files.length; s += batchSize) {
    const part = files.slice(s, s + batchSize);
    const decoded = await Promise.all(
      part.map(async (file) => {
        try {
          const image = await decodeForModel(file, recipe);
          return { file, image, ids: isDicomPath(file) ? dicomIds(file) : {} };
        } catch (e) {
          errors.push({ file, message: (e as Error).message });
          return null;
        }
      }),
    );
    const ok = decoded.filter((d) => d !== null);
    if (ok.length === 0) continue;
    const batch = torch.scope(() => torch.keep(torch.stack(ok.map((d) => transform.apply(d.image, Math.random)))));
    const probs = model.predict(batch);
    const cams = options.heatmaps ? gradCam(net, batch, 14, appCam(net).options) : null;
    batch.dispose();
    ok.forEach((d, i) => {
      // calibrated as evaluate chose the thresholds (model-store.ts)
      const p = calibrated(probs[i] as Float32Array, options.temperatures);
      const t = triage(p, thresholds);
      studies.push({
        id: studyIdOf(d.file, taken),
        file: d.file,
        patientId: d.ids.patientId,
        studyInstanceUid: d.ids.studyInstanceUid,
        probabilities: p,
        flags: t.flags,
        priority: t.priority,
        dicom: isDicomPath(d.file),
        heatmap: cams
          ? {
              region: inputRegion(recipe),
              h: cams.height,
              w: cams.width,
              maps: (cams.maps[i] ?? []).map((m) => Array.from(m, (v) => Math.round(v * 1000) / 1000)),
            }
          : undefined,
      });
    });
  }
  return { studies, errors };
}
