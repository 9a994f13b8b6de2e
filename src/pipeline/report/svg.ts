/**
 * Inline SVG charts for the report: line charts with axes and ticks, ROC and precision-recall plots. Output is
 * markup strings; every text goes through escapeHtml.
 */
import { escapeHtml } from './html.js';

export interface Series {
  name: string;
  /** [x, y] pairs; a non-finite y breaks the line */
  points: [number, number][];
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  width?: number;
  height?: number;
  /** fixed y range, e.g. [0, 1] for rates */
  yRange?: [number, number];
  /** fixed x range */
  xRange?: [number, number];
  /** a dashed reference line from (x0, y0) to (x1, y1) */
  reference?: [number, number, number, number];
  /** CSS class of the series paths (the report's tests count them) */
  seriesClass?: string;
  /** x ticks only at integers (epochs) */
  integerX?: boolean;
  /** points marked with a dot, e.g. an operating point */
  markers?: { x: number; y: number; title: string }[];
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const MAX_POINTS = 600;

/** "Nice" tick values covering [lo, hi] (1, 2, 5 x 10^k steps). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  // the 1-2-5 multiple of the magnitude nearest (geometrically) to the raw step
  const ratio = raw / magnitude;
  const step = (ratio >= Math.sqrt(50) ? 10 : ratio >= Math.sqrt(10) ? 5 : ratio >= Math.sqrt(2) ? 2 : 1) * magnitude;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** A tick value without float noise: 0.2, 3000, 0.0004. */
function tickLabel(t: number): string {
  return String(Number(t.toPrecision(6)));
}

/** At most MAX_POINTS points: the mean of equal runs of consecutive points (long training curves). */
function thin(points: [number, number][]): [number, number][] {
  if (points.length <= MAX_POINTS) return points;
  const size = Math.ceil(points.length / MAX_POINTS);
  const out: [number, number][] = [];
  for (let i = 0; i < points.length; i += size) {
    const bucket = points.slice(i, i + size).filter(([, y]) => Number.isFinite(y));
    if (bucket.length === 0) continue;
    const mean = (k: 0 | 1) => bucket.reduce((s, p) => s + p[k], 0) / bucket.length;
    out.push([mean(0), mean(1)]);
  }
  return out;
}

function extent(values: number[]): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [0, 1];
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (lo === hi) {
    lo -= Math.abs(lo) * 0.1 || 1;
    hi += Math.abs(hi) * 0.1 || 1;
  }
  return [lo, hi];
}

/**
 * A line chart as an `<svg>` element.
 *
 * @example
 * ```ts
 * lineChart([{ name: 'loss', points: [[1, 2.3], [2, 1.9]] }], { title: 'loss', xLabel: 'iteration' });
 * ```
 */
export function lineChart(series: Series[], options: ChartOptions): string {
  const width = options.width ?? 420;
  const height = options.height ?? 240;
  const margin = { left: 58, right: 12, top: 26, bottom: 40 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const thinned = series.map((s) => ({ name: s.name, points: thin(s.points) }));
  const [x0, x1] = options.xRange ?? extent(thinned.flatMap((s) => s.points.map((p) => p[0])));
  const [y0, y1] = options.yRange ?? extent(thinned.flatMap((s) => s.points.map((p) => p[1])));
  const sx = (x: number) => margin.left + ((x - x0) / (x1 - x0 || 1)) * plotW;
  const sy = (y: number) => margin.top + plotH - ((y - y0) / (y1 - y0 || 1)) * plotH;
  const parts: string[] = [];
  parts.push(
    `<svg class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(options.title)}">`,
  );
  parts.push(
    `<text class="chart-title" x="${width / 2}" y="16" text-anchor="middle">${escapeHtml(options.title)}</text>`,
  );
  parts.push(`<rect class="plot" x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}"/>`);
  for (const t of niceTicks(y0, y1)) {
    const y = sy(t).toFixed(1);
    parts.push(`<line class="grid" x1="${margin.left}" x2="${margin.left + plotW}" y1="${y}" y2="${y}"/>`);
    parts.push(
      `<text class="tick" x="${margin.left - 4}" y="${y}" text-anchor="end" dy="0.32em">${tickLabel(t)}</text>`,
    );
  }
  const xTicks = niceTicks(x0, x1).filter((t) => !options.integerX || Number.isInteger(t));
  for (const t of xTicks) {
    const x = sx(t).toFixed(1);
    parts.push(
      `<text class="tick" x="${x}" y="${margin.top + plotH + 14}" text-anchor="middle">${tickLabel(t)}</text>`,
    );
  }
  parts.push(
    `<text class="axis-label" x="${margin.left + plotW / 2}" y="${height - 6}" text-anchor="middle">${escapeHtml(options.xLabel)}</text>`,
  );
  if (options.reference) {
    const [a, b, c, d] = options.reference;
    parts.push(
      `<line class="reference" x1="${sx(a).toFixed(1)}" y1="${sy(b).toFixed(1)}" x2="${sx(c).toFixed(1)}" y2="${sy(d).toFixed(1)}"/>`,
    );
  }
  thinned.forEach((s, i) => {
    let d = '';
    let pen = false;
    for (const [x, y] of s.points) {
      if (!Number.isFinite(y) || !Number.isFinite(x)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`;
      pen = true;
    }
    if (d === '') return;
    const color = PALETTE[i % PALETTE.length];
    parts.push(
      `<path class="${options.seriesClass ?? 'series'}" d="${d}" stroke="${color}"><title>${escapeHtml(s.name)}</title></path>`,
    );
    // few points (e.g. one validation per epoch): dots, so that a single point shows at all
    const finite = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (finite.length <= 50) {
      for (const [x, y] of finite) {
        parts.push(`<circle class="point" cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2.5" fill="${color}"/>`);
      }
    }
  });
  for (const m of options.markers ?? []) {
    if (!Number.isFinite(m.x) || !Number.isFinite(m.y)) continue;
    parts.push(
      `<circle class="marker" cx="${sx(m.x).toFixed(1)}" cy="${sy(m.y).toFixed(1)}" r="3.5"><title>${escapeHtml(m.title)}</title></circle>`,
    );
  }
  if (thinned.length > 1) {
    thinned.forEach((s, i) => {
      const y = margin.top + 10 + i * 13;
      const x = margin.left + plotW - 110;
      parts.push(`<rect x="${x}" y="${y - 7}" width="9" height="9" fill="${PALETTE[i % PALETTE.length]}"/>`);
      parts.push(`<text class="legend" x="${x + 13}" y="${y + 1}">${escapeHtml(s.name)}</text>`);
    });
  }
  parts.push('</svg>');
  return parts.join('');
}

/** A square ROC plot of one class: the curve, the chance diagonal, and the operating point if given. */
export function rocChart(
  title: string,
  curve: { fpr: number[]; tpr: number[] },
  operatingPoint?: { fpr: number; tpr: number },
): string {
  return lineChart([{ name: title, points: curve.fpr.map((x, i) => [x, curve.tpr[i] as number]) }], {
    title,
    xLabel: '1 − specificity',
    width: 220,
    height: 230,
    xRange: [0, 1],
    yRange: [0, 1],
    reference: [0, 0, 1, 1],
    seriesClass: 'roc-curve',
    markers: operatingPoint ? [{ x: operatingPoint.fpr, y: operatingPoint.tpr, title: 'operating point' }] : [],
  });
}

/**
 * A square precision-recall plot of one class: the curve (x recall, y precision), the precision of a
 * classifier without skill (the prevalence) as a dashed line, and the operating point if given.
 */
export function prChart(
  title: string,
  curve: { recall: number[]; precision: number[] },
  prevalence: number,
  operatingPoint?: { recall: number; precision: number },
): string {
  const marked = operatingPoint && Number.isFinite(operatingPoint.precision) && Number.isFinite(operatingPoint.recall);
  return lineChart([{ name: title, points: curve.recall.map((x, i) => [x, curve.precision[i] as number]) }], {
    title,
    xLabel: 'recall (sensitivity)',
    width: 220,
    height: 230,
    xRange: [0, 1],
    yRange: [0, 1],
    reference: [0, prevalence, 1, prevalence],
    seriesClass: 'pr-curve',
    markers: marked ? [{ x: operatingPoint.recall, y: operatingPoint.precision, title: 'operating point' }] : [],
  });
}
