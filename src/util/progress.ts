/**
 * A terminal progress bar with throughput and ETA; plain log lines when stdout is not a TTY (CI, files).
 */
import type { Writable } from 'node:stream';

export interface ProgressOptions {
  /** total units (iterations, images); the bar needs it for percent and ETA */
  total: number;
  /** label in front of the bar */
  label?: string;
  /** unit name for throughput, e.g. 'it' or 'img' */
  unit?: string;
  stream?: Writable & { isTTY?: boolean; columns?: number };
  /** minimum milliseconds between redraws (TTY) or log lines (non-TTY) */
  intervalMs?: number;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/**
 * @example
 * ```ts
 * const bar = new ProgressBar({ total: 1000, label: 'epoch 1', unit: 'it' });
 * for (let i = 0; i < 1000; i++) bar.tick(1, { loss: 0.42 });
 * bar.done();
 * ```
 */
export class ProgressBar {
  readonly #opts: Required<Omit<ProgressOptions, 'stream'>> & { stream: NonNullable<ProgressOptions['stream']> };
  readonly #start = performance.now();
  #count = 0;
  // the first line waits one interval too: drawn on the first tick, it showed a rate from a few microseconds
  #lastDraw = this.#start;
  #metrics: Record<string, number> = {};
  #drawnCount = -1;

  constructor(options: ProgressOptions) {
    this.#opts = {
      label: '',
      unit: 'it',
      stream: process.stdout,
      intervalMs: process.stdout.isTTY ? 100 : 2000,
      ...options,
    };
  }

  /** Advances by `n` units and records the latest metrics to show. */
  tick(n = 1, metrics?: Record<string, number>): void {
    this.#count += n;
    if (metrics) this.#metrics = { ...this.#metrics, ...metrics };
    const now = performance.now();
    if (now - this.#lastDraw >= this.#opts.intervalMs || this.#count >= this.#opts.total) {
      this.#lastDraw = now;
      this.#draw(false);
    }
  }

  /** Units per second since the start. */
  get rate(): number {
    return this.#count / Math.max(1e-9, (performance.now() - this.#start) / 1000);
  }

  /** Draws the final state and ends the line. */
  done(): void {
    if (this.#drawnCount === this.#count && !this.#opts.stream.isTTY) return;
    this.#draw(true);
  }

  #line(): string {
    const { total, label, unit } = this.#opts;
    const elapsed = (performance.now() - this.#start) / 1000;
    const rate = this.rate;
    const frac = total > 0 ? Math.min(1, this.#count / total) : 0;
    const eta = rate > 0 ? (total - this.#count) / rate : Number.POSITIVE_INFINITY;
    const metrics = Object.entries(this.#metrics)
      .map(
        ([k, v]) => `${k} ${Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(4)}`,
      )
      .join(' ');
    const width = 24;
    const filled = Math.round(frac * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    return `${label ? `${label} ` : ''}${bar} ${(frac * 100).toFixed(0).padStart(3)}% ${this.#count}/${total} [${formatDuration(
      elapsed,
    )}<${formatDuration(eta)}, ${rate.toFixed(1)} ${unit}/s]${metrics ? ` ${metrics}` : ''}`;
  }

  #draw(final: boolean): void {
    const { stream } = this.#opts;
    this.#drawnCount = this.#count;
    if (stream.isTTY) {
      stream.write(`\r${this.#line().slice(0, (stream.columns ?? 120) - 1)}\x1b[K${final ? '\n' : ''}`);
    } else {
      stream.write(`${this.#line()}\n`);
    }
  }
}
