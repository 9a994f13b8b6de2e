/**
 * Test helper: a real redis-server (Debian's) on a free loopback port with a temporary directory, no
 * persistence; stopped (and its directory removed) by `stop()`. Reusable by any test that needs Redis.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running redis-server. */
export interface RedisServer {
  port: number;
  /** 'redis://127.0.0.1:<port>' */
  url: string;
  /** the server's process id (the bench reads its CPU time) */
  readonly pid: number | undefined;
  /** Kills the server (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
  /** Stops it and starts a fresh one (empty, as after a crash without persistence) on the same port. */
  restart(): Promise<void>;
}

/** A port nothing listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function launch(port: number, dir: string, args: string[]): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server did not start on port ${port}:\n${log}`));
    }, 10_000);
    child.stdout?.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run redis-server (apt-get install redis-server): ${e.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with code ${code}:\n${log}`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/**
 * Starts redis-server; `args` are extra options, e.g. `['--maxmemory', '8mb']`.
 *
 * @example
 * ```ts
 * const redis = await startRedisServer();
 * after(() => redis.stop());
 * const client = new Redis(redis.url);
 * ```
 */
export async function startRedisServer(args: string[] = []): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tszoo-redis-'));
  const port = await freePort();
  let child = await launch(port, dir, args);
  // a test or bench that dies without stop() must not leave the server running
  const onExit = () => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child.pid;
    },
    async stop() {
      process.off('exit', onExit);
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      await stopChild(child);
      child = await launch(port, dir, args);
    },
  };
}
