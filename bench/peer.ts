/** Helpers shared by the benchmarks: timing statistics and running the PyTorch peer script. */
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
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

/** Runs bench/<name>.py with Debian's PyTorch (in `env`, default this process's) and parses the JSON it prints last. */
export function runPythonPeer<T>(
  name: string,
  args: Record<string, string | number>,
  env: NodeJS.ProcessEnv = process.env,
): T {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} not found: run \`npm run setup\``);
  const script = join(dirname(fileURLToPath(import.meta.url)), '../../bench', `${name}.py`);
  const argv = Object.entries(args).flatMap(([k, v]) => [`--${k}`, String(v)]);
  const out = execFileSync(PYTHON, [script, ...argv], { encoding: 'utf8', env: { ...env } });
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as T;
}

/** Microseconds per call of fn, timed over `iterations` calls after a warm-up. */
export function timePerCall(fn: () => void, iterations: number): number {
  for (let i = 0; i < Math.min(2000, iterations); i++) fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - t0) / 1000 / iterations;
}

/**
 * The environment that gives a Python peer the glibc allocator settings the tszoo addon makes for itself with
 * `mallopt` on loading (native/addon.cc: large freed blocks are kept instead of returned to the kernel, so
 * activations are not page-faulted and zeroed again every pass; measured here, PyTorch's MobileNetV2 at batch 8
 * ran 4x faster with them): `env` plus glibc's MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_ and
 * MALLOC_TOP_PAD_ with the addon's values. Like the addon, it changes nothing when the user set any of those
 * or TSZOO_MALLOC_TUNING=0. The OpenMP / OpenBLAS variables the addon sets (src/util/openmp.ts) are in
 * `process.env` already once it is loaded.
 */
export function envLikeTszoo(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const keys = ['MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_', 'MALLOC_TOP_PAD_'];
  if (env.TSZOO_MALLOC_TUNING === '0' || keys.some((k) => env[k] !== undefined)) return { ...env };
  return {
    ...env,
    MALLOC_MMAP_THRESHOLD_: String(32 << 20),
    MALLOC_TRIM_THRESHOLD_: String(2 ** 31 - 1),
    MALLOC_TOP_PAD_: String(256 << 20),
  };
}

/**
 * One line a long-lived peer wrote in answer to a request: a JSON object, or `{"error": message}` for a
 * request it failed (thrown here, with the peer's name).
 */
export function parsePeerReply<T>(line: string, peer = 'peer'): T {
  let reply: unknown;
  try {
    reply = JSON.parse(line);
  } catch {
    throw new Error(`${peer}: not a JSON reply: ${line.slice(0, 200)}`);
  }
  if (typeof reply !== 'object' || reply === null || Array.isArray(reply))
    throw new Error(`${peer}: not a JSON object: ${line.slice(0, 200)}`);
  const error = (reply as { error?: unknown }).error;
  if (error !== undefined) throw new Error(`${peer}: ${String(error)}`);
  return reply as T;
}

/**
 * The entry of `samples` (name -> one value per round) with the highest median, and that median; the first
 * such entry on a tie, undefined when there is none.
 */
export function bestByMedian(
  samples: Readonly<Record<string, readonly number[]>>,
): { name: string; median: number } | undefined {
  let best: { name: string; median: number } | undefined;
  for (const [name, xs] of Object.entries(samples)) {
    if (xs.length === 0) continue;
    const m = median(xs);
    if (!best || m > best.median) best = { name, median: m };
  }
  return best;
}

/**
 * A Python peer that stays up for a whole bench (so its timed rounds can alternate with the others' without
 * paying Python's start-up each time): one JSON request a line on its stdin, one JSON reply a line on its
 * stdout, in order. It runs with `env` (default this process's: see envLikeTszoo). Its stderr is kept and
 * shown if it fails.
 */
export class PythonServer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  constructor(
    readonly name: string,
    argv: readonly string[],
    env: NodeJS.ProcessEnv = process.env,
    python = PYTHON,
  ) {
    if (!existsSync(python)) throw new Error(`${python} not found: run \`npm run setup\``);
    this.child = spawn(python, [...argv], { env: { ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    // a peer that died shows as the end of its stdout in request(), not as an EPIPE thrown from nowhere
    this.child.stdin.on('error', () => {});
    this.child.on('error', (e) => {
      this.stderr += `\n${e.message}`;
    });
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  /** Sends `request` and waits for the reply to it (requests must not overlap). */
  async request<T>(request: object): Promise<T> {
    this.child.stdin.write(`${JSON.stringify(request)}\n`);
    const next = await this.lines.next();
    if (next.done) {
      await new Promise((resolve) => (this.child.exitCode === null ? this.child.once('exit', resolve) : resolve(0)));
      throw new Error(`${this.name} exited (code ${this.child.exitCode}) without answering:\n${this.stderr}`);
    }
    try {
      return parsePeerReply<T>(next.value, this.name);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${this.stderr}`);
    }
  }

  /** Closes its stdin (the peer ends at EOF) and waits for it to exit. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end();
    await exited;
  }
}
