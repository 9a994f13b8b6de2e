/** A terminal progress bar driven by training events: epoch, images, loss, images/s and ETA. */
import type { Writable } from 'node:stream';
import { ProgressBar } from '../util/progress.js';
import type { TrainingListener } from './events.js';

/** Options of {@link progressListener}. */
export interface ProgressListenerOptions {
  /** what a sample is called in the throughput (default 'img') */
  unit?: string;
}

/**
 * One bar per epoch (log lines when the stream is not a TTY), validation results on their own line.
 *
 * @example
 * ```ts
 * estimator.onEvent(progressListener());
 * ```
 */
export function progressListener(
  stream: Writable & { isTTY?: boolean } = process.stdout,
  options: ProgressListenerOptions = {},
): TrainingListener {
  const unit = options.unit ?? 'img';
  let bar: ProgressBar | null = null;
  let epoch = -1;
  return (e) => {
    if (e.type === 'start') {
      stream.write(`training in ${e.precisionReason}\n`);
    } else if (e.type === 'iteration') {
      if (!bar || e.epoch !== epoch) {
        epoch = e.epoch;
        bar = new ProgressBar({ total: e.epochSamples, label: `epoch ${e.epoch + 1}`, unit, stream });
        // a resumed epoch starts part-way
        const done = e.batch * e.samples;
        if (done > 0) bar.tick(Math.min(done, e.epochSamples - e.samples));
      }
      bar.tick(e.samples, { loss: e.loss, lr: e.learningRate });
    } else if (e.type === 'epoch') {
      bar?.done();
      bar = null;
    } else if (e.type === 'validation') {
      // end the bar's line first (on a terminal it has none yet); a mid-epoch validation's epoch goes on in a new bar
      bar?.done();
      bar = null;
      const values = Object.entries(e.metrics)
        .filter(([k]) => !k.includes('/'))
        .map(([k, v]) => `${k} ${v.toFixed(4)}`)
        .join(', ');
      stream.write(
        `validation after epoch ${e.epoch}, iteration ${e.iteration}: ${values} (${e.seconds.toFixed(1)} s)\n`,
      );
    } else if (e.type === 'end') {
      bar?.done();
      bar = null;
      stream.write(
        `training ended (${e.reason}) after ${e.iteration} iterations, ${e.seconds.toFixed(1)} s` +
          `${e.skippedSamples ? `; ${e.skippedSamples} unreadable samples left out` : ''}\n`,
      );
    }
  };
}
