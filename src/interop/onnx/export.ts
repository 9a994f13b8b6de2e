/**
 * exportOnnx: a tszoo model to an ONNX file with a dynamic batch dimension.
 *
 * How: a structural trace. The exporter walks the module tree and asks each module's exporter (per
 * class: the model zoo's own `toOnnx` methods, nn layers and imported OnnxGraphs registered here,
 * or yours via a `toOnnx` method or registerOnnxExporter) for its nodes. Recording ops during a
 * forward pass was the alternative; the walk was chosen because (1) node and initializer names come
 * out as module paths and state-dict keys ('layer1.0.conv1', 'layer1.0.conv1.weight'), so a
 * re-imported model has the same state dict and `freezeUpTo('layer2')` / `cut('layer4')` work on
 * it; (2) shapes never get baked in, so every dimension except channels can stay symbolic, where a
 * trace records the sizes of one example input (flatten, reshape); (3) it needs no hook in the op
 * dispatcher's hot path; and (4) a module it does not know is an error naming the module, where a
 * trace would silently record whatever ran (Python-side control flow, training-only branches). The
 * price: a custom module with its own forward() needs an exporter, usually a few lines.
 *
 * The graph is the inference graph (eval mode): batch norm uses running statistics and dropout is
 * left out, whatever the module's current mode.
 */
import type { Module } from '../../nn/module.js';
import { isFloatingDType } from '../../tensor/dtype.js';
import { noGrad, scope } from '../../tensor/index.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { OnnxBuilder } from './export/builder.js';
import { emitModule } from './export/emitter.js';
import { registerGraphExporter } from './export/graph.js';
import { registerLayerExporters } from './export/layers.js';
import { OnnxGraph } from './graph.js';
import { encodeModel, MAX_IMPORT_OPSET, MIN_IMPORT_OPSET } from './proto.js';
import { dtypeToOnnx } from './tensor-proto.js';

registerLayerExporters();
registerGraphExporter();

/** The opset exportOnnx writes unless told otherwise (or the opset of an imported graph inside the model). */
export const DEFAULT_EXPORT_OPSET = 17;

export interface ExportOnnxOptions {
  /**
   * Input dimensions after the batch dimension: numbers, or names for symbolic sizes. Default
   * ['channels', 'height', 'width']: any image size (the exported ops do not depend on it).
   */
  inputShape?: (number | string)[];
  /** default DEFAULT_EXPORT_OPSET, or an imported graph's opset */
  opset?: number;
  inputName?: string;
  outputName?: string;
  /** name of the symbolic batch dimension; default 'batch' */
  batchDim?: string;
}

const dim = (d: number | string) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d });

/**
 * The ONNX bytes of a model.
 *
 * @example
 * ```ts
 * const bytes = exportOnnxBytes(models.resnet18({ numClasses: 14 }), { inputShape: [3, 224, 224] });
 * ```
 */
export function exportOnnxBytes(model: Module, options: ExportOnnxOptions = {}): Uint8Array {
  const graphs = model.modules().filter((m): m is OnnxGraph => m instanceof OnnxGraph);
  const opset = options.opset ?? graphs[0]?.opset ?? DEFAULT_EXPORT_OPSET;
  if (!Number.isInteger(opset) || opset < MIN_IMPORT_OPSET || opset > MAX_IMPORT_OPSET) {
    throw new RangeError(`onnx export: opset ${opset} is outside ${MIN_IMPORT_OPSET}-${MAX_IMPORT_OPSET}`);
  }
  const inputShape = options.inputShape ?? ['channels', 'height', 'width'];
  const inputName = options.inputName ?? 'input';
  const outputName = options.outputName ?? 'output';
  const batch = options.batchDim ?? 'batch';
  return noGrad(() =>
    scope(() => {
      // Inputs, outputs and constants take the parameters' element type (float32 unless the model was converted).
      const dtype = model.parameters().find((p) => isFloatingDType(p.dtype))?.dtype ?? 'float32';
      const b = new OnnxBuilder(opset, dtype);
      const input = b.value(inputName, inputShape.length + 1);
      const last = emitModule(b, model, '', input);
      if (b.has(outputName))
        throw new Error(`onnx export: the output name '${outputName}' is taken inside the graph; pass outputName`);
      const producer = b.nodes.find((n) => n.output?.[0] === last);
      let output: string;
      if (producer) {
        // The last node's output takes the requested name.
        producer.output = [outputName];
        for (const n of b.nodes) n.input = (n.input ?? []).map((i) => (i === last ? outputName : i));
        output = b.value(outputName, b.rankOf(last));
      } else output = b.node('Identity', [last], outputName);
      const rank = b.rankOf(output);
      const outShape =
        rank === undefined ? undefined : { dim: [dim(batch), ...Array.from({ length: rank - 1 }, () => ({}))] };
      const float = dtypeToOnnx(dtype);
      return encodeModel({
        irVersion: 8,
        producerName: 'tszoo',
        producerVersion: '0.1.0',
        opsetImport: [{ domain: '', version: opset }],
        graph: {
          name: model.constructor.name,
          node: b.nodes,
          initializer: b.initializers,
          input: [
            {
              name: inputName,
              type: { tensorType: { elemType: float, shape: { dim: [dim(batch), ...inputShape.map(dim)] } } },
            },
          ],
          output: [
            { name: outputName, type: { tensorType: { elemType: float, ...(outShape ? { shape: outShape } : {}) } } },
          ],
        },
      });
    }),
  );
}

/**
 * Writes a model as an ONNX file, atomically (temporary file, fsync, then rename).
 *
 * @example
 * ```ts
 * await exportOnnx(models.densenet121({ numClasses: 14 }), 'chexnet.onnx', { inputShape: [3, 224, 224] });
 * ```
 */
export async function exportOnnx(model: Module, path: string, options: ExportOnnxOptions = {}): Promise<void> {
  writeFileAtomic(path, exportOnnxBytes(model, options));
}
