/**
 * The process-group part of the LibTorch addon (native/distributed.cc): c10d TCPStore, ProcessGroupGloo,
 * collectives that resolve when done, the gradient bucket reducer. Only src/distributed talks to it.
 */
import type { Handle } from '../tensor/native.js';
import { loadAddon } from '../util/native-addon.js';

/** An opaque handle to a native process group. */
export type GroupHandle = object & { readonly __groupHandle: unique symbol };
/** An opaque handle to a native gradient reducer. */
export type ReducerHandle = object & { readonly __reducerHandle: unique symbol };

export interface GroupSpec {
  host: string;
  port: number;
  rank: number;
  worldSize: number;
  isServer: boolean;
  prefix: string;
  timeoutMs: number;
  ifname?: string;
  bindHost?: string;
  heartbeatMs?: number;
}

export interface DistributedBinding {
  distCreateGroup(spec: GroupSpec): Promise<GroupHandle>;
  distDestroyGroup(g: GroupHandle): void;
  distAllReduce(g: GroupHandle, t: Handle, op: string, timeoutMs?: number): Promise<void>;
  distBroadcast(g: GroupHandle, t: Handle, src: number, timeoutMs?: number): Promise<void>;
  distAllGather(g: GroupHandle, outputs: Handle[], input: Handle, timeoutMs?: number): Promise<void>;
  distBarrier(g: GroupHandle, timeoutMs?: number): Promise<void>;
  distStoreSet(g: GroupHandle, key: string, value: string): void;
  distStoreGet(g: GroupHandle, key: string): string | null;
  distStoreAdd(g: GroupHandle, key: string, n: number): number;
  distDiagnoseLostRanks(g: GroupHandle, windowMs: number): Promise<{ lost: number[]; storeReachable: boolean }>;
  distAllReduceDifferentiable(g: GroupHandle, t: Handle): Handle;
  distCreateReducer(g: GroupHandle, params: Handle[], bucketCapBytes: number): ReducerHandle;
  distReducerPrepare(r: ReducerHandle): void;
  distReducerFinish(r: ReducerHandle, timeoutMs?: number): Promise<void>;
  distReducerAbandon(r: ReducerHandle): void;
  distReducerBuckets(r: ReducerHandle): { params: number[]; bytes: number }[];
}

/** The addon (the same module object src/tensor loaded). */
export const dist: DistributedBinding = loadAddon<DistributedBinding>('tszoo.node', process.env.TSZOO_ADDON);
