/**
 * The server's predictor on src/serving's InferenceModel: the saved model in worker threads behind the
 * dynamic batcher (concurrent uploads are batched), with the app's label names, the temperatures and
 * thresholds evaluate saved, the triage priority and the DICOM ids. The workers load `model.onnx` when
 * Model.save could export one, else build the CxrNet of the recipe (cxr-module.ts) and load the weights.
 * Grad-CAM needs gradients of the in-process network, so this predictor gives no heatmaps.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CXR14_LABELS } from '../../../src/data/datasets/chestxray14.js';
import { isDicom } from '../../../src/data/image/decode-file.js';
import { InferenceModel, type InferenceModelOptions } from '../../../src/serving/inference-model.js';
import { calibrated, operatingOf, readModelInfo } from '../model-store.js';
import { dicomIds } from '../score.js';
import { evalTransform } from '../transforms.js';
import { triage } from '../triage.js';
import { cxrModuleUrl } from './cxr-module.js';
import type { Predictor } from './predictor.js';

/** True when the model folder has a model.onnx (CxrNet has no ONNX exporter yet: the workers build it then). */
export const hasOnnx = (modelDir: string) => existsSync(join(modelDir, 'model.onnx'));

/**
 * A predictor on an InferenceModel; `close` stops its workers.
 *
 * @example
 * ```ts
 * const { predict, close } = await inferencePredictor('runs/cxr/model', { concurrency: 2 });
 * (await predict('scan.dcm')).flags; // ['Effusion']
 * await close();
 * ```
 */
export async function inferencePredictor(
  modelDir: string,
  options: Pick<InferenceModelOptions, 'concurrency' | 'maxBatch' | 'maxDelayMs' | 'threadsPerWorker'> = {},
): Promise<{ predict: Predictor; thresholds: number[]; model: InferenceModel; close: () => Promise<void> }> {
  const info = readModelInfo(modelDir);
  const { thresholds, temperatures } = operatingOf(info);
  const model = await InferenceModel.load(modelDir, {
    ...options,
    transform: evalTransform(info.recipe),
    classNames: [...CXR14_LABELS],
    ...(hasOnnx(modelDir) ? {} : { moduleUrl: cxrModuleUrl(modelDir) }),
  });
  const predict: Predictor = async (file, opts = {}) => {
    if (opts.heatmaps) throw new Error('heatmaps need the in-process model (InferenceModel gives none)');
    const bytes = new Uint8Array(readFileSync(file));
    const out = await model.predictOne(bytes, file);
    if (out.output.length !== CXR14_LABELS.length)
      throw new Error(`the model gave ${out.output.length} outputs, not ${CXR14_LABELS.length}`);
    const probabilities = calibrated(out.output, temperatures);
    const t = triage(probabilities, thresholds);
    const ids = isDicom(bytes) ? dicomIds(file) : {};
    return {
      probabilities,
      flags: t.flags,
      priority: t.priority,
      patientId: ids.patientId,
      studyInstanceUid: ids.studyInstanceUid,
    };
  };
  return { predict, thresholds, model, close: () => model.close() };
}
