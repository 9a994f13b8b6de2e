/**
 * The one place the server gets predictions from: a function from an image file to its 14 calibrated
 * probabilities, flags and priority. This one runs the pipeline's Model in this process (and gives Grad-CAM
 * maps on request); inference-predictor.ts serves the same signature from src/serving's InferenceModel.
 */
import { loadCxrModel, operatingOf } from '../model-store.js';
import { scoreFiles } from '../score.js';
import type { HeatmapFile } from '../worklist.js';

export interface Prediction {
  probabilities: number[];
  flags: string[];
  priority: number;
  heatmap?: HeatmapFile | undefined;
  patientId?: string | undefined;
  studyInstanceUid?: string | undefined;
}

export type Predictor = (file: string, options?: { heatmaps?: boolean }) => Promise<Prediction>;

/**
 * A predictor on a saved model folder.
 *
 * @example
 * ```ts
 * const predict = await localPredictor('runs/cxr/model');
 * (await predict('scan.png')).flags; // ['Effusion']
 * ```
 */
export async function localPredictor(modelDir: string): Promise<{ predict: Predictor; thresholds: number[] }> {
  const { model, net, info } = await loadCxrModel(modelDir);
  const { thresholds, temperatures } = operatingOf(info);
  // one prediction at a time: the engine runs on this thread
  let queue: Promise<unknown> = Promise.resolve();
  const predict: Predictor = (file, options = {}) => {
    const run = queue.then(async () => {
      const { studies, errors } = await scoreFiles([file], model, net, info.recipe, thresholds, {
        ...options,
        temperatures,
      });
      const s = studies[0];
      if (!s) throw new Error(errors[0]?.message ?? 'unreadable image');
      return {
        probabilities: s.probabilities,
        flags: s.flags,
        priority: s.priority,
        heatmap: s.heatmap,
        patientId: s.patientId,
        studyInstanceUid: s.studyInstanceUid,
      };
    });
    queue = run.catch(() => undefined);
    return run;
  };
  return { predict, thresholds };
}
