/**
 * The architecture builder src/serving's InferenceModel loads in its worker threads (`moduleUrl`) for a
 * chest X-ray model without model.onnx: imported as `cxr-module.js?model=<model folder>`, its default
 * export builds the CxrNet of that folder's recipe; the worker then loads the saved weights into it.
 */

import type { CxrNet } from '../model.js';
import { netOf, readModelInfo } from '../model-store.js';

/** The moduleUrl for `modelDir`. */
export function cxrModuleUrl(modelDir: string): string {
  const url = new URL(import.meta.url);
  url.search = new URLSearchParams({ model: modelDir }).toString();
  return url.href;
}

export default function buildCxrNet(): CxrNet {
  const dir = new URL(import.meta.url).searchParams.get('model');
  if (!dir) throw new Error('cxr-module: import it as cxr-module.js?model=<model folder> (cxrModuleUrl)');
  return netOf(readModelInfo(dir).recipe);
}
