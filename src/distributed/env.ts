/**
 * Where a worker learns its place in the job: the torchrun contract, Kubeflow's PyTorchJob, Slurm, or
 * explicit options (which win over the environment).
 */

/** A worker's place in the job and where the rendezvous store is. */
export interface WorkerPlace {
  rank: number;
  worldSize: number;
  /** rank among the workers of this node */
  localRank: number;
  localWorldSize: number;
  masterAddr: string;
  masterPort: number;
  /** which contract the values came from */
  source: 'explicit' | 'torchrun' | 'kubeflow' | 'slurm' | 'single';
  /** restarts of the group so far (torchrun's TORCHELASTIC_RESTART_COUNT, tszoo launch's too) */
  restartCount: number;
  /** the store is served by the launcher's agent (torchrun), not by rank 0 */
  agentStore: boolean;
}

/** Options that override the environment. */
export interface PlaceOptions {
  rank?: number;
  worldSize?: number;
  localRank?: number;
  localWorldSize?: number;
  masterAddr?: string;
  masterPort?: number;
}

type Env = Record<string, string | undefined>;

function intVar(env: Env, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new RangeError(`initProcessGroup: ${name} must be a non-negative integer, got '${v}'`);
  return n;
}

/** The first host of a Slurm node list: 'node[03-05,9],gpu1' -> 'node03'. */
export function firstSlurmHost(nodelist: string): string {
  const m = /^([^,[]+)(?:\[([^\]]+)\])?/.exec(nodelist.trim());
  if (!m) throw new RangeError(`initProcessGroup: cannot read SLURM_NODELIST '${nodelist}'`);
  const prefix = m[1] as string;
  if (m[2] === undefined) return prefix;
  const first = (m[2].split(',')[0] as string).split('-')[0] as string;
  return prefix + first;
}

/**
 * Reads the worker's place: explicit options first, then torchrun's variables (RANK, WORLD_SIZE,
 * LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT), Kubeflow's (the same without LOCAL_RANK: one
 * worker per pod), then Slurm's (SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, the first host of
 * SLURM_NODELIST; MASTER_PORT or 29500). Without any of them: a single process.
 */
export function workerPlace(options: PlaceOptions = {}, env: Env = process.env): WorkerPlace {
  const restartCount = intVar(env, 'TORCHELASTIC_RESTART_COUNT') ?? 0;
  const agentStore = env.TORCHELASTIC_USE_AGENT_STORE === 'True';
  let place: WorkerPlace;
  const rank = intVar(env, 'RANK');
  const slurmRank = intVar(env, 'SLURM_PROCID');
  if (rank !== undefined) {
    const worldSize = intVar(env, 'WORLD_SIZE');
    if (worldSize === undefined) throw new RangeError('initProcessGroup: RANK is set but WORLD_SIZE is not');
    const localRank = intVar(env, 'LOCAL_RANK');
    place = {
      rank,
      worldSize,
      // Kubeflow's PyTorchJob runs one worker per pod and sets no LOCAL_RANK.
      localRank: localRank ?? 0,
      localWorldSize: intVar(env, 'LOCAL_WORLD_SIZE') ?? (localRank === undefined ? 1 : worldSize),
      masterAddr: env.MASTER_ADDR ?? '127.0.0.1',
      masterPort: intVar(env, 'MASTER_PORT') ?? 29500,
      source: localRank === undefined ? 'kubeflow' : 'torchrun',
      restartCount,
      agentStore,
    };
  } else if (slurmRank !== undefined) {
    const worldSize = intVar(env, 'SLURM_NTASKS');
    if (worldSize === undefined) throw new RangeError('initProcessGroup: SLURM_PROCID is set but SLURM_NTASKS is not');
    const nodelist = env.SLURM_STEP_NODELIST ?? env.SLURM_JOB_NODELIST ?? env.SLURM_NODELIST;
    place = {
      rank: slurmRank,
      worldSize,
      localRank: intVar(env, 'SLURM_LOCALID') ?? 0,
      localWorldSize: intVar(env, 'SLURM_NTASKS_PER_NODE') ?? 1,
      masterAddr: env.MASTER_ADDR ?? (nodelist ? firstSlurmHost(nodelist) : '127.0.0.1'),
      masterPort: intVar(env, 'MASTER_PORT') ?? 29500,
      source: 'slurm',
      restartCount: intVar(env, 'SLURM_RESTART_COUNT') ?? 0,
      agentStore: false,
    };
  } else {
    place = {
      rank: 0,
      worldSize: 1,
      localRank: 0,
      localWorldSize: 1,
      masterAddr: env.MASTER_ADDR ?? '127.0.0.1',
      masterPort: intVar(env, 'MASTER_PORT') ?? 29500,
      source: 'single',
      restartCount,
      agentStore: false,
    };
  }
  const keys = ['rank', 'worldSize', 'localRank', 'localWorldSize', 'masterAddr', 'masterPort'] as const;
  const given = Object.fromEntries(keys.filter((k) => options[k] !== undefined).map((k) => [k, options[k]]));
  place = { ...place, ...given, source: Object.keys(given).length > 0 ? 'explicit' : place.source };
  if (!Number.isInteger(place.worldSize) || place.worldSize < 1) {
    throw new RangeError(`initProcessGroup: worldSize must be >= 1, got ${place.worldSize}`);
  }
  if (!Number.isInteger(place.rank) || place.rank < 0 || place.rank >= place.worldSize) {
    throw new RangeError(`initProcessGroup: rank must be in [0, ${place.worldSize}), got ${place.rank}`);
  }
  if (!Number.isInteger(place.masterPort) || place.masterPort < 1 || place.masterPort > 65535) {
    throw new RangeError(`initProcessGroup: masterPort must be in 1..65535, got ${place.masterPort}`);
  }
  return place;
}
