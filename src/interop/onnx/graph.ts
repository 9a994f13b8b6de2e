/**
 * OnnxGraph: an imported ONNX graph as a tszoo Module. Initializers are its parameters and buffers
 * (state-dict keys are the initializer names), nodes run as tszoo ops in topological order, so
 * gradients flow and it trains, freezes, saves and composes like any module. Node and value names are
 * the file's, and graph surgery works on them: `cut` (BigDL's new_graph), `freezeUpTo` (freeze_up_to)
 * and `summary` (every node with its output shapes, to find the cut point).
 *
 * The work is split: plan.ts decides once per mode what a pass does (folds, in-place ops, releases,
 * layout), executor.ts runs a plan, surgery.ts cuts, freezes and summarises.
 */
import { isAutocastEnabled, isGradEnabled, scope } from '../../tensor/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import { graphNativePlanReason, type NativePlanMemory, type PlanDType } from './dnnl-plan.js';
import { GraphExecutor } from './executor.js';
import type { GraphInitializer, GraphNode, GraphSpec, OnnxInputInfo, OnnxNodeSummary } from './graph-types.js';
import { ExecutionPlans } from './plan.js';
import { OnnxError } from './proto.js';
import { cutSpec, freezeUpToValue, resolveValue, summarize } from './surgery.js';
import { TensorTree } from './tensor-tree.js';

export type { GraphInitializer, GraphNode, GraphSpec, OnnxInputInfo, OnnxNodeSummary } from './graph-types.js';

export class OnnxGraph extends TensorTree {
  readonly opset: number;
  /** graph inputs (initializers excluded), in forward() order */
  readonly inputs: readonly OnnxInputInfo[];
  readonly outputNames: readonly string[];
  readonly nodes: readonly GraphNode[];
  /** initializer value name -> state-dict key (the same unless the name had to be flattened) */
  readonly tensorKeys: ReadonlyMap<string, string>;
  /**
   * Whether inference (eval mode, no gradients) keeps activations in oneDNN's blocked layout with
   * convolution weights reordered once and cached (see blocked.ts). `'auto'` (default): when the graph's
   * activations can stay blocked to the end of the trunk, as in ResNets (a few per cent faster here);
   * not for DenseNet, MobileNetV2 or Inception, whose Concat and Clip nodes would convert back and forth.
   * `false`: every node runs on dense tensors, as in training. Results agree within float rounding.
   */
  blockedInference: boolean | 'auto' = 'auto';
  /**
   * Whether inference (eval mode, no gradients) runs the whole graph as one native oneDNN plan when every
   * node can go there (see dnnl-plan.ts): convolutions with batch norm, activation and residual add fused,
   * activations blocked from end to end. Under bfloat16 autocast the plan computes in bfloat16. Graphs
   * or input shapes it cannot take run node by node (`nativePlanReason` says why). Results agree with the
   * node-by-node path within float rounding (within bfloat16 rounding under autocast).
   */
  nativePlan = true;
  readonly #spec: GraphSpec;
  readonly #plans: ExecutionPlans;
  readonly #executor: GraphExecutor;

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
    this.#plans = new ExecutionPlans(spec.nodes, spec.initializers.keys(), spec.outputs);
    this.#executor = new GraphExecutor(spec);
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

  /** One pass with the plan of the current mode (training flag, grad mode, autocast, blockedInference). */
  #execute(inputs: Map<string, Tensor>, wanted: readonly string[]): Record<string, Tensor> {
    const mode = this.#plans.modeFor({
      training: this.training,
      gradEnabled: isGradEnabled(),
      blockedInference: this.blockedInference,
      autocast: isAutocastEnabled(),
    });
    return this.#executor.run(this.#plans.get(mode), inputs, wanted, {
      training: this.training,
      nativePlan: this.nativePlan,
    });
  }

  /**
   * Why inference on inputs of `shape` does not run as one native plan (see `nativePlan`): null when it
   * ran, 'not tried' before an inference pass on that shape. `dtype` 'bfloat16' asks about passes under
   * bfloat16 autocast, where the plan computes in bfloat16. Without a shape: why no input shape could
   * (switched off, an op type it never takes, not one 4-d float32 input), or null when one may.
   *
   * @example
   * ```ts
   * graph.nativePlanReason(); // null, or e.g. 'op Resize'
   * graph.eval();
   * torch.noGrad(() => graph.forward(x));
   * graph.nativePlanReason(x.shape); // null when it ran
   * torch.noGrad(() => torch.autocast({ dtype: 'bfloat16' }, () => graph.forward(x)));
   * graph.nativePlanReason(x.shape, 'bfloat16'); // null, or e.g. 'op 0 (conv): no bfloat16 convolution kernel ...'
   * ```
   */
  nativePlanReason(shape?: readonly number[], dtype: PlanDType = 'float32'): string | null {
    if (shape === undefined) return this.nativePlan ? graphNativePlanReason(this.#spec) : 'nativePlan is false';
    return this.#executor.nativePlanReason(shape, dtype);
  }

  /**
   * The memory of the native plan for inputs of `shape` in `dtype`, in bytes, once a pass on that shape
   * ran it (null otherwise): `arena` is what the plan holds for the activations that share memory,
   * `own` the padded ones, `activations` what all would take each in its own buffer; `weights` the
   * weight copies in the primitives' layouts, `sharedWeights` those taken from another plan of this
   * graph (built for another shape).
   *
   * @example
   * ```ts
   * torch.noGrad(() => graph.eval().forward(x));
   * graph.nativePlanMemory(x.shape); // e.g. { activations: 185_548_032, arena: 41_746_432, own: 0, weights: 102_121_888, sharedWeights: 0 }
   * ```
   */
  nativePlanMemory(shape: readonly number[], dtype: PlanDType = 'float32'): NativePlanMemory | null {
    return this.#executor.nativePlanMemory(shape, dtype);
  }

  /**
   * Every node in execution order with its output shapes for inputs of the given shapes (zeros, eval
   * mode, no gradients; the module's mode is left alone). Use it to find the name to `cut` at. Without
   * shapes, the file's declared input shapes are used, symbolic dimensions set to 1.
   *
   * @example
   * ```ts
   * console.table(graph.summary([1, 3, 224, 224]).map((n) => ({ name: n.name, op: n.opType, shape: n.shapes[0]?.join('x') })));
   * ```
   */
  summary(...inputShapes: number[][]): OnnxNodeSummary[] {
    return summarize(this.#spec, inputShapes, (inputs, onNode) => {
      this.#executor.run(this.#plans.get('trace'), inputs, [], { training: false, onNode });
    });
  }

  /**
   * Resolves a name used for surgery to a value: a value (node output or graph input) name, a node
   * name (its first output), or a prefix of node names such as a module path ('layer4' finds the last
   * node named 'layer4.*' or '/layer4/*').
   */
  resolveValue(name: string): string {
    return resolveValue(this.#spec, name);
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
    const graph = new OnnxGraph(cutSpec(this.#spec, outputs));
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
    freezeUpToValue(this.#spec, value);
    return this;
  }

  /** Initializers with their value names (the export uses them). */
  initializerEntries(): [string, GraphInitializer][] {
    return [...this.#spec.initializers];
  }

  /** Frees the parameters, buffers and cached folded weights. */
  override dispose(): void {
    this.#executor.clearCaches();
    super.dispose();
  }

  override toString(): string {
    const params = this.numParameters();
    return `OnnxGraph(opset ${this.opset}, ${this.nodes.length} nodes, inputs [${this.inputNames.join(', ')}], outputs [${this.outputNames.join(', ')}], ${params} parameters)`;
  }
}
