/**
 * Model interchange: ONNX (import as a trainable graph, export, graph surgery) and safetensors
 * (weights without code).
 */
export * from './onnx/index.js';
export {
  decodeSafetensors,
  encodeSafetensors,
  loadSafetensors,
  MAX_HEADER_BYTES,
  type SafetensorsContent,
  saveSafetensors,
} from './safetensors.js';
