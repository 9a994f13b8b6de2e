/** Test helpers: free TCP ports and worker processes with captured output. */

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Worker {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  /** resolves with the exit code (or the signal's name) */
  exited: Promise<number | string>;
  /** resolves when stdout has a line containing `text` */
  waitFor(text: string): Promise<void>;
}

/** Starts `command args` with extra environment variables, capturing its output. */
export function startProcess(command: string, args: string[], env: Record<string, string>): Worker {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const waiters: { text: string; resolve: () => void }[] = [];
  const w: Worker = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1))),
    waitFor(text) {
      if (w.stdout.includes(text)) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ text, resolve }));
    },
  };
  child.stdout?.on('data', (d: Buffer) => {
    w.stdout += d.toString();
    for (const x of waiters.splice(0)) {
      if (w.stdout.includes(x.text)) x.resolve();
      else waiters.push(x);
    }
  });
  child.stderr?.on('data', (d: Buffer) => {
    w.stderr += d.toString();
  });
  return w;
}

/** Starts `worldSize` node workers of `script` with the torchrun variables set on loopback. */
export function startWorkers(
  script: string,
  worldSize: number,
  port: number,
  args: string[] = [],
  env: Record<string, string> = {},
): Worker[] {
  return Array.from({ length: worldSize }, (_, rank) =>
    startProcess(process.execPath, [script, ...args], {
      MASTER_ADDR: '127.0.0.1',
      MASTER_PORT: String(port),
      RANK: String(rank),
      WORLD_SIZE: String(worldSize),
      LOCAL_RANK: String(rank),
      LOCAL_WORLD_SIZE: String(worldSize),
      TSZOO_NUM_THREADS: '1',
      ...env,
    }),
  );
}

/** The last line of stdout that starts with `prefix`, parsed as JSON after the prefix. */
export function lastJson<T>(w: Worker, prefix: string): T {
  const line = w.stdout
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .pop();
  if (line === undefined) throw new Error(`no '${prefix}' line in:\n${w.stdout}\n${w.stderr}`);
  return JSON.parse(line.slice(prefix.length)) as T;
}

/** What fit.fixture prints. */
export type FitResult = {
  weights: Record<string, number[]>;
  validations: Record<string, number>[];
  epochs: number[];
  iterations: number;
};

/** Waits for the workers, checks they succeeded, and reads their results. */
export async function results(workers: Worker[]): Promise<FitResult[]> {
  const codes = await Promise.all(workers.map((w) => w.exited));
  assert.deepEqual(
    codes,
    workers.map(() => 0),
    workers.map((w) => w.stderr).join('\n'),
  );
  return workers.map((w) => lastJson<FitResult>(w, 'result '));
}

/** The largest difference between two states (infinite when a value is missing). */
export function maxDiff(a: Record<string, number[]>, b: Record<string, number[]>): number {
  let m = 0;
  for (const [k, v] of Object.entries(a))
    for (const [i, x] of v.entries()) m = Math.max(m, Math.abs(x - (b[k]?.[i] ?? Number.NaN)));
  return Number.isNaN(m) ? Number.POSITIVE_INFINITY : m;
}
