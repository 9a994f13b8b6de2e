/** Helpers shared by the benchmarks: timing statistics and running the PyTorch peer script. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian's Python, which has python3-torch (the `python3` on PATH may be another one). */
export const PYTHON = '/usr/bin/python3';

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function geometricMean(xs: readonly number[]): number {
  return Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);
}

/** Runs bench/<name>.py with Debian's PyTorch and parses the JSON it prints last. */
export function runPythonPeer<T>(name: string, args: Record<string, string | number>): T {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} not found: run \`npm run setup\``);
  const script = join(dirname(fileURLToPath(import.meta.url)), '../../bench', `${name}.py`);
  const argv = Object.entries(args).flatMap(([k, v]) => [`--${k}`, String(v)]);
  const out = execFileSync(PYTHON, [script, ...argv], { encoding: 'utf8', env: { ...process.env } });
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as T;
}

/** Microseconds per call of fn, timed over `iterations` calls after a warm-up. */
export function timePerCall(fn: () => void, iterations: number): number {
  for (let i = 0; i < Math.min(2000, iterations); i++) fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - t0) / 1000 / iterations;
}
