/**
 * Runs an OnnxGraph's nodes in the order its plan gives (see plan.ts), releasing each intermediate
 * after its last reader. It owns what lives between passes: the folded convolution weights, the
 * reordered blocked-layout weights and the packed convolutions, each refreshed when its source changes.
 */
import { getAutocastDtype, isAutocastEnabled } from '../../tensor/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import { describeNode } from './attributes.js';
import { BlockedPass, BlockedWeights } from './blocked.js';
import { DnnlPlans, type NativePlanMemory, type PlanDType } from './dnnl-plan.js';
import type { GraphNode, GraphSpec } from './graph-types.js';
import { broadcastsInto, FoldCache } from './inference.js';
import type { ExecutionPlan, PlanStep } from './plan.js';
import { PrepackedConvs } from './prepacked.js';
import { OnnxError } from './proto.js';

export interface ExecuteOptions {
  /** the module's training flag, passed to the runners (batch norm statistics, dropout) */
  training: boolean;
  /** inference runs the whole graph as one native oneDNN plan where it can (see dnnl-plan.ts) */
  nativePlan?: boolean;
  /** called after each node with its outputs (a 'trace' plan keeps them alive) */
  onNode?: (node: GraphNode, outputs: Tensor[]) => void;
}

export class GraphExecutor {
  readonly #where: string;
  readonly #initializers: GraphSpec['initializers'];
  /** initializers and constants: never freed by a pass */
  readonly #held = new Set<Tensor>();
  readonly #foldCache = new FoldCache();
  readonly #blockedWeights = new BlockedWeights();
  readonly #prepacked = new PrepackedConvs();
  readonly #dnnl = new DnnlPlans();
  /** initializers by value name (what the native plan reads weights from) */
  readonly #constants = new Map<string, Tensor>();

  constructor(spec: GraphSpec) {
    this.#where = spec.where;
    this.#initializers = spec.initializers;
    for (const [name, { tensor }] of spec.initializers) {
      this.#held.add(tensor);
      this.#constants.set(name, tensor);
    }
    for (const node of spec.nodes) for (const t of node.constants) this.#held.add(t);
  }

  /**
   * Runs `plan` on the bound graph inputs and returns the `wanted` values (graph outputs), in the
   * dense layout. The caller's scope frees whatever the pass leaves behind.
   */
  run(
    plan: ExecutionPlan,
    inputs: ReadonlyMap<string, Tensor>,
    wanted: readonly string[],
    options: ExecuteOptions,
  ): Record<string, Tensor> {
    if (
      options.nativePlan &&
      plan.mode !== 'standard' &&
      plan.mode !== 'trace' &&
      inputs.size === 1 &&
      wanted.length === 1
    ) {
      const [[input, x]] = [...inputs] as [[string, Tensor]];
      const [output] = wanted as [string];
      const y = this.#dnnl.run(plan, { input, output }, x, this.#constants, this.#foldCache, planDType());
      if (y !== null) return { [output]: y };
    }
    const values = new Map<string, Tensor>();
    for (const [name, { tensor }] of this.#initializers) values.set(name, tensor);
    for (const [name, t] of inputs) values.set(name, t);
    // Only tensors made here may be freed; several names can hold one tensor (Identity, Dropout in eval).
    const owned = new Map<Tensor, number>();
    const ctx = { training: options.training };
    const layout = plan.blocked ? new BlockedPass(this.#blockedWeights) : null;
    // folded weights kept in bfloat16 under autocast (the inference plans only; training never folds)
    const foldPrecision = isAutocastEnabled() ? 'bfloat16' : null;
    const dense = (t: Tensor | undefined) => (t === undefined || !layout ? t : layout.dense(t));
    // Tensors with storage of their own (not views), made by this pass.
    const fresh = new Set<Tensor>();
    /** input j of the step: an intermediate held by this name only, read by nothing later, no view of it alive */
    const scratch = (step: PlanStep, j: number) => {
      if (!step.lastReader[j]) return false;
      const t = values.get(step.node.inputs[j] as string);
      if (t === undefined || !fresh.has(t) || owned.get(t) !== 1) return false;
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
    /** the input a Relu or Add may write its result into, or -1 */
    const inPlaceInput = (step: PlanStep, args: (Tensor | undefined)[]) => {
      if (step.inPlace === 'Relu') return scratch(step, 0) ? 0 : -1;
      if (step.inPlace === 'unary') return scratch(step, 0) && !layout?.isBlocked(args[0] as Tensor) ? 0 : -1;
      if (step.inPlace !== 'Add') return -1;
      const [a, b] = args as [Tensor, Tensor];
      if (scratch(step, 0) && addsInto(a, b)) return 0;
      if (scratch(step, 1) && addsInto(b, a)) return 1;
      return -1;
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
    for (const step of plan.steps) {
      const { node, index: i } = step;
      const args = node.inputs.map((name) => {
        if (name === '') return undefined;
        const t = values.get(name);
        if (t === undefined)
          throw new OnnxError(`onnx ${this.#where}: ${describeNode(node.label)}: input '${name}' has no value`);
        return t;
      });
      let outs: Tensor[];
      let blockedOuts = false;
      try {
        let inputs = args;
        if (step.fold) {
          const params = step.fold.params.map((v) => values.get(v) as Tensor);
          inputs = this.#foldCache.inputs(i, args, params, step.fold.eps, foldPrecision);
        }
        const into = inPlaceInput(step, args);
        const unary = into === 0 && step.inPlace === 'unary' ? (node.run.inPlace?.(args) ?? null) : null;
        if (unary !== null) outs = [unary];
        else if (into >= 0 && step.inPlace !== 'unary') {
          const target = args[into] as Tensor;
          outs = [step.inPlace === 'Relu' ? target.relu_() : target.add_(args[1 - into] as Tensor)];
          blockedOuts = layout?.isBlocked(target) ?? false;
        } else if (plan.prepacked && node.run.prepacked) {
          const relu = step.relu;
          const packed = node.run.prepacked(inputs, {
            conv2d: (x, w, b, g) => this.#prepacked.run(i, x, w, b, g, relu),
          });
          // without a packed kernel, the Relu computed with this node runs in place on its fresh output
          outs = packed ?? node.run(inputs, ctx).map((t) => (relu ? t.relu_() : t));
        } else {
          const viaBlocked = layout && node.run.blocked ? node.run.blocked(inputs, layout.context(i)) : null;
          blockedOuts = viaBlocked !== null;
          outs = viaBlocked ?? node.run(layout ? inputs.map(dense) : inputs, ctx);
        }
      } catch (e) {
        if (e instanceof OnnxError) throw e;
        throw new OnnxError(`onnx ${this.#where}: ${describeNode(node.label)}: ${(e as Error).message}`);
      }
      if (layout) {
        if (blockedOuts) layout.markBlocked(outs);
        else for (const t of outs) layout.adopt(t);
      }
      step.outputs.forEach((name, j) => {
        const t = outs[j];
        if (name === '' || t === undefined) return;
        values.set(name, t);
        const refs = owned.get(t);
        if (refs !== undefined) owned.set(t, refs + 1);
        else if (!args.includes(t) && !this.#held.has(t)) owned.set(t, 1);
        if (step.fresh) fresh.add(t);
      });
      options.onNode?.(node, outs);
      for (const name of step.release) release(name);
    }
    const result: Record<string, Tensor> = {};
    for (const name of wanted) {
      const t = values.get(name);
      if (t === undefined) throw new OnnxError(`onnx ${this.#where}: output '${name}' was not computed`);
      result[name] = dense(t) as Tensor;
    }
    return result;
  }

  /** Frees the cached folded and reordered weights (they are rebuilt on the next pass that needs them). */
  clearCaches(): void {
    this.#foldCache.clear();
    this.#blockedWeights.clear();
    this.#prepacked.clear();
    this.#dnnl.clear();
  }

  /** Why the native plan does not run for inputs of `shape` in `dtype` (null: it does; 'not tried'). */
  nativePlanReason(shape: readonly number[], dtype: PlanDType): string | null {
    return this.#dnnl.reason(shape, dtype);
  }

  /** The activation memory of the native plan for `shape` in `dtype`, or null when none ran. */
  nativePlanMemory(shape: readonly number[], dtype: PlanDType): NativePlanMemory | null {
    return this.#dnnl.memory(shape, dtype);
  }
}

/** What a native plan computes in now: bfloat16 under (CPU) autocast, float32 otherwise. */
const planDType = (): PlanDType => (isAutocastEnabled() && getAutocastDtype() === 'bfloat16' ? 'bfloat16' : 'float32');
