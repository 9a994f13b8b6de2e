/**
 * Optimizer: the base of SGD, Adam, AdamW, RMSprop and Adagrad. It owns parameter groups, per-parameter
 * state, the step and epoch counters and an optional learning-rate schedule, and saves and restores all
 * of it exactly.
 */
import { keep, noGrad, scope, Tensor } from '../tensor/index.js';
import { didYouMean } from '../util/options.js';
import { checkNonNegative } from './check.js';
import { encodeNumber, type Json } from './json.js';
import {
  formatShape,
  type LoadableStateDict,
  type OptimizerMeta,
  type OptimizerStateDict,
  type ParsedMeta,
  parseMeta,
  parseStateKey,
  STATE_FORMAT,
  STATE_VERSION,
  stateKey,
} from './optimizer-state.js';
import { type HyperParams, hyperParamsOf, makeParamGroups, type ParamGroup, type Params } from './param-groups.js';
import type { EpochMetrics, LearningRateSchedule } from './schedule.js';

/** Options every optimizer takes besides its hyper-parameters. */
export interface OptimizerOptions {
  /**
   * Sets the learning rate of every step from the group's `lr` (BigDL's learningRateSchedule). See
   * `Optimizer.step()` and `Optimizer.endEpoch()` for how a training loop drives it.
   */
  schedule?: LearningRateSchedule | null;
}

/** One parameter's optimizer state: its step count and tensors such as `exp_avg`. */
export interface ParamState {
  step: number;
  tensors: Record<string, Tensor>;
}

/** What a subclass tells the base about its kind of optimizer. */
export interface OptimizerKind<H extends HyperParams> {
  /** saved in the state dict and checked on load: 'Adam', 'SGD', ... */
  name: string;
  /** the hyper-parameters of a group that does not override them */
  defaults: H;
  /** throws a RangeError or TypeError naming `where` if a group's values are invalid */
  check(hyper: H, where: string): void;
  /** every name a parameter's state tensors may have, e.g. ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'] */
  stateNames: readonly string[];
  /** the state tensors a parameter has once it has taken a step under `hyper` (checked on load) */
  requiredState(hyper: H): string[];
}

/** Builds an optimizer for parameters supplied later, e.g. by an Estimator that owns the model. */
export type OptimizerFactory<O extends Optimizer = Optimizer> = (params: Iterable<Tensor>) => O;

/**
 * The base of all optimizers.
 *
 * A training loop calls, per mini-batch, `loss.backward()`, `optimizer.step()` and
 * `optimizer.zeroGrad()`, and at the end of each epoch `optimizer.endEpoch({ loss, score })`, which
 * epoch-driven schedules such as Plateau need:
 *
 * @example
 * ```ts
 * const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
 * for (let epoch = 1; epoch <= epochs; epoch++) {
 *   let loss = 0;
 *   for (const [x, y] of batches()) {
 *     loss = torch.scope(() => {
 *       const l = nn.functional.crossEntropy(model.forward(x), y);
 *       l.backward();
 *       optimizer.step();
 *       optimizer.zeroGrad();
 *       return l.item();
 *     });
 *   }
 *   optimizer.endEpoch({ loss, score: validate(model) });
 * }
 * ```
 */
export abstract class Optimizer<H extends HyperParams = HyperParams> {
  /** The groups of parameters and their hyper-parameters; change values here to change them per group. */
  readonly paramGroups: ParamGroup<H>[];
  /** The learning-rate schedule, if any. */
  readonly schedule: LearningRateSchedule | null;
  readonly #kind: OptimizerKind<H>;
  #state = new Map<Tensor, ParamState>();
  #iteration = 0;
  #epoch = 1;
  #metrics: EpochMetrics = {};
  #lrs: number[];
  #disposed = false;

  /**
   * @param kind what the subclass is; its defaults are overridden by the hyper-parameters in `options`
   * @param options hyper-parameters (undefined values keep the default) and the schedule
   */
  protected constructor(params: Params<H>, kind: OptimizerKind<H>, options: Partial<H> & OptimizerOptions = {}) {
    if (kind === undefined || kind === null || typeof kind !== 'object')
      throw new TypeError('Optimizer is the base class: use optim.SGD, Adam, AdamW, RMSprop or Adagrad');
    if (options === null || typeof options !== 'object')
      throw new TypeError(`${kind.name}: options must be an object such as { lr: 0.01 }`);
    const { schedule, ...hyper } = options ?? {};
    const defaults: Record<string, unknown> = { ...(kind.defaults as object) };
    for (const [k, v] of Object.entries(hyper)) {
      if (!(k in defaults)) {
        throw new TypeError(
          `${kind.name}: unknown option '${k}'${didYouMean(k, [...Object.keys(defaults), 'schedule'])} (options: ${Object.keys(defaults).join(', ')}, schedule)`,
        );
      }
      if (v !== undefined) defaults[k] = v;
    }
    const resolved: OptimizerKind<H> = { ...kind, defaults: defaults as H };
    this.#kind = resolved;
    this.paramGroups = makeParamGroups(kind.name, params, resolved.defaults, (h, where) => kind.check(h, where));
    this.schedule = schedule ?? null;
    if (this.schedule !== null && typeof this.schedule.rates !== 'function') {
      throw new TypeError(`${kind.name}: schedule must be a learning-rate schedule`);
    }
    this.#lrs = this.paramGroups.map((g) => g.lr);
  }

  /** The optimizer's name, as saved in its state dict. */
  get name(): string {
    return this.#kind.name;
  }

  /**
   * Updates one parameter in place from its gradient, under noGrad and inside a scope that frees the
   * temporaries. `state.step` has already been incremented; tensors put in `state.tensors` are kept.
   */
  protected abstract updateParameter(param: Tensor, grad: Tensor, state: ParamState, hyper: H): void;

  /**
   * Takes one optimization step: asks the schedule (if any) for this step's rates, then updates every
   * parameter that has a gradient, in place. Parameters whose `grad` is null are skipped, as in
   * PyTorch. Each call advances the iteration counter that schedules read.
   */
  step(): void {
    this.#checkLive();
    const rates = this.#ratesForThisStep();
    noGrad(() => {
      this.paramGroups.forEach((group, gi) => {
        const hyper = { ...hyperParamsOf(group), lr: rates[gi] as number };
        for (const param of group.params) {
          scope(() => {
            const grad = param.grad;
            if (grad === null) return;
            let state = this.#state.get(param);
            if (state === undefined) {
              state = { step: 0, tensors: {} };
              this.#state.set(param, state);
            }
            state.step += 1;
            this.updateParameter(param, grad, state, hyper);
            keep(state.tensors);
          });
        }
      });
    });
    this.#lrs = rates;
    this.#iteration += 1;
  }

  #ratesForThisStep(): number[] {
    const baseLrs = this.paramGroups.map((g) => g.lr);
    if (this.schedule === null) return baseLrs;
    const rates = this.schedule.rates({
      iteration: this.#iteration,
      globalIteration: this.#iteration,
      epoch: this.#epoch,
      baseLrs,
      metrics: { ...this.#metrics },
    });
    if (!Array.isArray(rates) || rates.length !== baseLrs.length || !rates.every(Number.isFinite)) {
      throw new Error(
        `${this.name}: schedule ${this.schedule.kind} returned ${JSON.stringify(rates)}, not ${baseLrs.length} finite rates`,
      );
    }
    return rates;
  }

  /**
   * Ends an epoch: advances the epoch counter and records the metrics that epoch-driven schedules
   * (Plateau) read at the next step. Call it once at the end of every epoch, after validation. Metrics
   * left out keep their last value (a score from an earlier validation stays).
   */
  endEpoch(metrics: EpochMetrics = {}): void {
    this.#checkLive();
    for (const [k, v] of Object.entries(metrics)) {
      if (k !== 'loss' && k !== 'score') throw new TypeError(`${this.name}.endEpoch: unknown metric '${k}'`);
      if (v !== undefined && typeof v !== 'number') throw new TypeError(`${this.name}.endEpoch: ${k} must be a number`);
    }
    if (metrics.loss !== undefined) this.#metrics.loss = metrics.loss;
    if (metrics.score !== undefined) this.#metrics.score = metrics.score;
    this.#epoch += 1;
  }

  /**
   * Clears the gradients of all parameters: sets them to null (the default, like PyTorch 2's
   * `set_to_none`, which frees their memory), or with `{ setToNone: false }` fills them with zeros in place.
   */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    const setToNone = options.setToNone ?? true;
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (setToNone) {
          p.grad = null;
          continue;
        }
        scope(() => {
          const g = p.grad;
          if (g !== null) noGrad(() => g.zero_());
        });
      }
    }
  }

  /**
   * The learning rate of the first group: the rate the last step used (set by the schedule, if any),
   * or before the first step the group's `lr`. Setting it sets `lr` of every group; with a schedule
   * that is the base rate it scales from at the next step (a SequentialSchedule past its first stage
   * scales from the rate it switched at, as BigDL does).
   */
  get lr(): number {
    return this.#lrs[0] as number;
  }

  set lr(value: number) {
    checkNonNegative(`${this.name}: lr`, value);
    for (const g of this.paramGroups) g.lr = value;
    this.#lrs = this.paramGroups.map((g) => g.lr);
  }

  /** The learning rate of each group, as `lr` reports it for the first. */
  get lrs(): number[] {
    return [...this.#lrs];
  }

  /** step() calls so far. */
  get iteration(): number {
    return this.#iteration;
  }

  /** The current 1-based epoch (endEpoch() calls + 1). */
  get epoch(): number {
    return this.#epoch;
  }

  /** The state of one parameter (its step count and tensors), or undefined before its first step. */
  stateOf(param: Tensor): Readonly<ParamState> | undefined {
    return this.#state.get(param);
  }

  #params(): Tensor[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  /**
   * The optimizer's complete state: per-parameter tensors, keyed `state.<index>.<name>` with parameters
   * numbered across groups in order, and JSON metadata (step counts, hyper-parameters, counters,
   * the last rates, the schedule's state). The tensors are the optimizer's own: save them before the
   * next step, and do not dispose them.
   *
   * @example
   * ```ts
   * const { tensors, meta } = optimizer.stateDict();
   * saveSafetensors('optim.safetensors', tensors);
   * writeFileSync('optim.json', JSON.stringify(meta));
   * // later, on an optimizer built the same way:
   * optimizer.loadStateDict({ tensors: loadSafetensors('optim.safetensors').tensors,
   *                           meta: JSON.parse(readFileSync('optim.json', 'utf8')) });
   * ```
   */
  stateDict(): OptimizerStateDict {
    this.#checkLive();
    const params = this.#params();
    const tensors: Record<string, Tensor> = {};
    const steps: Record<string, number> = {};
    params.forEach((p, i) => {
      const state = this.#state.get(p);
      if (state === undefined) return;
      steps[String(i)] = state.step;
      for (const [name, t] of Object.entries(state.tensors)) tensors[stateKey(i, name)] = t;
    });
    let next = 0;
    const groups = this.paramGroups.map((g) => ({
      ...(hyperParamsOf(g) as unknown as Record<string, Json>),
      params: g.params.map(() => next++),
    }));
    const metrics: OptimizerMeta['metrics'] = {};
    if (this.#metrics.loss !== undefined) metrics.loss = encodeNumber(this.#metrics.loss);
    if (this.#metrics.score !== undefined) metrics.score = encodeNumber(this.#metrics.score);
    const meta: OptimizerMeta = {
      format: STATE_FORMAT,
      version: STATE_VERSION,
      optimizer: this.name,
      iteration: this.#iteration,
      epoch: this.#epoch,
      metrics,
      lrs: [...this.#lrs],
      groups,
      paramShapes: params.map((p) => p.shape),
      steps,
      schedule: this.schedule?.stateDict() ?? null,
    };
    return { tensors, meta };
  }

  /**
   * Restores a state written by stateDict() on an optimizer of the same kind over parameters of the
   * same shapes, in the same groups: moments, step counts, hyper-parameters, counters and the
   * schedule's state, exactly. Everything is checked first; on an Error (wrong optimizer kind, group or
   * parameter count, shape, missing or unknown tensor) nothing has changed. The tensors are copied
   * (cast to each parameter's dtype), so the caller may dispose them afterwards.
   */
  loadStateDict(stateDict: LoadableStateDict): void {
    this.#checkLive();
    const who = this.name;
    const fail = (message: string): never => {
      throw new Error(`${who}.loadStateDict: ${message}`);
    };
    if (stateDict === null || typeof stateDict !== 'object' || typeof stateDict.tensors !== 'object') {
      fail('expected { tensors, meta }');
    }
    const meta = parseMeta(who, stateDict.meta);
    if (meta.optimizer !== who) fail(`the state dict was saved by ${meta.optimizer}, this optimizer is ${who}`);
    const hypers = this.#checkGroups(meta, fail);
    const params = this.#params();
    const groupOf = this.paramGroups.flatMap((g, gi) => g.params.map(() => gi));
    if (meta.paramShapes.length !== params.length) {
      fail(`the state dict is for ${meta.paramShapes.length} parameters, this optimizer has ${params.length}`);
    }
    params.forEach((p, i) => {
      const saved = meta.paramShapes[i] as number[];
      if (formatShape(saved) !== formatShape(p.shape)) {
        fail(`parameter ${i} has shape ${formatShape(p.shape)}, the state dict was saved for ${formatShape(saved)}`);
      }
    });
    for (const i of meta.steps.keys()) if (i >= params.length) fail(`meta.steps names parameter ${i}, out of range`);
    const loaded = new Map<number, Record<string, Tensor>>();
    for (const [key, t] of Object.entries(stateDict.tensors)) {
      const parsed = parseStateKey(key);
      if (parsed === null) fail(`unexpected tensor '${key}' (expected state.<index>.<name>)`);
      const { index, name } = parsed as { index: number; name: string };
      if (index >= params.length) fail(`tensor '${key}' names parameter ${index}, out of range`);
      if (!meta.steps.has(index)) fail(`tensor '${key}' is for parameter ${index}, which has no step count`);
      if (!this.#kind.stateNames.includes(name)) {
        fail(`unexpected tensor '${key}': ${who} state has ${this.#kind.stateNames.join(', ')}`);
      }
      if (!(t instanceof Tensor) || t.isDisposed) fail(`'${key}' is not a live tensor`);
      const p = params[index] as Tensor;
      if (formatShape(t.shape) !== formatShape(p.shape)) {
        fail(`tensor '${key}' has shape ${formatShape(t.shape)}, parameter ${index} has ${formatShape(p.shape)}`);
      }
      if (!loaded.has(index)) loaded.set(index, {});
      (loaded.get(index) as Record<string, Tensor>)[name] = t;
    }
    for (const index of meta.steps.keys()) {
      const required = this.#kind.requiredState(hypers[groupOf[index] as number] as H);
      for (const name of required) {
        if (!loaded.get(index)?.[name]) fail(`tensor '${stateKey(index, name)}' is missing`);
      }
    }
    if ((meta.schedule === null) !== (this.schedule === null)) {
      fail(
        meta.schedule === null
          ? 'the state dict has no schedule state, this optimizer has a schedule'
          : 'the state dict has schedule state, this optimizer has no schedule',
      );
    }
    // All checked: restore the schedule (it checks its own state before changing), then ourselves.
    this.schedule?.loadStateDict(meta.schedule);
    const state = new Map<Tensor, ParamState>();
    noGrad(() => {
      for (const [index, step] of meta.steps) {
        const p = params[index] as Tensor;
        const tensors: Record<string, Tensor> = {};
        for (const [name, t] of Object.entries(loaded.get(index) ?? {})) {
          tensors[name] = keep(t.dtype === p.dtype ? t.clone() : t.to(p.dtype));
        }
        state.set(p, { step, tensors });
      }
    });
    this.#disposeState();
    this.#state = state;
    this.paramGroups.forEach((g, gi) => {
      Object.assign(g, structuredClone(hypers[gi]));
    });
    this.#iteration = meta.iteration;
    this.#epoch = meta.epoch;
    this.#metrics = { ...meta.metrics };
    this.#lrs = [...meta.lrs];
  }

  /** Checks the saved groups against ours and returns each group's saved hyper-parameters. */
  #checkGroups(meta: ParsedMeta, fail: (message: string) => never): H[] {
    if (meta.groups.length !== this.paramGroups.length) {
      fail(`the state dict has ${meta.groups.length} parameter groups, this optimizer has ${this.paramGroups.length}`);
    }
    if (meta.lrs.length !== this.paramGroups.length) fail(`meta.lrs has ${meta.lrs.length} rates`);
    let next = 0;
    return this.paramGroups.map((group, gi) => {
      const saved = meta.groups[gi] as ParsedMeta['groups'][number];
      if (saved.params.length !== group.params.length) {
        fail(`parameter group ${gi} has ${group.params.length} parameters, the state dict has ${saved.params.length}`);
      }
      saved.params.forEach((index) => {
        if (index !== next++) fail(`parameter group ${gi} lists parameter ${index} out of order`);
      });
      const expected = Object.keys(this.#kind.defaults).sort();
      const keys = Object.keys(saved.hyper).sort();
      if (expected.join() !== keys.join()) {
        fail(`parameter group ${gi} has hyper-parameters ${keys.join(', ')}; ${this.name} has ${expected.join(', ')}`);
      }
      const hyper = saved.hyper as unknown as H;
      this.#kind.check(hyper, `${this.name}.loadStateDict: parameter group ${gi}`);
      return hyper;
    });
  }

  #disposeState(): void {
    for (const s of this.#state.values()) for (const t of Object.values(s.tensors)) t.dispose();
    this.#state.clear();
  }

  #checkLive(): void {
    if (this.#disposed) throw new Error(`${this.name}: the optimizer was disposed`);
  }

  /** Frees the optimizer's state tensors now; the optimizer cannot be used afterwards. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposeState();
    this.#disposed = true;
  }
}
