/**
 * ONNX interchange: import a model file as a trainable module (OnnxGraph), cut it, freeze it, compose
 * it with new layers, and export tszoo models (the model zoo, nn layers, imported graphs) back to ONNX.
 *
 * @example
 * ```ts
 * import { importOnnx, nn } from 'tszoo';
 * const backbone = (await importOnnx('resnet50.onnx')).cut('layer4').freezeUpTo('layer3');
 * const model = new nn.Sequential(backbone, new nn.GlobalAvgPool2d(), new nn.Linear(2048, 14));
 * ```
 */
export type { NodeLabel } from './attributes.js';
export { type Attr, OnnxBuilder } from './export/builder.js';
export { type EmitContext, type OnnxEmitter, type OnnxExportable, registerOnnxExporter } from './export/emitter.js';
export { DEFAULT_EXPORT_OPSET, type ExportOnnxOptions, exportOnnx, exportOnnxBytes } from './export.js';
export { OnnxGraph } from './graph.js';
export type { GraphNode, OnnxInputInfo, OnnxNodeSummary } from './graph-types.js';
export { type ImportOnnxOptions, importOnnx, importOnnxSync } from './import.js';
export { supportedOnnxOps } from './ops/registry.js';
export { MAX_IMPORT_OPSET, MIN_IMPORT_OPSET, OnnxError } from './proto.js';
