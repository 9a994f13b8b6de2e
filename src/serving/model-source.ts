/**
 * What a served model is: a `Model.save` directory (model.json, model.safetensors, model.onnx) or a bare
 * ONNX file, read as data (never code): task, class names, decoding, the transform's name, input shape.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { DecodeImageOptions } from '../data/image/decode.js';
import type { Task } from '../pipeline/task.js';

/** The saved model's description, as serving needs it. */
export interface ModelSource {
  /** 'dir' for a Model.save directory, 'onnx' for a bare .onnx file */
  kind: 'dir' | 'onnx';
  /** the directory or file given */
  path: string;
  /** the ONNX file (architecture and weights), or null when the saved model has none */
  onnxPath: string | null;
  /** the weights of a saved model (loaded into a module built by your code when there is no ONNX file) */
  weightsPath: string | null;
  /** 'regression' (raw outputs) for a bare ONNX file */
  task: Task;
  classNames: string[] | null;
  /** multi-label: a finding is reported at or above this probability */
  threshold: number;
  /** how images are decoded before the transform (colour, resize, crop) */
  decode: DecodeImageOptions;
  /** the name of the transform the model was trained with, or null */
  transformName: string | null;
  /** one sample's shape (no batch dimension) when known */
  inputShape: number[] | null;
}

const FORMAT = 'tszoo.model/1';

/**
 * Reads a `Model.save` directory's model.json, or describes a bare ONNX file.
 *
 * @throws naming the path when it is neither.
 */
export function readModelSource(path: string): ModelSource {
  if (!existsSync(path)) throw new Error(`serving: model '${path}' does not exist`);
  if (!statSync(path).isDirectory()) {
    if (!path.toLowerCase().endsWith('.onnx')) {
      throw new Error(`serving: '${path}' is neither a saved model directory nor an .onnx file`);
    }
    return {
      kind: 'onnx',
      path,
      onnxPath: path,
      weightsPath: null,
      task: 'regression',
      classNames: null,
      threshold: 0.5,
      decode: {},
      transformName: null,
      inputShape: null,
    };
  }
  const metaPath = join(path, 'model.json');
  if (!existsSync(metaPath)) throw new Error(`serving: '${path}' has no model.json (save it with Model.save)`);
  const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as Record<string, unknown>;
  if (meta.format !== FORMAT)
    throw new Error(`serving: '${path}' is not a tszoo model (format '${String(meta.format)}')`);
  const history = meta.history as { inputShape?: number[] } | null;
  const featureShape = meta.featureShape as number[] | undefined;
  const shape = history?.inputShape ?? featureShape ?? null;
  return {
    kind: 'dir',
    path,
    onnxPath: typeof meta.onnx === 'string' ? join(path, basename(meta.onnx)) : null,
    weightsPath: join(path, 'model.safetensors'),
    task: (meta.task as Task) ?? 'regression',
    classNames: Array.isArray(meta.classNames) ? (meta.classNames as string[]) : null,
    threshold: typeof meta.threshold === 'number' ? meta.threshold : 0.5,
    decode: (meta.decode as DecodeImageOptions | undefined) ?? {},
    transformName: typeof meta.transformName === 'string' ? meta.transformName : null,
    inputShape: shape?.every((d) => Number.isInteger(d) && d > 0) ? [...shape] : null,
  };
}
