/**
 * The shapes an imported ONNX graph is made of: its inputs, its prepared nodes, the spec an OnnxGraph
 * is built from (cut() builds sub-graphs from a subset of one), and the rows of `summary()`.
 */
import type { DType } from '../../tensor/dtype.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { NodeLabel } from './attributes.js';
import type { Runner } from './ops/converter.js';
import type { NodeProto } from './proto.js';

/** A graph input: name, element type and declared shape (a string for a symbolic dimension). */
export interface OnnxInputInfo {
  name: string;
  dtype: DType;
  shape: (number | string | null)[] | null;
}

/** A node ready to run. */
export interface GraphNode {
  readonly label: NodeLabel;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly run: Runner;
  /** the node as read (attributes included), for export */
  readonly proto: NodeProto;
  /** tensors made from Constant nodes, held as non-persistent buffers */
  readonly constants: readonly Tensor[];
}

/** An initializer's tensor and whether it trains (a parameter) or not (a buffer). */
export interface GraphInitializer {
  tensor: Tensor;
  trainable: boolean;
}

/** Everything an OnnxGraph is built from; cut() builds sub-graphs from a subset. */
export interface GraphSpec {
  /** where the graph came from (a path, or 'bytes'), for error messages */
  where: string;
  opset: number;
  inputs: OnnxInputInfo[];
  outputs: string[];
  /** topologically sorted */
  nodes: GraphNode[];
  /** initializer value name -> tensor and whether it trains */
  initializers: Map<string, GraphInitializer>;
}

/** One row of `summary()`. */
export interface OnnxNodeSummary {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  /** shape of each output for the given input shapes */
  shapes: number[][];
  /** number of parameter elements the node reads */
  parameters: number;
}
