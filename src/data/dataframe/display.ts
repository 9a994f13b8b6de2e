/** Text forms of a DataFrame: Spark's `show()` table and `printSchema()` tree. */

type Row = Record<string, unknown>;
type ColumnInfo = { name: string; type: string };

function cell(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return `<${v.byteLength} bytes>`;
  if (Array.isArray(v)) return `[${v.map(cell).join(', ')}]`;
  if (typeof v === 'object')
    return `{${Object.entries(v)
      .map(([k, x]) => `${k}: ${cell(x)}`)
      .join(', ')}}`;
  return String(v);
}

/**
 * A table in Spark's `show()` layout. `truncate`: true cuts cells to 20 characters, a number to that many,
 * false keeps them whole. `more` notes that rows were left out.
 */
export function formatTable(
  columns: readonly string[],
  rows: readonly Row[],
  truncate: boolean | number,
  more: boolean,
): string {
  const width = truncate === false ? Number.POSITIVE_INFINITY : truncate === true ? 20 : Math.max(4, truncate);
  const cut = (s: string) => (s.length > width ? `${s.slice(0, width - 3)}...` : s);
  const body = rows.map((r) => columns.map((c) => cut(cell(r[c]))));
  const head = columns.map(cut);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = `+${widths.map((w) => '-'.repeat(w)).join('+')}+`;
  const fmt = (cells: string[]) => `|${cells.map((c, i) => c.padStart(widths[i] as number)).join('|')}|`;
  const out = [line, fmt(head), line, ...body.map(fmt), line];
  if (more) out.push(`only showing top ${rows.length} row${rows.length === 1 ? '' : 's'}`);
  return `${out.join('\n')}\n`;
}

/** Spark's `printSchema()` tree: `root`, then ` |-- name: TYPE`. */
export function formatSchema(schema: readonly ColumnInfo[]): string {
  return `root\n${schema.map((c) => ` |-- ${c.name}: ${c.type}\n`).join('')}`;
}
