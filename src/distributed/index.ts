/**
 * Data-parallel training across processes and machines on LibTorch's c10d (TCPStore, ProcessGroupGloo):
 * process groups with collectives that never hang, DistributedDataParallel, SyncBatchNorm, and the
 * `tszoo launch` launcher. Workers are started by torchrun, `tszoo launch`, Kubernetes or Slurm.
 *
 * @example
 * ```ts
 * import { distributed } from 'tszoo';
 * const pg = await distributed.initProcessGroup();
 * const ddp = await distributed.DistributedDataParallel.create(model);
 * ```
 */
export { broadcastTensors, DistributedDataParallel, type DistributedDataParallelOptions } from './ddp.js';
export { firstSlurmHost, type PlaceOptions, type WorkerPlace, workerPlace } from './env.js';
export {
  CollectiveError,
  destroyProcessGroup,
  getProcessGroup,
  type InitProcessGroupOptions,
  initProcessGroup,
  ProcessGroup,
  type ReduceOp,
} from './process-group.js';
export { SyncBatchNorm } from './sync-batchnorm.js';
