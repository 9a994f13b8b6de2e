/**
 * The execution plan of an OnnxGraph: what each node does in a forward pass, decided once per graph
 * and mode and cached, so that a forward pass only follows it. A plan says which nodes run (a batch
 * norm folded into its convolution does not), which ops may write into an input, which values are
 * released after each node, and whether activations stay in oneDNN's blocked layout. Everything it
 * depends on (nodes, initializer names, outputs) is fixed for the life of a graph; weights that change
 * in place are the weight caches' business (FoldCache, BlockedWeights), not the plan's.
 */
import { blockedLayoutAvailable, blockedLayoutPays } from './blocked.js';
import type { GraphNode } from './graph-types.js';
import { type ConvBnFolds, type ConvReluFusions, planConvBnFolds, planConvRelus } from './inference.js';
import { prepackedConvAvailable } from './prepacked.js';

/**
 * How a pass runs:
 * - `'standard'`: every node as written (training, or gradients enabled: what autograd records);
 * - `'trace'`: the same, keeping every value alive (summary() reads each node's outputs);
 * - `'inference'`: eval without gradients: batch norms folded, Relu / Add / Clip... in place, convolutions through
 *   pre-packed oneDNN kernels with a following Relu fused where LibTorch has them (see prepacked.ts);
 * - `'blocked-inference'`: the same with activations in oneDNN's blocked layout (see blocked.ts).
 */
export type ExecutionMode = 'standard' | 'trace' | 'inference' | 'blocked-inference';

/** A batch norm computed with the convolution before it (its weights folded into the convolution's). */
export interface FoldStep {
  /** the batch norm's node index (the key of the folded weights' cache is the convolution's) */
  readonly bn: number;
  readonly eps: number;
  /** the batch norm's scale, shift, mean and variance value names */
  readonly params: readonly string[];
}

/** What a pass does at one node. */
export interface PlanStep {
  /** the node's index in the graph (keys the weight caches) */
  readonly index: number;
  readonly node: GraphNode;
  /** the value names the outputs take: the node's, or a folded batch norm's */
  readonly outputs: readonly string[];
  readonly fold: FoldStep | null;
  /** a Relu computed with this convolution (its outputs are the Relu's; the Relu has no step of its own) */
  readonly relu: boolean;
  /**
   * an op that may write into an input nothing reads afterwards (inference only); 'unary': an element-wise
   * op with an in-place variant (Clip, HardSwish, ...: Runner.inPlace), dense inputs only
   */
  readonly inPlace: 'Relu' | 'Add' | 'unary' | null;
  /** per input: whether this node is its last reader (the precondition of writing into it) */
  readonly lastReader: readonly boolean[];
  /** whether the outputs have storage of their own (never views of an input) */
  readonly fresh: boolean;
  /** values no later node reads, released after this node (graph outputs never are) */
  readonly release: readonly string[];
}

export interface ExecutionPlan {
  readonly mode: ExecutionMode;
  /** the nodes that run, in order */
  readonly steps: readonly PlanStep[];
  /** whether activations stay in oneDNN's blocked layout */
  readonly blocked: boolean;
  /** whether convolutions run through pre-packed kernels (see prepacked.ts) */
  readonly prepacked: boolean;
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
  'HardSwish',
  'HardSigmoid',
  'Sigmoid',
  'Concat',
  'MaxPool',
  'AveragePool',
  'Gemm',
]);

/** The state a forward pass runs in; it picks the mode. */
export interface PassState {
  training: boolean;
  gradEnabled: boolean;
  /** OnnxGraph.blockedInference */
  blockedInference: boolean | 'auto';
  /** under torch.autocast: dense bfloat16 convolutions; the blocked path's fp32 weight cache does not apply */
  autocast?: boolean;
}

/** The plans of one graph, built on first use per mode. */
export class ExecutionPlans {
  readonly #nodes: readonly GraphNode[];
  readonly #initializers: ReadonlySet<string>;
  readonly #outputs: readonly string[];
  readonly #plans = new Map<ExecutionMode, ExecutionPlan>();
  #lastUse: Map<string, number> | undefined;
  #folds: ConvBnFolds | undefined;
  #blockedPays: boolean | undefined;

  constructor(nodes: readonly GraphNode[], initializers: Iterable<string>, outputs: readonly string[]) {
    this.#nodes = nodes;
    this.#initializers = new Set(initializers);
    this.#outputs = outputs;
  }

  /** The mode of a forward pass in `state`. */
  modeFor(state: PassState): ExecutionMode {
    if (state.training || state.gradEnabled) return 'standard';
    if (state.autocast) return 'inference';
    const blocked = state.blockedInference === 'auto' ? this.blockedPays : state.blockedInference;
    return blocked && blockedLayoutAvailable() ? 'blocked-inference' : 'inference';
  }

  /** Whether the blocked layout pays for this graph (what `'auto'` decides by). */
  get blockedPays(): boolean {
    this.#blockedPays ??= blockedLayoutPays(this.#nodes, new Set([...this.#convBnFolds().values()].map((f) => f.bn)));
    return this.#blockedPays;
  }

  /** The plan for `mode`, built once. */
  get(mode: ExecutionMode): ExecutionPlan {
    let plan = this.#plans.get(mode);
    if (plan === undefined) {
      plan = this.#build(mode);
      this.#plans.set(mode, plan);
    }
    return plan;
  }

  #convBnFolds(): ConvBnFolds {
    this.#folds ??= planConvBnFolds(this.#nodes, this.#initializers, this.#outputs);
    return this.#folds;
  }

  /** value name -> index of the last node reading it (graph outputs: never released) */
  #lastUses(): Map<string, number> {
    if (this.#lastUse === undefined) {
      const lastUse = new Map<string, number>();
      this.#nodes.forEach((n, i) => {
        for (const v of n.inputs) if (v) lastUse.set(v, i);
      });
      for (const o of this.#outputs) lastUse.set(o, Number.POSITIVE_INFINITY);
      this.#lastUse = lastUse;
    }
    return this.#lastUse;
  }

  #build(mode: ExecutionMode): ExecutionPlan {
    const inference = mode === 'inference' || mode === 'blocked-inference';
    const folds: ConvBnFolds = inference ? this.#convBnFolds() : new Map();
    const foldedBn = new Set([...folds.values()].map((f) => f.bn));
    const prepacked = mode === 'inference' && prepackedConvAvailable();
    const relus: ConvReluFusions = prepacked ? planConvRelus(this.#nodes, folds, this.#outputs) : new Map();
    const fusedRelu = new Set(relus.values());
    const lastUse = this.#lastUses();
    const steps: PlanStep[] = [];
    this.#nodes.forEach((node, i) => {
      if (foldedBn.has(i) || fusedRelu.has(i)) return; // computed with its convolution
      const fold = folds.get(i);
      const bn = fold ? (this.#nodes[fold.bn] as GraphNode) : undefined;
      const reluIndex = relus.get(i);
      const relu = reluIndex === undefined ? undefined : (this.#nodes[reluIndex] as GraphNode);
      const op = node.label.opType;
      const release =
        mode === 'trace'
          ? []
          : [...new Set([...node.inputs, ...node.outputs])].filter((v) => v !== '' && (lastUse.get(v) ?? -1) <= i);
      steps.push({
        index: i,
        node,
        outputs: relu ? relu.outputs : bn ? bn.outputs : node.outputs,
        fold: fold && bn ? { bn: fold.bn, eps: fold.eps, params: bn.inputs.slice(1, 5) } : null,
        relu: relu !== undefined,
        inPlace: !inference ? null : op === 'Relu' || op === 'Add' ? op : node.run.inPlace ? 'unary' : null,
        lastReader: node.inputs.map((v) => v !== '' && lastUse.get(v) === i),
        fresh: inference && FRESH_OPS.has(op),
        release,
      });
    });
    return { mode, steps, blocked: mode === 'blocked-inference', prepacked };
  }
}
