/** Test helpers: run a Python oracle (Debian's python3 with PIL, pydicom, numpy, torch) and read its dumps. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Runs `script` with /usr/bin/python3 and the given args; returns stdout. */
export function python(script: string, ...args: string[]): string {
  return execFileSync('/usr/bin/python3', ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
}

/** Reads a raw little-endian dump written by numpy's `tofile`. */
export function readRaw(path: string, dtype: 'uint8' | 'uint16' | 'float32' | 'float64'): ArrayLike<number> {
  const b = readFileSync(path);
  const buf = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  if (dtype === 'uint8') return new Uint8Array(buf);
  if (dtype === 'uint16') return new Uint16Array(buf);
  if (dtype === 'float32') return new Float32Array(buf);
  return new Float64Array(buf);
}

/** Largest absolute difference between two equally long arrays (throws if lengths differ). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs((a[i] as number) - (b[i] as number));
    if (d > m || Number.isNaN(d)) m = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
  }
  return m;
}
