/** The transform protocol: small objects with `apply(input, rng)`, composed with {@link chain}. */
import type { Image } from './types.js';

/** A random source returning uniform numbers in [0, 1), e.g. `seededRandom(seed)` from `src/data/sampler.ts`. */
export type Rng = () => number;

/**
 * One preprocessing step. Deterministic transforms ignore `rng`; random ones draw from it, so the same
 * seed gives the same result.
 *
 * @example
 * ```ts
 * const flip: Transform = HFlip(0.5);
 * const out = flip.apply(img, seededRandom(7));
 * ```
 */
export interface Transform<I = Image, O = Image> {
  /** e.g. 'Resize(256)', for logs */
  readonly name: string;
  apply(input: I, rng: Rng): O;
}

/**
 * Composes transforms left to right into one; the same `rng` flows through every step.
 *
 * @example
 * ```ts
 * const train = chain(Resize(256), RandomCrop(224), HFlip(0.5), ToTensor());
 * const t = train.apply(await decodeImage('x.png', { colour: 'rgb' }), seededRandom(42)); // Tensor [3, 224, 224]
 * ```
 */
export function chain<O = Image>(...transforms: Transform<unknown, unknown>[]): Transform<Image, O> {
  return {
    name: `chain(${transforms.map((t) => t.name).join(', ')})`,
    apply(input: Image, rng: Rng): O {
      let x: unknown = input;
      for (const t of transforms) x = t.apply(x, rng);
      return x as O;
    },
  };
}

/**
 * Applies `transform` with probability `p` (BigDL's `ImageRandomPreprocessing`); draws one number first.
 *
 * @example
 * ```ts
 * const maybeBrighter = RandomApply(Brightness(0, 32), 0.5);
 * ```
 */
export function RandomApply(transform: Transform, p: number): Transform {
  checkProbability(p, 'RandomApply');
  return {
    name: `RandomApply(${transform.name}, ${p})`,
    apply: (img, rng) => (rng() < p ? transform.apply(img, rng) : img),
  };
}

/** Throws unless 0 <= p <= 1. */
export function checkProbability(p: number, who: string): void {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`${who}: probability must be in [0, 1], got ${p}`);
}

/** A uniform draw in [low, high). */
export function uniform(rng: Rng, low: number, high: number): number {
  return low + rng() * (high - low);
}

/** A uniform integer in [0, n) (torch.randint(0, n)). */
export function randomInt(rng: Rng, n: number): number {
  return Math.min(n - 1, Math.floor(rng() * n));
}
