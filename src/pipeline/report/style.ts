/** The report's stylesheet (inline: the file must open with no network). */
export const REPORT_CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2329; margin: 0 auto; max-width: 1280px; padding: 16px 24px 48px; }
h1 { font-size: 22px; margin: 8px 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #d8dee4; padding-bottom: 4px; }
.meta, .note { color: #57606a; margin: 2px 0; }
dl.summary { display: flex; flex-wrap: wrap; gap: 8px 28px; margin: 12px 0; }
dl.summary div { background: #f6f8fa; border: 1px solid #d8dee4; border-radius: 6px; padding: 6px 12px; }
dl.summary dt { font-size: 12px; color: #57606a; } dl.summary dd { margin: 0; font-size: 18px; font-weight: 600; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
svg.chart { background: #fff; border: 1px solid #e4e8ec; border-radius: 4px; }
svg .plot { fill: #fbfcfd; stroke: #c9d1d9; } svg .grid { stroke: #eaeef2; }
svg .tick, svg .legend { font-size: 10px; fill: #57606a; } svg .axis-label { font-size: 11px; fill: #57606a; }
svg .chart-title { font-size: 12px; font-weight: 600; fill: #1d2329; }
svg path { fill: none; stroke-width: 1.6; } svg .reference { stroke: #afb8c1; stroke-dasharray: 4 3; }
svg .marker { fill: #d62728; stroke: #fff; stroke-width: 1; }
table { border-collapse: collapse; margin: 8px 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #d8dee4; padding: 3px 8px; text-align: right; }
th { background: #f6f8fa; } td.name, th.name { text-align: left; }
tfoot td { font-weight: 600; background: #f6f8fa; }
td.undefined { color: #8c959f; }
table.config td { text-align: left; font-family: ui-monospace, monospace; font-size: 12px; }
table.confusion td { min-width: 34px; }
`;
