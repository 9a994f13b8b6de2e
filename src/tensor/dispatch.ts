/**
 * Calls ATen operators by schema through the addon: overload resolution on JS argument types,
 * options objects for defaulted and keyword arguments, Tensor <-> handle marshalling.
 */
import { applyAutocastMode } from './autocast.js';
import { applyGradMode } from './grad-mode.js';
import { type Handle, native, type ObjectHandle, type OpHandle, type OpSchema, type SchemaArg } from './native.js';
import { ScriptObject } from './script-object.js';
import { pooledHandle, Tensor, wrapResult } from './tensor.js';

/** Numbers and booleans where a schema says Scalar. */
export type Scalar = number | boolean;
/** One integer or a list, where a schema says int[] (a single value is repeated, as in PyTorch). */
export type IntList = number | readonly number[];
/** The `reduction` argument of losses. */
export type Reduction = 'none' | 'mean' | 'sum';

const REDUCTIONS: Record<string, number> = { none: 0, mean: 1, sum: 2 };

type Converter = (v: unknown) => unknown;

interface ResolvedOverload {
  readonly qualified: string;
  readonly op: OpHandle;
  readonly schema: OpSchema;
  /** schema indices of positional arguments, in call order */
  readonly positional: readonly number[];
  /** how many positional arguments a call must give (the rest have defaults or are optional) */
  readonly minPositional: number;
  /** keyword-only arguments without default that a call must give in its options (scatter's `reduce`) */
  readonly requiredOptions: readonly string[];
  /** option key (camelCase and snake_case) -> schema index */
  readonly options: ReadonlyMap<string, number>;
  readonly convert: readonly (Converter | undefined)[];
  readonly accepts: readonly ((v: unknown) => boolean)[];
  /** for a single return that writes into an argument (in-place ops): that argument's index */
  readonly returnAlias: number;
  readonly numArgs: number;
  /** how many leading schema arguments are positional (positional[i] === i) */
  readonly leadingPositional: number;
  /** the op returns exactly one Tensor */
  readonly singleTensor: boolean;
  /** the op returns TorchScript objects (custom classes): results are wrapped as ScriptObject */
  readonly returnsObject: boolean;
}

export function camelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** True for plain option objects (not tensors, arrays or null). */
export function isOptions(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Tensor) &&
    !(v instanceof ScriptObject) &&
    !ArrayBuffer.isView(v)
  );
}

const isInt = (v: unknown) => (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint';

function acceptor(a: SchemaArg): (v: unknown) => boolean {
  const base = ((): ((v: unknown) => boolean) => {
    switch (a.kind) {
      case 'Tensor':
        return (v) => v instanceof Tensor;
      case 'Tensor[]':
        return (v) => Array.isArray(v) && v.every((x) => x instanceof Tensor);
      case 'Tensor?[]':
        return (v) => Array.isArray(v) && v.every((x) => x === null || x instanceof Tensor);
      case 'int':
        return a.name === 'reduction' ? (v) => isInt(v) || (typeof v === 'string' && v in REDUCTIONS) : isInt;
      case 'int[]':
        return (v) => isInt(v) || (Array.isArray(v) && v.every(isInt));
      case 'float':
        return (v) => typeof v === 'number';
      case 'float[]':
        return (v) => typeof v === 'number' || (Array.isArray(v) && v.every((x) => typeof x === 'number'));
      case 'bool':
        return (v) => typeof v === 'boolean';
      case 'bool[]':
        return (v) => Array.isArray(v) && v.every((x) => typeof x === 'boolean');
      case 'Scalar':
        return (v) => typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint';
      case 'ScalarType':
      case 'Layout':
      case 'Device':
      case 'MemoryFormat':
      case 'str':
        return (v) => typeof v === 'string';
      case 'object':
        return (v) => v instanceof ScriptObject;
      default:
        return () => false;
    }
  })();
  return a.optional ? (v) => v === null || v === undefined || base(v) : base;
}

function converter(a: SchemaArg): Converter | undefined {
  switch (a.kind) {
    case 'Tensor':
      return (v) => (v instanceof Tensor ? v.handle : v);
    case 'Tensor[]':
    case 'Tensor?[]':
      return (v) => (Array.isArray(v) ? v.map((x) => (x instanceof Tensor ? x.handle : x)) : v);
    case 'object':
      return (v) => (v instanceof ScriptObject ? v.handle : v);
    case 'int':
      if (a.name === 'reduction') {
        return (v) => {
          if (typeof v !== 'string') return v;
          const r = REDUCTIONS[v];
          if (r === undefined) throw new TypeError(`reduction must be 'none', 'mean' or 'sum', got '${v}'`);
          return r;
        };
      }
      return undefined;
    default:
      return undefined;
  }
}

/** How many leading positional arguments a call must give: up to the last one without default. */
export function requiredPositional(args: readonly SchemaArg[]): number {
  const positional = args.filter((a) => !a.kwargOnly);
  let n = positional.length;
  while (n > 0 && (positional[n - 1]?.hasDefault || positional[n - 1]?.optional)) n--;
  return n;
}

function resolveOverload(name: string, overload: string): ResolvedOverload {
  const op = native.findOp(name, overload);
  const schema = native.opSchema(op);
  const positional: number[] = [];
  const options = new Map<string, number>();
  schema.args.forEach((a, i) => {
    if (!a.kwargOnly) positional.push(i);
    if (a.kwargOnly || a.hasDefault || a.optional) {
      options.set(camelCase(a.name), i);
      options.set(a.name, i);
    }
  });
  const minPositional = requiredPositional(schema.args);
  const requiredOptions = schema.args.filter((a) => a.kwargOnly && !a.hasDefault && !a.optional).map((a) => a.name);
  const ret = schema.returns.length === 1 ? (schema.returns[0]?.aliasOfArg ?? -1) : -1;
  return {
    qualified: `${schema.name}${overload ? `.${overload}` : ''}`,
    op,
    schema,
    positional,
    minPositional,
    requiredOptions,
    options,
    convert: schema.args.map(converter),
    accepts: schema.args.map(acceptor),
    returnAlias: ret,
    numArgs: schema.args.length,
    leadingPositional:
      positional.findIndex((p, i) => p !== i) === -1 ? positional.length : positional.findIndex((p, i) => p !== i),
    singleTensor: schema.returns.length === 1 && schema.returns[0]?.type === 'Tensor',
    returnsObject: schema.returns.some((r) => r.type.startsWith('__torch__.')),
  };
}

/**
 * The overloads of one ATen function, resolved on first use. Calls pick the first overload whose
 * positional argument types and option names fit, as PyTorch's Python argument parser does.
 */
export class OpSet {
  #resolved: ResolvedOverload[] | undefined;

  constructor(
    readonly name: string,
    readonly overloads: readonly string[],
  ) {}

  get resolved(): ResolvedOverload[] {
    this.#resolved ??= this.overloads.map((o) => resolveOverload(this.name, o));
    return this.#resolved;
  }

  /** Schema strings of the overloads, for error messages and docs. */
  signatures(): string[] {
    return this.resolved.map((r) => r.schema.schema);
  }

  /** Calls the best-fitting overload with positional args, optionally followed by an options object. */
  call(args: unknown[]): unknown {
    const candidates = this.resolved;
    let opts: Record<string, unknown> | undefined;
    let n = args.length;
    if (n > 0 && isOptions(args[n - 1])) {
      opts = args[n - 1] as Record<string, unknown>;
      n--;
    }
    if (candidates.length === 1) return invoke(candidates[0] as ResolvedOverload, args, n, opts);
    for (const c of candidates) {
      if (n > c.positional.length || n < c.minPositional) continue;
      if (
        c.requiredOptions.length > 0 &&
        c.requiredOptions.some((k) => opts?.[k] === undefined && opts?.[camelCase(k)] === undefined)
      ) {
        continue;
      }
      let ok = true;
      for (let i = 0; i < n && ok; i++) ok = (c.accepts[c.positional[i] as number] as (v: unknown) => boolean)(args[i]);
      // Options must fit by name and by type: conv2d(x, w, { padding: 'same' }) is the str overload.
      if (ok && opts) {
        for (const k in opts) {
          const idx = c.options.get(k);
          const v = opts[k];
          if (idx === undefined || (v !== undefined && !(c.accepts[idx] as (v: unknown) => boolean)(v))) ok = false;
        }
      }
      if (ok) return invoke(c, args, n, opts);
    }
    throw new TypeError(
      `${this.name}: no overload accepts (${describeArgs(args.slice(0, n))}${opts ? `, {${Object.keys(opts).join(', ')}}` : ''}). Overloads:\n  ${this.signatures().join('\n  ')}`,
    );
  }
}

function describeArgs(args: unknown[]): string {
  return args
    .map((a) => {
      if (a instanceof Tensor) return a.isDisposed ? 'Tensor(disposed)' : `Tensor[${a.shape.join(',')}] ${a.dtype}`;
      if (Array.isArray(a)) return `[${describeArgs(a)}]`;
      return a === null ? 'null' : typeof a;
    })
    .join(', ');
}

const callOp = native.callOp;
const callOpInto = native.callOpInto;

/** Calls the addon with a fixed arity where possible: V8 then takes its fast API-call path. */
function callNative(a: unknown[]): unknown {
  const op = a[0] as OpHandle;
  switch (a.length) {
    case 1:
      return callOp(op);
    case 2:
      return callOp(op, a[1]);
    case 3:
      return callOp(op, a[1], a[2]);
    case 4:
      return callOp(op, a[1], a[2], a[3]);
    case 5:
      return callOp(op, a[1], a[2], a[3], a[4]);
    case 6:
      return callOp(op, a[1], a[2], a[3], a[4], a[5]);
    case 7:
      return callOp(op, a[1], a[2], a[3], a[4], a[5], a[6]);
    case 8:
      return callOp(op, a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
    default:
      return callOp.apply(null, a as [OpHandle, ...unknown[]]);
  }
}

const DTYPE_MISMATCH =
  /must have the same dtype|expected scalar type \w+ but found \w+|Found dtype \w+ but expected \w+|could not infer output dtype/;

/** Adds what to do to LibTorch's dtype-mismatch messages. */
function withDtypeHint(err: unknown): unknown {
  if (!(err instanceof Error) || !DTYPE_MISMATCH.test(err.message) || err.message.includes('(hint:')) return err;
  err.message +=
    " (hint: a dtype does not fit here; convert with .float() or .to('float32'), or create the tensor with { dtype }: " +
    "JS numbers give float32, integer tensors come from { dtype: 'int64' }, bigints or Int32Array/BigInt64Array data)";
  return err;
}

function invoke(c: ResolvedOverload, args: unknown[], n: number, opts: Record<string, unknown> | undefined): unknown {
  try {
    return invokeUnchecked(c, args, n, opts);
  } catch (err) {
    throw withDtypeHint(err);
  }
}

function invokeUnchecked(
  c: ResolvedOverload,
  args: unknown[],
  n: number,
  opts: Record<string, unknown> | undefined,
): unknown {
  applyGradMode();
  applyAutocastMode();
  if (n > c.positional.length) {
    throw new TypeError(`${c.qualified}: takes ${c.positional.length} positional arguments, got ${n}`);
  }
  // In-place ops (a result that is an argument) qualify when that argument is given positionally.
  const inPlace = c.returnAlias >= 0 && c.returnAlias < n && c.positional[c.returnAlias] === c.returnAlias;
  if (opts === undefined && (c.returnAlias < 0 || inPlace) && c.leadingPositional >= n) {
    // Common case: positional arguments only, in schema order; no argument array to build.
    const cv = c.convert;
    const a0 = n > 0 ? (cv[0] ? (cv[0] as Converter)(args[0]) : args[0]) : undefined;
    const a1 = n > 1 ? (cv[1] ? (cv[1] as Converter)(args[1]) : args[1]) : undefined;
    const slot = c.singleTensor && !inPlace ? pooledHandle() : undefined;
    let out: unknown;
    if (n <= 2) {
      out = n === 0 ? callOpInto(slot, c.op) : n === 1 ? callOpInto(slot, c.op, a0) : callOpInto(slot, c.op, a0, a1);
    } else if (n === 3) {
      out = callOpInto(slot, c.op, a0, a1, cv[2] ? (cv[2] as Converter)(args[2]) : args[2]);
    } else {
      const rest = args.slice(2, n).map((v, i) => (cv[i + 2] ? (cv[i + 2] as Converter)(v) : v));
      out = callOpInto(slot, c.op, a0, a1, ...rest);
    }
    if (inPlace) return args[c.returnAlias];
    if (c.singleTensor) return out === null ? null : new Tensor(out as Handle);
    return c.returnsObject ? wrapObjects(out) : wrapResult(out);
  }
  const callArgs: unknown[] = new Array(c.numArgs + 1);
  callArgs[0] = c.op;
  for (let i = 0; i < n; i++) {
    const idx = c.positional[i] as number;
    const conv = c.convert[idx];
    callArgs[idx + 1] = conv ? conv(args[i]) : args[i];
  }
  if (opts) {
    for (const k in opts) {
      const idx = c.options.get(k);
      if (idx === undefined) {
        const known = [...c.options.keys()].filter((x) => !x.includes('_'));
        throw new TypeError(`${c.qualified}: unknown option '${k}' (options: ${known.join(', ') || 'none'})`);
      }
      const v = opts[k];
      const conv = c.convert[idx];
      callArgs[idx + 1] = conv ? conv(v) : v;
    }
  }
  const out = callNative(callArgs);
  if (c.returnAlias >= 0) {
    const pos = c.positional.indexOf(c.returnAlias);
    if (pos >= 0 && pos < n) return args[pos];
    for (const k in opts ?? {}) if (c.options.get(k) === c.returnAlias) return opts?.[k];
  }
  return c.returnsObject ? wrapObjects(out) : wrapResult(out);
}

/** Results of an op that returns script objects: those become ScriptObject, tensors Tensor. */
function wrapObjects(out: unknown): unknown {
  if (Array.isArray(out)) return out.map(wrapObjects);
  if (out !== null && typeof out === 'object' && native.scriptObjectType(out) !== null) {
    return new ScriptObject(out as ObjectHandle);
  }
  return wrapResult(out);
}

/** Every overload name of an operator that tszoo can call from JS (no out= variants, no Dimname). */
export function overloadsOf(name: string): string[] {
  const qualified = name.includes('::') ? name : `aten::${name}`;
  const prefix = `${qualified}(`;
  const prefixDot = `${qualified}.`;
  const result: string[] = [];
  for (const s of allSchemas()) {
    let overload: string;
    if (s.startsWith(prefix)) overload = '';
    else if (s.startsWith(prefixDot)) overload = s.slice(prefixDot.length, s.indexOf('('));
    else continue;
    if (!isCallableOverload(overload, s)) continue;
    const schema = native.opSchema(native.findOp(qualified, overload));
    if (schema.args.some((a) => a.kind === 'unsupported' && !a.hasDefault)) continue;
    result.push(overload);
  }
  return result;
}

/** Whether an overload can be called with JS values (no out= or Dimname forms, no required generator). */
export function isCallableOverload(overload: string, schema: string): boolean {
  const lower = overload.toLowerCase();
  if (lower === 'out' || lower.endsWith('_out') || lower.startsWith('out_')) return false;
  if (lower.includes('dimname') || lower.includes('names') || lower.includes('generator')) return false;
  // out= variants: a keyword-only argument that is written to
  const kw = schema.indexOf('*,');
  if (kw >= 0 && schema.slice(kw, schema.indexOf(') ->')).includes('!)')) return false;
  if (/\bDimname\b|\bStorage\b|\bStream\b|\bQScheme\b|Dict\(|\bAny\b|\bComplex\b/.test(schema)) return false;
  // TorchScript objects pass as ScriptObject, but not in lists or as optionals
  if (/__torch__[\w.]*(\?|\[)/.test(schema)) return false;
  if (/Generator\? \w+[,)]/.test(schema)) return false;
  return true;
}

let schemaCache: string[] | undefined;
/** All operator schemas registered in LibTorch, sorted. */
export function allSchemas(): string[] {
  schemaCache ??= native.listSchemas();
  return schemaCache;
}

type OpFunction = ((...args: unknown[]) => unknown) & { [overload: string]: (...args: unknown[]) => unknown };

function opFunction(qualifiedName: string): OpFunction {
  const overloads = overloadsOf(qualifiedName);
  if (overloads.length === 0) throw new TypeError(`unknown operator ${qualifiedName}`);
  const all = new OpSet(qualifiedName, overloads);
  const byOverload = new Map<string, OpSet>();
  const fn = (...args: unknown[]) => all.call(args);
  return new Proxy(fn, {
    get(target, prop, receiver) {
      if (typeof prop !== 'string' || prop in target) return Reflect.get(target, prop, receiver);
      const overload = prop === 'default' ? '' : prop;
      let set = byOverload.get(overload);
      if (!set) {
        set = new OpSet(qualifiedName, [overload]);
        byOverload.set(overload, set);
      }
      const s = set;
      return (...args: unknown[]) => s.call(args);
    },
  }) as OpFunction;
}

/**
 * Every registered operator, by namespace, name and overload, called through the dispatcher:
 * `ops.aten.add.Tensor(a, b, { alpha: 2 })`, or `ops.aten.add(a, 2)` to resolve the overload from the
 * arguments. Arguments with defaults and keyword-only ones go in a trailing options object
 * (camelCase or snake_case names).
 */
export const ops: Record<string, Record<string, OpFunction>> = new Proxy(
  {},
  {
    get(cache: Record<string, Record<string, OpFunction>>, ns) {
      if (typeof ns !== 'string') return undefined;
      cache[ns] ??= new Proxy({} as Record<string, OpFunction>, {
        get(fns, name) {
          if (typeof name !== 'string') return undefined;
          fns[name] ??= opFunction(`${ns}::${name}`);
          return fns[name];
        },
      });
      return cache[ns];
    },
  },
);
