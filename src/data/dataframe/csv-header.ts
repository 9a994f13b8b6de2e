/**
 * Reads and normalises a CSV header line.
 *
 * Rules (applied to each header cell, in order):
 * 1. Cells are split on the delimiter, honouring double quotes; whitespace around a name is trimmed.
 * 2. A bracket group split by the delimiter is rejoined and expanded, one column per part:
 *    `OriginalImage[Width`, `Height]` becomes `OriginalImage_Width`, `OriginalImage_Height`, and
 *    `OriginalImagePixelSpacing[x`, `y]` becomes `OriginalImagePixelSpacing_x`, `OriginalImagePixelSpacing_y`
 *    (NIH ChestX-ray14 `Data_Entry_2017_v2020.csv`; `Bbox [x,y,w,h]` likewise gives `Bbox_x` ... `Bbox_h`).
 * 3. Empty cells are named `column<i>` (0-based position) and are marked empty, so that the reader can drop
 *    them (the trailing comma of `Data_Entry_2017.csv`'s header).
 * 4. Duplicate names get a suffix `_1`, `_2`, ...
 */
import { open } from 'node:fs/promises';

/** One normalised header cell. */
export interface HeaderColumn {
  name: string;
  /** the header cell was empty */
  empty: boolean;
}

/** Reads the first line of a file (without BOM and line ending). */
export async function readFirstLine(path: string, maxBytes = 1 << 20): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(Math.min(maxBytes, 64 * 1024));
    let text = '';
    let pos = 0;
    while (pos < maxBytes) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      text += buf.subarray(0, bytesRead).toString('utf8');
      pos += bytesRead;
      const nl = text.indexOf('\n');
      if (nl >= 0) {
        text = text.slice(0, nl);
        break;
      }
    }
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return text.endsWith('\r') ? text.slice(0, -1) : text;
  } finally {
    await fh.close();
  }
}

/** Splits one CSV line on `delimiter`, honouring double quotes (`""` inside quotes is a quote). */
export function splitCsvLine(line: string, delimiter: string): string[] {
  const cells: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i += 1;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (line.startsWith(delimiter, i)) {
      cells.push(cur);
      cur = '';
      i += delimiter.length - 1;
    } else cur += ch;
  }
  cells.push(cur);
  return cells;
}

/** Applies the normalisation rules above to raw header cells. */
export function normaliseHeader(cells: readonly string[]): HeaderColumn[] {
  const out: HeaderColumn[] = [];
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i]!.trim();
    const open = cell.indexOf('[');
    if (open >= 0 && !cell.includes(']', open)) {
      let end = i + 1;
      while (end < cells.length && !cells[end]!.includes(']')) end++;
      if (end < cells.length) {
        const prefix = cell.slice(0, open).trim();
        const parts = [
          cell.slice(open + 1),
          ...cells.slice(i + 1, end),
          cells[end]!.slice(0, cells[end]!.indexOf(']')),
        ];
        for (const part of parts) out.push({ name: prefix ? `${prefix}_${part.trim()}` : part.trim(), empty: false });
        i = end;
        continue;
      }
    }
    out.push(cell === '' ? { name: `column${i}`, empty: true } : { name: cell, empty: false });
  }
  const seen = new Map<string, number>();
  for (const col of out) {
    const n = seen.get(col.name) ?? 0;
    seen.set(col.name, n + 1);
    if (n > 0) col.name = `${col.name}_${n}`;
  }
  return out;
}
