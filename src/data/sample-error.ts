/** Samples that could not be read: one record per failure, and the error that stops a run with too many. */

/** A sample that could not be read: its row, where it came from (a path or `row N`) and why. */
export interface SampleError {
  row: number;
  origin: string;
  message: string;
}

/**
 * Thrown when too many rows cannot be read (every row, or more than the allowed share): names how many
 * were tried and the first reasons, so a wrong column, a missing folder or an unsupported format shows at once.
 */
export class SkippedSamplesError extends Error {
  constructor(
    readonly tried: number,
    readonly skipped: number,
    readonly firstErrors: readonly SampleError[],
    readonly maxFraction: number | null,
    /** what was reading, e.g. 'fit' or 'validation' */
    where = 'FrameDataset',
  ) {
    const share =
      maxFraction === null ? '' : ` (more than the ${+(maxFraction * 100).toFixed(2)}% allowed by maxSkippedFraction)`;
    const reasons = firstErrors
      .map((e) => `\n  ${e.message.includes(e.origin) ? e.message : `${e.origin}: ${e.message}`}`)
      .join('');
    super(`${where}: ${skipped} of ${tried} rows tried could not be read${share}; the first reasons:${reasons}`);
    this.name = 'SkippedSamplesError';
  }
}
