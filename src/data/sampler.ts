/**
 * Which sample indices an epoch visits, in which order, on which rank: PyTorch's DistributedSampler
 * semantics, with a seeded permutation that is the same in every process.
 */

/** xoshiro128**: small, fast, seedable; the same stream in every process for the same seed. */
export function seededRandom(seed: number): () => number {
  // splitmix32 to spread the seed over the state
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = next();
  let b = next();
  let c = next();
  let d = next();
  return () => {
    const t = b << 9;
    let r = Math.imul(b, 5);
    r = Math.imul((r << 7) | (r >>> 25), 9) >>> 0;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = (d << 11) | (d >>> 21);
    return r / 4294967296;
  };
}

/** A permutation of 0..n-1 (Fisher-Yates) determined by the seed. */
export function permutation(n: number, seed: number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  const random = seededRandom(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = p[i] as number;
    p[i] = p[j] as number;
    p[j] = t;
  }
  return p;
}

export interface SamplerOptions {
  shuffle?: boolean;
  seed?: number;
  rank?: number;
  worldSize?: number;
  /** drop the tail that does not divide evenly among ranks (else pad by wrapping around) */
  dropLast?: boolean;
}

/**
 * The indices this rank visits in `epoch`. Every rank computes the same order (seed + epoch), pads it
 * (or cuts it) to a multiple of worldSize, and takes every worldSize-th index from its rank: disjoint,
 * equal shards that together cover the data once (plus the padding).
 */
export function epochIndices(n: number, epoch: number, options: SamplerOptions = {}): Int32Array {
  const rank = options.rank ?? 0;
  const world = options.worldSize ?? 1;
  if (!Number.isInteger(world) || world < 1) throw new RangeError(`sampler: worldSize must be >= 1, got ${world}`);
  if (!Number.isInteger(rank) || rank < 0 || rank >= world) {
    throw new RangeError(`sampler: rank must be in [0, ${world}), got ${rank}`);
  }
  if (n === 0) return new Int32Array(0);
  let order: Int32Array;
  if (options.shuffle ?? false) order = permutation(n, ((options.seed ?? 0) + epoch * 0x9e3779b1) >>> 0);
  else order = Int32Array.from({ length: n }, (_, i) => i);
  const perRank = options.dropLast ? Math.floor(n / world) : Math.ceil(n / world);
  // Position k of the padded order is order[k % n] (PyTorch appends the first indices again).
  const out = new Int32Array(perRank);
  for (let i = 0; i < perRank; i++) out[i] = order[(rank + i * world) % n] as number;
  return out;
}
