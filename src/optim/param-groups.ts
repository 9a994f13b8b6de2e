/** Parameter groups: which tensors an optimizer updates, and with which hyper-parameters. */
import { Tensor } from '../tensor/index.js';
import { isJsonObject } from './json.js';

/** Hyper-parameters every optimizer has. Each optimizer adds its own (betas, momentum, ...). */
export interface HyperParams {
  /** Learning rate (the base rate when a schedule runs). */
  lr: number;
  /** L2 penalty added to the gradient (decoupled decay for AdamW). */
  weightDecay: number;
}

/**
 * One parameter group as given to an optimizer: its tensors and any hyper-parameters that differ from
 * the optimizer's defaults (PyTorch's param-group dicts).
 *
 * @example
 * ```ts
 * new SGD([{ params: backbone.parameters(), lr: 1e-4 }, { params: head.parameters() }], { lr: 1e-2, momentum: 0.9 });
 * ```
 */
export type ParamGroupOptions<H extends HyperParams> = { params: Iterable<Tensor> } & Partial<H>;

/** What an optimizer is built on: tensors (one group), or parameter groups. */
export type Params<H extends HyperParams> = Iterable<Tensor> | readonly ParamGroupOptions<H>[];

/** A parameter group as the optimizer holds it: its tensors and all its hyper-parameters (mutable). */
export type ParamGroup<H extends HyperParams> = H & { readonly params: readonly Tensor[] };

/** Copies a hyper-parameter value so that groups never share arrays (betas). */
function copyValue<V>(v: V): V {
  return (Array.isArray(v) ? [...v] : v) as V;
}

/** The hyper-parameters of a group, without its tensors. */
export function hyperParamsOf<H extends HyperParams>(group: ParamGroup<H>): H {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(group)) if (k !== 'params') out[k] = copyValue(v);
  return out as H;
}

/**
 * Turns what a user gave an optimizer into groups with every hyper-parameter resolved, checking the
 * tensors (leaves, no duplicates, not empty) and the values (`check` throws on a bad one).
 */
export function makeParamGroups<H extends HyperParams>(
  who: string,
  params: Params<H>,
  defaults: H,
  check: (hyper: H, where: string) => void,
): ParamGroup<H>[] {
  if (params === null || typeof (params as Iterable<unknown>)?.[Symbol.iterator] !== 'function') {
    throw new TypeError(`${who}: parameters must be an iterable of tensors or an array of parameter groups`);
  }
  const items = Array.from(params as Iterable<unknown>);
  if (items.length === 0) throw new Error(`${who}: got an empty parameter list`);
  const specs: ParamGroupOptions<H>[] = items.every((x) => x instanceof Tensor)
    ? [{ params: items as Tensor[] } as unknown as ParamGroupOptions<H>]
    : (items as ParamGroupOptions<H>[]);
  const seen = new Set<Tensor>();
  return specs.map((spec, gi) => {
    const where = specs.length > 1 ? `${who}: parameter group ${gi}` : who;
    if (!isJsonObject(spec) || !('params' in spec)) {
      throw new TypeError(`${who}: expected tensors or parameter groups ({ params, ...options }), got ${typeof spec}`);
    }
    const group: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(defaults)) group[k] = copyValue(v);
    for (const [k, v] of Object.entries(spec)) {
      if (k === 'params') continue;
      if (!(k in defaults)) {
        throw new TypeError(`${where}: unknown option '${k}' (options: ${Object.keys(defaults).join(', ')})`);
      }
      if (v !== undefined) group[k] = copyValue(v);
    }
    const tensors = spec.params instanceof Tensor ? [spec.params] : Array.from(spec.params ?? []);
    if (tensors.length === 0) throw new Error(`${where}: got an empty parameter list`);
    tensors.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new TypeError(`${where}: parameter ${i} is not a Tensor`);
      if (t.isDisposed) throw new Error(`${where}: parameter ${i} was disposed`);
      if (!t.isLeaf) throw new Error(`${where}: can't optimize a non-leaf tensor (parameter ${i})`);
      if (seen.has(t)) throw new Error(`${where}: parameter ${i} appears more than once in the optimizer`);
      seen.add(t);
    });
    check(group as unknown as H, where);
    group.params = tensors;
    return group as unknown as ParamGroup<H>;
  });
}
