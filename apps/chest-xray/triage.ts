/**
 * Triage from probabilities and per-finding thresholds: each probability is mapped so that 0.5 means
 * "at its threshold" (TorchXRayVision's op_norm), the flags are the findings at or above threshold,
 * and a study's priority is its highest normalised score, so a worklist sorted by priority puts the
 * most confident positive calls first.
 */
import { CXR14_LABELS } from '../../src/data/datasets/chestxray14.js';

/** p mapped piecewise-linearly so that the threshold t goes to 0.5, 0 to 0 and 1 to 1. */
export function normalisedScore(p: number, t: number): number {
  if (!Number.isFinite(t)) return p;
  if (t <= 0) return 0.5 + p / 2;
  if (t >= 1) return p / 2;
  return p < t ? p / (2 * t) : 0.5 + (p - t) / (2 * (1 - t));
}

export interface Triage {
  /** findings at or above their threshold */
  flags: string[];
  /** in [0, 1]; above 0.5 means at least one finding is flagged */
  priority: number;
  /** the findings in decreasing normalised score, best first */
  top: { label: string; probability: number; score: number }[];
}

/**
 * @example
 * ```ts
 * const { flags, priority } = triage(probabilities, thresholds);
 * ```
 */
export function triage(probabilities: ArrayLike<number>, thresholds: readonly number[]): Triage {
  const scored = CXR14_LABELS.map((label, k) => {
    const p = probabilities[k] as number;
    return {
      label,
      probability: p,
      score: normalisedScore(p, thresholds[k] ?? 0.5),
      flagged: p >= (thresholds[k] ?? 0.5),
    };
  });
  const flags = scored.filter((s) => s.flagged).map((s) => s.label);
  const top = [...scored]
    .sort((a, b) => b.score - a.score)
    .map(({ label, probability, score }) => ({ label, probability, score }));
  return { flags, priority: top[0]?.score ?? 0, top };
}
