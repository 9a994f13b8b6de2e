/**
 * OnnxGraph: an imported ONNX graph as a tszoo Module. Initializers are its parameters and buffers
 * (state-dict keys are the initializer names), nodes run as tszoo ops in topological order, so
 * gradients flow and it trains, freezes, saves and composes like any module. Node and value names are
 * the file's, and graph surgery works on them: `cut` (BigDL's new_graph), `freezeUpTo` (freeze_up_to)
 * and `summary` (every node with its output shapes, to find the cut point).
 */

import type { DType } from '../../tensor/dtype.js';
import * as torch from '../../tensor/index.js';
import { isGradEnabled, noGrad, scope } from '../../tensor/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import { describeNode, type NodeLabel } from './attributes.js';
import { BlockedPass, BlockedWeights, blockedLayoutAvailable, blockedLayoutPays } from './blocked.js';
import { broadcastsInto, type ConvBnFolds, FoldCache, planConvBnFolds } from './inference.js';
import type { Runner } from './ops/converter.js';
import { type NodeProto, OnnxError } from './proto.js';
import { TensorTree } from './tensor-tree.js';

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

/** Everything an OnnxGraph is built from; cut() builds sub-graphs from a subset. */
export interface GraphSpec {
  where: string;
  opset: number;
  inputs: OnnxInputInfo[];
  outputs: string[];
  /** topologically sorted */
  nodes: GraphNode[];
  /** initializer value name -> tensor and whether it trains */
  initializers: Map<string, { tensor: Tensor; trainable: boolean }>;
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

/** Ops whose output never aliases an input's storage (the in-place fast path relies on it). */
const FRESH_OPS = new Set([
  'Conv',
  'BatchNormalization',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Relu',
  'Clip',
  'Concat',
  'MaxPool',
  'AveragePool',
  'Gemm',
]);

export class OnnxGraph extends TensorTree {
  readonly opset: number;
  /** graph inputs (initializers excluded), in forward() order */
  readonly inputs: readonly OnnxInputInfo[];
  readonly outputNames: readonly string[];
  readonly nodes: readonly GraphNode[];
  /** initializer value name -> state-dict key (the same unless the name had to be flattened) */
  readonly tensorKeys: ReadonlyMap<string, string>;
  readonly #spec: GraphSpec;
  /** value name -> index of the last node reading it (graph outputs: never freed) */
  readonly #lastUse = new Map<string, number>();
  /** initializers and constants: never freed by a forward pass */
  readonly #held = new Set<Tensor>();
  /** batch norms folded into convolutions on the inference path */
  readonly #folds: ConvBnFolds;
  readonly #foldedBn = new Set<number>();
  readonly #foldCache = new FoldCache();
  readonly #blockedWeights = new BlockedWeights();
  /**
   * Whether inference (eval mode, no gradients) keeps activations in oneDNN's blocked layout with
   * convolution weights reordered once and cached (see blocked.ts). `'auto'` (default): when the graph's
   * activations can stay blocked to the end of the trunk, as in ResNets (a few per cent faster here);
   * not for DenseNet, MobileNetV2 or Inception, whose Concat and Clip nodes would convert back and forth.
   * `false`: every node runs on dense tensors, as in training. Results agree within float rounding.
   */
  blockedInference: boolean | 'auto' = 'auto';
  readonly #blockedPays: boolean;

  constructor(spec: GraphSpec) {
    super();
    this.#spec = spec;
    this.opset = spec.opset;
    this.inputs = spec.inputs;
    this.outputNames = spec.outputs;
    this.nodes = spec.nodes;
    const keys = new Map<string, string>();
    for (const [name, { tensor, trainable }] of spec.initializers) {
      keys.set(name, this.place(name, tensor, trainable ? 'parameter' : 'buffer'));
    }
    for (const node of spec.nodes) {
      node.constants.forEach((t, i) => {
        this.place(`${node.outputs[0] || node.label.name}${i ? `_${i}` : ''}`, t, 'constant');
      });
    }
    this.tensorKeys = keys;
    for (const { tensor } of spec.initializers.values()) this.#held.add(tensor);
    for (const node of spec.nodes) for (const t of node.constants) this.#held.add(t);
    spec.nodes.forEach((n, i) => {
      for (const v of n.inputs) if (v) this.#lastUse.set(v, i);
    });
    for (const o of spec.outputs) this.#lastUse.set(o, Number.POSITIVE_INFINITY);
    this.#folds = planConvBnFolds(spec.nodes, new Set(spec.initializers.keys()), spec.outputs);
    for (const { bn } of this.#folds.values()) this.#foldedBn.add(bn);
    this.#blockedPays = blockedLayoutPays(spec.nodes, this.#foldedBn);
  }

  get inputNames(): string[] {
    return this.inputs.map((i) => i.name);
  }

  /** Runs the graph on its inputs (in `inputs` order) and returns the first output. */
  override forward(...inputs: Tensor[]): Tensor {
    return scope(() => {
      const out = this.#execute(this.#bind(inputs), this.outputNames.slice(0, 1));
      return out[this.outputNames[0] as string] as Tensor;
    });
  }

  /**
   * Runs the graph and returns every output by name.
   *
   * @example
   * ```ts
   * const { logits } = graph.run({ input: x });
   * ```
   */
  run(inputs: Tensor[] | Record<string, Tensor>): Record<string, Tensor> {
    return scope(() => this.#execute(this.#bind(inputs), this.outputNames));
  }

  #bind(inputs: Tensor[] | Record<string, Tensor>): Map<string, Tensor> {
    const bound = new Map<string, Tensor>();
    if (Array.isArray(inputs)) {
      if (inputs.length !== this.inputs.length) {
        throw new OnnxError(
          `onnx ${this.#spec.where}: the graph takes ${this.inputs.length} inputs (${this.inputNames.join(', ')}), got ${inputs.length}`,
        );
      }
      for (const [i, info] of this.inputs.entries()) bound.set(info.name, inputs[i] as Tensor);
    } else {
      for (const info of this.inputs) {
        const t = inputs[info.name];
        if (!t) throw new OnnxError(`onnx ${this.#spec.where}: missing input '${info.name}'`);
        bound.set(info.name, t);
      }
    }
    return bound;
  }

  /** Runs the nodes, freeing each intermediate after its last reader; returns the wanted values. */
  #execute(
    inputs: Map<string, Tensor>,
    wanted: readonly string[],
    onNode?: (node: GraphNode, outputs: Tensor[]) => void,
  ): Record<string, Tensor> {
    const values = new Map<string, Tensor>();
    for (const [name, { tensor }] of this.#spec.initializers) values.set(name, tensor);
    for (const [name, t] of inputs) values.set(name, t);
    // Only tensors made here may be freed; several names can hold one tensor (Identity, Dropout in eval).
    const owned = new Map<Tensor, number>();
    const ctx = { training: this.training };
    const keepAll = onNode !== undefined;
    const inference = !this.training && !keepAll && !isGradEnabled();
    const blocked = this.blockedInference === 'auto' ? this.#blockedPays : this.blockedInference;
    const layout = inference && blocked && blockedLayoutAvailable() ? new BlockedPass(this.#blockedWeights) : null;
    const dense = (t: Tensor | undefined) => (t === undefined || !layout ? t : layout.dense(t));
    // Tensors with storage of their own (not views), made by this pass.
    const fresh = new Set<Tensor>();
    /** an intermediate held by this name only, read by nothing after node i, no view of it alive: free to overwrite */
    const scratch = (name: string | undefined, i: number) => {
      const t = name ? values.get(name) : undefined;
      if (t === undefined || !fresh.has(t) || owned.get(t) !== 1) return false;
      if (this.#lastUse.get(name as string) !== i || wanted.includes(name as string)) return false;
      if (layout?.isBlocked(t)) return true; // blocked tensors have no views
      for (const other of owned.keys()) if (other !== t && t.sharesStorageWith(other)) return false;
      return true;
    };
    /** a.add_(b) computes a + b: same layout, and b broadcasts into a (blocked tensors: same shape) */
    const addsInto = (a: Tensor, b: Tensor) => {
      const blocked = layout?.isBlocked(a) ?? false;
      if (blocked !== (layout?.isBlocked(b) ?? false)) return false;
      return blocked ? a.shape.join(',') === b.shape.join(',') : broadcastsInto(a, b);
    };
    const release = (name: string) => {
      const t = values.get(name);
      values.delete(name);
      if (t === undefined) return;
      const refs = owned.get(t);
      if (refs === undefined) return;
      if (refs > 1) owned.set(t, refs - 1);
      else {
        owned.delete(t);
        t.dispose();
        layout?.released(t);
      }
    };
    this.nodes.forEach((node, i) => {
      if (inference && this.#foldedBn.has(i)) return; // computed with its convolution
      const args = node.inputs.map((name) => {
        if (name === '') return undefined;
        const t = values.get(name);
        if (t === undefined)
          throw new OnnxError(`onnx ${this.#spec.where}: ${describeNode(node.label)}: input '${name}' has no value`);
        return t;
      });
      let outs: Tensor[];
      let outputNames = node.outputs;
      let blockedOuts = false;
      try {
        const fold = inference ? this.#folds.get(i) : undefined;
        const op = node.label.opType;
        let inputs = args;
        if (fold) {
          const bn = this.nodes[fold.bn] as GraphNode;
          const params = bn.inputs.slice(1, 5).map((v) => values.get(v) as Tensor);
          inputs = this.#foldCache.inputs(i, args, params, fold.eps);
          outputNames = bn.outputs;
        }
        if (inference && op === 'Relu' && scratch(node.inputs[0], i)) {
          outs = [(args[0] as Tensor).relu_()];
          blockedOuts = layout?.isBlocked(args[0] as Tensor) ?? false;
        } else if (
          inference &&
          op === 'Add' &&
          scratch(node.inputs[0], i) &&
          addsInto(args[0] as Tensor, args[1] as Tensor)
        ) {
          outs = [(args[0] as Tensor).add_(args[1] as Tensor)];
          blockedOuts = layout?.isBlocked(args[0] as Tensor) ?? false;
        } else if (
          inference &&
          op === 'Add' &&
          scratch(node.inputs[1], i) &&
          addsInto(args[1] as Tensor, args[0] as Tensor)
        ) {
          outs = [(args[1] as Tensor).add_(args[0] as Tensor)];
          blockedOuts = layout?.isBlocked(args[1] as Tensor) ?? false;
        } else {
          const viaBlocked = layout && node.run.blocked ? node.run.blocked(inputs, layout.context(i)) : null;
          blockedOuts = viaBlocked !== null;
          outs = viaBlocked ?? node.run(layout ? inputs.map(dense) : inputs, ctx);
        }
      } catch (e) {
        if (e instanceof OnnxError) throw e;
        throw new OnnxError(`onnx ${this.#spec.where}: ${describeNode(node.label)}: ${(e as Error).message}`);
      }
      if (layout) {
        if (blockedOuts) layout.markBlocked(outs);
        else for (const t of outs) layout.adopt(t);
      }
      outputNames.forEach((name, j) => {
        const t = outs[j];
        if (name === '' || t === undefined) return;
        values.set(name, t);
        const refs = owned.get(t);
        if (refs !== undefined) owned.set(t, refs + 1);
        else if (!args.includes(t) && !this.#held.has(t)) owned.set(t, 1);
        if (inference && FRESH_OPS.has(node.label.opType)) fresh.add(t);
      });
      onNode?.(node, outs);
      if (keepAll) return;
      for (const name of new Set([...node.inputs, ...node.outputs])) {
        if (name !== '' && (this.#lastUse.get(name) ?? -1) <= i && !wanted.includes(name)) release(name);
      }
    });
    const result: Record<string, Tensor> = {};
    for (const name of wanted) {
      const t = values.get(name);
      if (t === undefined) throw new OnnxError(`onnx ${this.#spec.where}: output '${name}' was not computed`);
      result[name] = dense(t) as Tensor;
    }
    return result;
  }

  /**
   * Every node in execution order with its output shapes for inputs of the given shapes (zeros, eval
   * mode, no gradients; the module's mode is restored). Use it to find the name to `cut` at. Without
   * shapes, the file's declared input shapes are used, symbolic dimensions set to 1.
   *
   * @example
   * ```ts
   * console.table(graph.summary([1, 3, 224, 224]).map((n) => ({ name: n.name, op: n.opType, shape: n.shapes[0]?.join('x') })));
   * ```
   */
  summary(...inputShapes: number[][]): OnnxNodeSummary[] {
    if (inputShapes.length === 0 && this.inputs.every((i) => i.shape !== null)) {
      // The declared shapes, with 1 for each symbolic or unknown dimension (the batch, usually).
      inputShapes = this.inputs.map((i) => (i.shape ?? []).map((d) => (typeof d === 'number' ? d : 1)));
    }
    if (inputShapes.length !== this.inputs.length) {
      throw new OnnxError(
        `onnx ${this.#spec.where}: summary needs ${this.inputs.length} input shapes, got ${inputShapes.length}`,
      );
    }
    const modes = this.modules().map((m) => m.training);
    this.eval();
    const rows: OnnxNodeSummary[] = [];
    const paramCount = new Map<string, number>();
    for (const [name, { tensor, trainable }] of this.#spec.initializers)
      if (trainable) paramCount.set(name, tensor.numel());
    try {
      noGrad(() =>
        scope(() => {
          const inputs = new Map(
            this.inputs.map((info, i) => [info.name, torch.zeros(inputShapes[i] as number[], { dtype: info.dtype })]),
          );
          this.#execute(inputs, [], (node, outs) => {
            rows.push({
              name: node.label.name,
              opType: node.label.opType,
              inputs: [...node.inputs],
              outputs: [...node.outputs],
              shapes: outs.map((t) => t.shape),
              parameters: node.inputs.reduce((n, v) => n + (paramCount.get(v) ?? 0), 0),
            });
          });
        }),
      );
    } finally {
      this.modules().forEach((m, i) => {
        m.training = modes[i] as boolean;
      });
    }
    return rows;
  }

  /**
   * Resolves a name used for surgery to a value: a value (node output or graph input) name, a node
   * name (its first output), or a prefix of node names such as a module path ('layer4' finds the last
   * node named 'layer4.*' or '/layer4/*').
   */
  resolveValue(name: string): string {
    const produced = new Set(this.nodes.flatMap((n) => n.outputs));
    if (produced.has(name) || this.inputNames.includes(name)) return name;
    const byNode = this.nodes.find((n) => n.label.name === name);
    if (byNode?.outputs[0]) return byNode.outputs[0];
    const prefixed = this.nodes.filter(
      (n) =>
        n.label.name.startsWith(`${name}.`) ||
        n.label.name.startsWith(`${name}/`) ||
        n.label.name.startsWith(`/${name}/`),
    );
    const last = prefixed[prefixed.length - 1];
    if (last?.outputs[0]) return last.outputs[0];
    const some = this.nodes.slice(-5).map((n) => n.label.name);
    throw new OnnxError(
      `onnx ${this.#spec.where}: no node or value named '${name}' (last nodes: ${some.join(', ')}; see summary())`,
    );
  }

  /** Indices of the nodes that `values` depend on, in execution order. */
  #ancestors(values: string[]): number[] {
    const producer = new Map<string, number>();
    this.nodes.forEach((n, i) => {
      for (const o of n.outputs) if (o) producer.set(o, i);
    });
    const needed = new Set<number>();
    const stack = [...values];
    while (stack.length > 0) {
      const v = stack.pop() as string;
      const i = producer.get(v);
      if (i === undefined || needed.has(i)) continue;
      needed.add(i);
      for (const input of (this.nodes[i] as GraphNode).inputs) if (input) stack.push(input);
    }
    return [...needed].sort((a, b) => a - b);
  }

  /**
   * The sub-graph that computes the named nodes or values (BigDL's `new_graph`): only the nodes they
   * depend on, with those names as outputs. The new graph shares parameter tensors with this one
   * (training either trains both; disposing either frees the shared tensors).
   *
   * @example
   * ```ts
   * const backbone = (await importOnnx('resnet50.onnx')).cut('layer4');   // features, no classifier
   * ```
   */
  cut(outputs: string | string[]): OnnxGraph {
    const names = (Array.isArray(outputs) ? outputs : [outputs]).map((n) => this.resolveValue(n));
    const keep = this.#ancestors(names);
    const nodes = keep.map((i) => this.nodes[i] as GraphNode);
    const used = new Set(nodes.flatMap((n) => n.inputs).concat(names));
    const initializers = new Map([...this.#spec.initializers].filter(([name]) => used.has(name)));
    const inputs = this.inputs.filter((i) => used.has(i.name));
    const graph = new OnnxGraph({ ...this.#spec, inputs, outputs: names, nodes, initializers });
    graph.train(this.training);
    return graph;
  }

  /**
   * Freezes the parameters of the named node and of every node it depends on (BigDL's freeze_up_to:
   * everything from the input up to there). Names resolve as in `cut`; a name that is no node or
   * value falls back to Module.freezeUpTo (parameter and module paths in definition order).
   */
  override freezeUpTo(name: string): this {
    let value: string;
    try {
      value = this.resolveValue(name);
    } catch {
      return super.freezeUpTo(name);
    }
    for (const i of this.#ancestors([value])) {
      for (const input of (this.nodes[i] as GraphNode).inputs) {
        const init = this.#spec.initializers.get(input);
        if (init?.trainable) init.tensor.requiresGrad = false;
      }
    }
    return this;
  }

  /** Initializers with their value names (the export uses them). */
  initializerEntries(): [string, { tensor: Tensor; trainable: boolean }][] {
    return [...this.#spec.initializers];
  }

  /** Frees the parameters, buffers and cached folded weights. */
  override dispose(): void {
    this.#foldCache.clear();
    this.#blockedWeights.clear();
    super.dispose();
  }

  override toString(): string {
    const params = this.numParameters();
    return `OnnxGraph(opset ${this.opset}, ${this.nodes.length} nodes, inputs [${this.inputNames.join(', ')}], outputs [${this.outputNames.join(', ')}], ${params} parameters)`;
  }
}
