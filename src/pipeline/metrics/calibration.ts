/**
 * Calibration of predicted probabilities: the reliability curve (mean predicted probability against
 * the observed frequency in equal-width bins, as sklearn's `calibration_curve(strategy='uniform')`) and
 * the expected calibration error, ECE = sum over bins of (rows in bin / rows) * |frequency - mean probability|.
 */

/** One bin of a reliability curve (bins without rows are left out). */
export interface ReliabilityBin {
  /** the bin's lower and upper edge */
  lower: number;
  upper: number;
  rows: number;
  meanProbability: number;
  /** share of positives among the bin's rows */
  frequency: number;
}

export interface Calibration {
  bins: ReliabilityBin[];
  /** expected calibration error */
  ece: number;
  /** the largest |frequency - mean probability| over non-empty bins */
  mce: number;
}

/**
 * Reliability curve and ECE of binary probabilities.
 *
 * @example
 * ```ts
 * const { ece, bins } = calibration([0.1, 0.8, 0.7, 0.3], [0, 1, 1, 0], 10);
 * ```
 */
export function calibration(probabilities: ArrayLike<number>, labels: ArrayLike<number>, numBins = 10): Calibration {
  if (probabilities.length !== labels.length) {
    throw new Error(`calibration: ${probabilities.length} probabilities for ${labels.length} labels`);
  }
  if (!(Number.isInteger(numBins) && numBins >= 1))
    throw new RangeError(`calibration: numBins must be a positive integer, got ${numBins}`);
  const count = new Float64Array(numBins);
  const sumP = new Float64Array(numBins);
  const sumY = new Float64Array(numBins);
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i] as number;
    const y = labels[i] as number;
    if (!(p >= 0 && p <= 1)) throw new RangeError(`calibration: probability ${p} at row ${i} is not in [0, 1]`);
    if (y !== 0 && y !== 1) throw new RangeError(`calibration: label ${y} at row ${i} is not 0 or 1`);
    // sklearn's uniform bins: edges linspace(0, 1, n + 1), p = 1 falls in the last bin
    const b = Math.min(numBins - 1, Math.floor(p * numBins));
    count[b]++;
    sumP[b] += p;
    sumY[b] += y;
  }
  const bins: ReliabilityBin[] = [];
  let ece = 0;
  let mce = 0;
  const n = probabilities.length;
  for (let b = 0; b < numBins; b++) {
    const rows = count[b] as number;
    if (rows === 0) continue;
    const meanProbability = (sumP[b] as number) / rows;
    const frequency = (sumY[b] as number) / rows;
    const gap = Math.abs(frequency - meanProbability);
    ece += (rows / n) * gap;
    mce = Math.max(mce, gap);
    bins.push({ lower: b / numBins, upper: (b + 1) / numBins, rows, meanProbability, frequency });
  }
  return { bins, ece: n === 0 ? Number.NaN : ece, mce };
}

/**
 * Fits a temperature T > 0 on validation logits (minimising the binary cross-entropy of sigmoid(z / T))
 * by golden-section search on log T; apply it as sigmoid(logit(p) / T).
 *
 * @example
 * ```ts
 * const t = fitTemperature(valProbs, valLabels);
 * const calibrated = testProbs.map((p) => applyTemperature(p, t));
 * ```
 */
export function fitTemperature(probabilities: ArrayLike<number>, labels: ArrayLike<number>): number {
  const logits = Array.from(probabilities, (p) => logit(p));
  const nll = (t: number) => {
    let s = 0;
    for (let i = 0; i < logits.length; i++) {
      const z = (logits[i] as number) / t;
      // log(1 + e^-|z|) + max(z, 0) - y z: a stable BCE with logits
      s += Math.log1p(Math.exp(-Math.abs(z))) + Math.max(z, 0) - (labels[i] as number) * z;
    }
    return s;
  };
  let [lo, hi] = [Math.log(0.05), Math.log(20)];
  const g = (Math.sqrt(5) - 1) / 2;
  for (let k = 0; k < 80; k++) {
    const a = hi - g * (hi - lo);
    const b = lo + g * (hi - lo);
    if (nll(Math.exp(a)) < nll(Math.exp(b))) hi = b;
    else lo = a;
  }
  return Math.exp((lo + hi) / 2);
}

const logit = (p: number) => {
  const q = Math.min(1 - 1e-7, Math.max(1e-7, p));
  return Math.log(q / (1 - q));
};

/** sigmoid(logit(p) / temperature). */
export function applyTemperature(p: number, temperature: number): number {
  return 1 / (1 + Math.exp(-logit(p) / temperature));
}
