/**
 * The Tensor class: a JS owner of one LibTorch tensor handle. Ops are attached to its prototype by
 * ops.generated.ts and methods.ts; this file holds identity, metadata, data access and lifetime.
 */
import { type AnyTypedArray, type DType, dtypeOfTypedArray, elementSize, typedArrayOf } from './dtype.js';
import { applyGradMode } from './grad-mode.js';
import { type Handle, native } from './native.js';
import { type Scope, type ScopedResource, track } from './scope.js';

/** Nested arrays of numbers or booleans, as accepted by tensor(). */
export type NestedArray<T> = T | NestedArray<T>[];

/**
 * Handles freed by dispose(), reused for the results of later ops so that V8 does not create and
 * collect a new External (with its weak finalizer) per op. A disposed Tensor drops its handle for
 * DEAD, so a recycled handle is never reachable from the tensor that gave it up.
 */
const handlePool: Handle[] = [];
const DEAD: Handle = (() => {
  const h = native.fromBuffer(new Uint8Array(0), 'uint8', [0]);
  native.dispose(h);
  return h;
})();

/** @internal An empty handle for the next op result, if one is pooled. */
export function pooledHandle(): Handle | undefined {
  return handlePool.pop();
}

/**
 * Optional leak detector (a FinalizationRegistry): counts tensors that were garbage collected without
 * dispose(), with the stack that made each when asked. Off by default; costs ~0.2 us per tensor when on.
 * The memory itself is freed either way, by the handle's own finalizer.
 */
let leakRegistry: FinalizationRegistry<string> | undefined;
let leakStacks = false;
const leaks = { count: 0, stacks: [] as string[] };

/** Turns leak detection on or off; `stacks` records where each leaked tensor was created. */
export function detectLeaks(options: { stacks?: boolean } | false): void {
  if (options === false) {
    leakRegistry = undefined;
    return;
  }
  leakStacks = options.stacks ?? false;
  leakRegistry = new FinalizationRegistry((stack: string) => {
    leaks.count++;
    if (stack && leaks.stacks.length < 100) leaks.stacks.push(stack);
  });
}

/** Tensors collected without dispose() since leak detection was turned on (and up to 100 stacks). */
export function leakReport(): { leaked: number; stacks: string[] } {
  return { leaked: leaks.count, stacks: [...leaks.stacks] };
}

/**
 * A value structured clone refuses, with a message that says what to do: a Tensor posted to a worker (or
 * passed to structuredClone) fails with it instead of arriving as a hollow object.
 */
const NOT_CLONEABLE = Symbol(
  'tszoo Tensor (native memory): post tensor.data() with its shape and dtype, and rebuild it with torch.tensor(data, { shape, dtype })',
);

export class Tensor implements ScopedResource {
  /** @internal */
  _scope: Scope | undefined = undefined;
  /** @internal makes postMessage(tensor) a clear DataCloneError */
  readonly _cannotBePosted: symbol = NOT_CLONEABLE;
  #handle: Handle;

  /** @internal Use torch.tensor(), the creation functions or ops to make tensors. */
  constructor(handle: Handle) {
    this.#handle = handle;
    track(this);
    if (leakRegistry !== undefined) {
      leakRegistry.register(this, leakStacks ? (new Error('tensor created').stack ?? '') : '', this);
    }
  }

  /** @internal The addon handle; the addon throws 'tensor was disposed' when given a disposed one. */
  get handle(): Handle {
    return this.#handle;
  }

  /** Sizes of each dimension. */
  get shape(): number[] {
    return native.shape(this.#handle);
  }

  /** Strides of each dimension, in elements. */
  get strides(): number[] {
    return native.strides(this.#handle);
  }

  get dtype(): DType {
    return native.dtype(this.#handle) as DType;
  }

  /** Device string such as 'cpu' or 'cuda:0'. */
  get device(): string {
    return native.device(this.#handle);
  }

  /** Number of dimensions. */
  get ndim(): number {
    return native.dim(this.#handle);
  }

  dim(): number {
    return native.dim(this.#handle);
  }

  numel(): number {
    return native.numel(this.#handle);
  }

  /** Size of one dimension (negative counts from the end), or the whole shape. */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number | number[] {
    const s = this.shape;
    if (dim === undefined) return s;
    const d = dim < 0 ? dim + s.length : dim;
    if (d < 0 || d >= s.length) throw new RangeError(`size: dimension ${dim} out of range for a ${s.length}-d tensor`);
    return s[d] as number;
  }

  /**
   * Whether the elements are laid out densely in `memoryFormat`'s order: 'contiguous' (row-major, the
   * default), 'channelsLast' (NHWC strides of a 4-d NCHW tensor) or 'channelsLast3d' (5-d).
   *
   * @example
   * ```ts
   * const x = torch.randn([2, 3, 8, 8]).contiguous({ memoryFormat: 'channelsLast' });
   * x.isContiguous({ memoryFormat: 'channelsLast' });   // true
   * x.isContiguous();                                    // false
   * ```
   */
  isContiguous(options: { memoryFormat?: 'contiguous' | 'channelsLast' | 'channelsLast3d' } = {}): boolean {
    return native.isContiguous(this.#handle, options.memoryFormat ?? 'contiguous');
  }

  /** Whether autograd records operations on this tensor. */
  get requiresGrad(): boolean {
    return native.requiresGrad(this.#handle);
  }

  set requiresGrad(value: boolean) {
    native.setRequiresGrad(this.#handle, value);
  }

  /** Sets requiresGrad in place and returns this tensor (PyTorch's requires_grad_). */
  requiresGrad_(value = true): this {
    native.setRequiresGrad(this.#handle, value);
    return this;
  }

  /** The accumulated gradient, or null. A new Tensor object sharing the gradient's memory. */
  get grad(): Tensor | null {
    const g = native.grad(this.#handle);
    return g === null ? null : new Tensor(g);
  }

  set grad(value: Tensor | null) {
    native.setGrad(this.#handle, value === null ? null : value.handle);
  }

  get isLeaf(): boolean {
    return native.isLeaf(this.#handle);
  }

  /** Name of the autograd node that produced this tensor, e.g. 'MulBackward0', or null for leaves. */
  get gradFn(): string | null {
    return native.gradFn(this.#handle);
  }

  /** Keeps .grad populated for a non-leaf tensor. */
  retainGrad(): this {
    native.retainGrad(this.#handle);
    return this;
  }

  /**
   * Computes gradients of this tensor with respect to graph leaves. A non-scalar tensor needs `gradient`.
   */
  backward(gradient?: Tensor | null, options: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
    applyGradMode();
    native.backward(
      [this.#handle],
      gradient ? [gradient.handle] : null,
      options.retainGraph,
      options.createGraph ?? false,
    );
  }

  /** The single value of a one-element tensor. */
  item(): number;
  item(): boolean;
  item(): number | boolean {
    return native.item(this.#handle);
  }

  /** A copy of the elements in row-major order, as the matching typed array (int64 as BigInt64Array). */
  data(): AnyTypedArray {
    return typedArrayOf(this.dtype, native.toBuffer(this.#handle));
  }

  /** The elements in row-major order as plain numbers (booleans for bool tensors). */
  toArray(): number[] {
    const d = this.data();
    if (d instanceof BigInt64Array) return Array.from(d, Number);
    return Array.from(d as ArrayLike<number>);
  }

  /** The elements as nested arrays shaped like the tensor (PyTorch's tolist). */
  tolist(): NestedArray<number | boolean> {
    const flat: (number | boolean)[] = this.dtype === 'bool' ? this.toArray().map((x) => x !== 0) : this.toArray();
    const shape = this.shape;
    if (shape.length === 0) return flat[0] as number;
    let pos = 0;
    const build = (d: number): NestedArray<number | boolean> => {
      const n = shape[d] as number;
      const out: NestedArray<number | boolean>[] = [];
      for (let i = 0; i < n; i++) out.push(d === shape.length - 1 ? (flat[pos++] as number) : build(d + 1));
      return out;
    };
    return build(0);
  }

  /**
   * A typed array over the tensor's own memory (no copy) for contiguous CPU tensors; writes go to the
   * tensor. The view keeps the memory alive (even after `dispose()`), and while it lives (until it is
   * garbage-collected) ops that would reallocate or re-point that memory (`resize_`, `set_`) are refused
   * with an error instead of leaving the view on freed memory. Use `data()` for a copy.
   */
  dataView(): AnyTypedArray {
    return typedArrayOf(this.dtype, native.viewBuffer(this.#handle));
  }

  /** @internal No scope owns it any more: from now on V8 counts its bytes (see MemoryInfo.gcBytes). */
  _ownedByGc(): void {
    if (this.#handle !== DEAD) native.ownedByGc(this.#handle);
  }

  /** Frees the tensor's memory now. Later use throws. Idempotent. */
  dispose(): void {
    const h = this.#handle;
    if (h === DEAD) return;
    native.dispose(h);
    this.#handle = DEAD;
    leakRegistry?.unregister(this);
    if (handlePool.length < 1024) handlePool.push(h);
  }

  get isDisposed(): boolean {
    return this.#handle === DEAD || native.isDisposed(this.#handle);
  }

  /** Whether both tensors view the same storage (e.g. a tensor and its reshape). */
  sharesStorageWith(other: Tensor): boolean {
    return native.sameStorage(this.#handle, other.handle);
  }

  toString(): string {
    if (this.isDisposed) return 'Tensor(disposed)';
    return formatTensor(this);
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

function formatTensor(t: Tensor): string {
  const shape = t.shape;
  const n = t.numel();
  const head = `Tensor(shape=[${shape.join(', ')}], dtype=${t.dtype}${t.device === 'cpu' ? '' : `, device=${t.device}`}${
    t.requiresGrad ? ', requiresGrad' : ''
  })`;
  if (n > 1000 || t.dtype.startsWith('complex')) return head;
  const body = JSON.stringify(t.tolist(), (_k, v: unknown) =>
    typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(6)) : v,
  );
  return `${head}\n${body}`;
}

/** @internal Wraps an addon result: handles become Tensors, arrays are mapped, other values pass through. */
export function wrapResult(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(wrapResult);
  return new Tensor(v as Handle);
}

type Element = number | boolean | bigint;

function flattenNested(data: NestedArray<Element>, shape: number[], out: Element[], depth: number) {
  if (Array.isArray(data)) {
    if (shape.length <= depth) shape.push(data.length);
    else if (shape[depth] !== data.length) {
      throw new RangeError(`tensor: ragged nested array at depth ${depth} (${data.length} vs ${shape[depth]})`);
    }
    for (const x of data) flattenNested(x, shape, out, depth + 1);
  } else {
    if (depth !== shape.length)
      throw new RangeError('tensor: ragged nested array (a number where a list was expected)');
    if (typeof data !== 'number' && typeof data !== 'boolean' && typeof data !== 'bigint') {
      throw new TypeError(`tensor: elements must be numbers, bigints or booleans, got ${typeof data}`);
    }
    out.push(data);
  }
}

/**
 * The dtype of JS values without a stated one: all booleans bool; bigints (with whole numbers) int64;
 * otherwise the default dtype (float32 unless `setDefaultDtype` changed it).
 */
export function inferDtype(values: readonly unknown[]): DType {
  if (values.length > 0 && values.every((x) => typeof x === 'boolean')) return 'bool';
  if (values.some((x) => typeof x === 'bigint')) {
    const bad = values.find((x) => typeof x !== 'bigint' && !(typeof x === 'number' && Number.isInteger(x)));
    if (bad !== undefined)
      throw new TypeError(`tensor: bigints mixed with ${String(bad)}; give a dtype or use one kind of value`);
    return 'int64';
  }
  return native.getDefaultDtype() as DType;
}

/** Options of tensor(). */
export interface TensorOptions {
  dtype?: DType;
  /** Shape for flat typed-array data (defaults to one dimension). */
  shape?: readonly number[];
  requiresGrad?: boolean;
}

function encode(values: ArrayLike<Element>, dtype: DType): ArrayBufferView {
  const n = values.length;
  const num = (i: number) => Number(values[i]);
  switch (dtype) {
    case 'float32':
      return Float32Array.from({ length: n }, (_, i) => num(i));
    case 'float64':
      return Float64Array.from({ length: n }, (_, i) => num(i));
    case 'int64':
      return BigInt64Array.from({ length: n }, (_, i) => {
        const v = values[i];
        return typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)));
      });
    case 'int32':
      return Int32Array.from({ length: n }, (_, i) => num(i));
    case 'int16':
      return Int16Array.from({ length: n }, (_, i) => num(i));
    case 'int8':
      return Int8Array.from({ length: n }, (_, i) => num(i));
    case 'uint8':
      return Uint8Array.from({ length: n }, (_, i) => num(i));
    case 'bool':
      return Uint8Array.from({ length: n }, (_, i) => (num(i) !== 0 ? 1 : 0));
    default:
      return Float32Array.from({ length: n }, (_, i) => num(i));
  }
}

/**
 * Makes a tensor from JS data (always a copy). Without a dtype: JS numbers give the default dtype (float32,
 * see `setDefaultDtype`) whether or not they are whole, since JS cannot tell `2.0` from `2` (as tfjs does);
 * bigints give int64, booleans bool; typed arrays keep their type (Int32Array int32, BigInt64Array int64).
 * For integer tensors from numbers, say so: `tensor([0, 2, 1], { dtype: 'int64' })`.
 *
 * @example
 * ```ts
 * tensor([[1, 2], [3, 4]]).dtype;                  // 'float32'
 * tensor([0, 2, 1], { dtype: 'int64' }).dtype;      // 'int64' (class indices)
 * tensor([0n, 2n]).dtype;                           // 'int64'
 * tensor(new Float32Array(784), { shape: [1, 1, 28, 28] });
 * ```
 */
export function tensor(data: NestedArray<Element> | ArrayBufferView, options: TensorOptions = {}): Tensor {
  let result: Tensor;
  if (ArrayBuffer.isView(data)) {
    const shape = options.shape ?? [
      data instanceof DataView ? data.byteLength : (data as unknown as ArrayLike<unknown>).length,
    ];
    const srcType = data instanceof DataView || data instanceof Uint16Array ? undefined : dtypeOfTypedArray(data);
    const dtype = options.dtype ?? srcType ?? 'uint8';
    if (srcType !== undefined && srcType !== dtype) {
      result = tensor(Array.from(data as unknown as ArrayLike<number>), { dtype, shape });
    } else {
      result = new Tensor(native.fromBuffer(data, dtype, shape));
    }
  } else {
    const shape: number[] = [];
    const flat: Element[] = [];
    flattenNested(data, shape, flat, 0);
    const dtype = options.dtype ?? inferDtype(flat);
    const finalShape = options.shape ?? shape;
    result = new Tensor(native.fromBuffer(encode(flat, dtype), dtype, finalShape));
  }
  if (options.requiresGrad) result.requiresGrad = true;
  return result;
}

/**
 * Makes a tensor from raw bytes holding `dtype` elements in row-major order (always a copy), like
 * torch.frombuffer. The byte length must match the shape exactly.
 *
 * @example
 * ```ts
 * const pixels = fromBuffer(readFileSync('image.raw'), { dtype: 'uint8', shape: [1, 512, 512] });
 * ```
 */
export function fromBuffer(
  bytes: ArrayBufferView | ArrayBuffer,
  options: { dtype: DType; shape?: readonly number[] },
): Tensor {
  const byteLength = bytes.byteLength;
  const size = elementSize(options.dtype);
  if (options.shape === undefined && byteLength % size !== 0) {
    throw new RangeError(`fromBuffer: ${byteLength} bytes is not a whole number of ${options.dtype} elements`);
  }
  const shape = options.shape ?? [byteLength / size];
  return new Tensor(native.fromBuffer(bytes, options.dtype, shape));
}

/** Checks that a value is a live Tensor; used by wrappers to give a clear error early. */
export function isTensor(v: unknown): v is Tensor {
  return v instanceof Tensor;
}
