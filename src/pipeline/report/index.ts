/** Run reports: one self-contained HTML page per training run (curves, per-class table, ROC and precision-recall curves, configuration). */
export { escapeHtml, formatNumber } from './html.js';
export { renderReport } from './render.js';
export type { RunRecord, TrainPoint, ValidationPoint } from './run-record.js';
export { type ChartOptions, lineChart, niceTicks, prChart, rocChart, type Series } from './svg.js';
export { writeReport } from './write-report.js';
