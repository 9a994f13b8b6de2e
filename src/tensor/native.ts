/**
 * Loads the LibTorch addon (build/Release/tszoo.node) and describes its raw surface.
 * Only src/tensor talks to it; everything else uses Tensor and the torch namespace.
 */
import { availableParallelism } from 'node:os';
import { loadAddon } from '../util/native-addon.js';
import { defaultOpenMpWaitPolicy } from '../util/openmp.js';

/** An opaque handle to a LibTorch tensor owned by the addon. */
export type Handle = object & { readonly __tensorHandle: unique symbol };
/** An opaque handle to a resolved ATen operator. */
export type OpHandle = object & { readonly __opHandle: unique symbol };

/** An opaque handle to a TorchScript custom-class object (see ScriptObject). */
export type ObjectHandle = object & { readonly __scriptObjectHandle: unique symbol };

/** One argument of an operator schema, as the addon describes it. */
export interface SchemaArg {
  name: string;
  type: string;
  kind: string;
  optional: boolean;
  kwargOnly: boolean;
  n: number;
  hasDefault: boolean;
  default?: unknown;
  mutable: boolean;
}

/** A resolved operator schema. */
export interface OpSchema {
  name: string;
  overload: string;
  schema: string;
  args: SchemaArg[];
  returns: { name: string; type: string; aliasOfArg: number }[];
}

/** Memory held by tensor handles of this thread. Bytes count each storage once. */
export interface MemoryInfo {
  tensors: number;
  bytes: number;
  /**
   * The part of `bytes` that only dispose() or the garbage collector frees (tensors no scope owns).
   * V8 is told these bytes, so undisposed tensors are collected under memory pressure; tensors a scope
   * owns are freed by the scope and are not counted.
   */
  gcBytes: number;
  storages: number;
  created: number;
}

export interface NativeBinding {
  fromBuffer(data: ArrayBufferView | ArrayBuffer, dtype: string, shape: readonly number[]): Handle;
  toBuffer(h: Handle): ArrayBuffer;
  viewBuffer(h: Handle): ArrayBuffer;
  dispose(h: Handle): void;
  isDisposed(h: Handle): boolean;
  /** From now on only dispose() or the GC frees this handle: V8 is told its storage's bytes. */
  ownedByGc(h: Handle): void;
  /** Whether a scope is open on this thread; while none is, every new handle is owned by the GC. */
  setScopesOpen(open: boolean): void;
  shape(h: Handle): number[];
  strides(h: Handle): number[];
  dtype(h: Handle): string;
  device(h: Handle): string;
  numel(h: Handle): number;
  dim(h: Handle): number;
  isContiguous(h: Handle, memoryFormat?: string): boolean;
  item(h: Handle): number | boolean;
  sameStorage(a: Handle, b: Handle): boolean;
  memory(): MemoryInfo;
  findOp(name: string, overload: string): OpHandle;
  opSchema(op: OpHandle): OpSchema;
  listSchemas(): string[];
  callOp(op: OpHandle, ...args: unknown[]): unknown;
  /** As callOp; a single Tensor result reuses `slot`, an empty handle from a disposed tensor. */
  callOpInto(slot: Handle | undefined, op: OpHandle, ...args: unknown[]): unknown;
  /** the class name of a script object handle, or null (not one, or disposed) */
  scriptObjectType(h: unknown): string | null;
  disposeScriptObject(h: ObjectHandle): void;
  setRequiresGrad(h: Handle, value: boolean): Handle;
  requiresGrad(h: Handle): boolean;
  isLeaf(h: Handle): boolean;
  gradFn(h: Handle): string | null;
  grad(h: Handle): Handle | null;
  setGrad(h: Handle, g: Handle | null): void;
  retainGrad(h: Handle): void;
  backward(tensors: Handle[], grads: (Handle | null)[] | null, retainGraph?: boolean, createGraph?: boolean): void;
  gradOf(
    outputs: Handle[],
    inputs: Handle[],
    gradOutputs: (Handle | null)[] | null,
    retainGraph?: boolean,
    createGraph?: boolean,
    allowUnused?: boolean,
  ): (Handle | null)[];
  setGradEnabled(enabled: boolean): boolean;
  isGradEnabled(): boolean;
  enterInferenceMode(enabled: boolean): number;
  exitInferenceMode(): number;
  isInferenceMode(): boolean;
  isInferenceTensor(h: Handle): boolean;
  manualSeed(seed: number | bigint): void;
  getRngState(): Handle;
  setRngState(state: Handle): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  setBlasThreads(n: number): number | null;
  setDefaultDtype(dtype: string): void;
  getDefaultDtype(): string;
  config(): { torchVersion: string; buildConfig: string; parallelInfo: string };
  setAutocast(enabled: boolean, dtype?: string): boolean;
  isAutocastEnabled(): boolean;
  setAutocastCacheEnabled(enabled: boolean): boolean;
  clearAutocastCache(): void;
  onednnIsa(): { code: number; name: string | null } | null;
}

function load(): NativeBinding {
  // before the addon (and libgomp) load; see util/openmp.ts
  defaultOpenMpWaitPolicy();
  const binding = loadAddon<NativeBinding>('tszoo.node', process.env.TSZOO_ADDON);
  // LibTorch starts with one intra-op thread on these machines; each thread (main or worker) sets its own.
  binding.setNumThreads(defaultThreads());
  return binding;
}

/** Intra-op threads used by default: TSZOO_NUM_THREADS, else OMP_NUM_THREADS, else the machine's cores. */
export function defaultThreads(): number {
  for (const name of ['TSZOO_NUM_THREADS', 'OMP_NUM_THREADS']) {
    const v = Number.parseInt(process.env[name] ?? '', 10);
    if (Number.isInteger(v) && v > 0) return v;
  }
  return availableParallelism();
}

/** The addon, loaded once per thread on first import. */
export const native: NativeBinding = load();
