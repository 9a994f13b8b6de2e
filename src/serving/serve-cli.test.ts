import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { saveTinyModel, tinyInputs } from './model.testutil.js';
import { type RedisServer, startRedisServer } from './redis-server.testutil.js';

const CLI = fileURLToPath(new URL('../../apps/tszoo.js', import.meta.url));

const started: ChildProcess[] = [];

/** Starts `tszoo serve ...` and resolves with the prediction URL it prints. */
function serve(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /serving \S+ at (\S+)/.exec(out);
      if (m) resolve({ child, url: m[1] as string });
    });
    child.once('exit', (code) => reject(new Error(`tszoo serve exited ${code}: ${err}`)));
  });
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  return exited;
}

describe('tszoo serve', () => {
  let tmp: string;
  let dir: string;
  let redis: RedisServer;
  const body = JSON.stringify({ dtype: 'float32', shape: [2, 1, 16, 16], data: Array.from(tinyInputs(2)) });
  const predict = (url: string) =>
    fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } }).then(
      async (r) => [r.status, (await r.json()) as { predictions: { output: number[] }[] }] as const,
    );

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'tszoo-serve-cli-'));
    dir = join(tmp, 'tiny');
    await saveTinyModel(dir);
    redis = await startRedisServer();
  });
  after(async () => {
    // a failed assertion may leave a server running (its worker processes exit with it)
    for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await redis.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('serves in-process, then through Redis with 2 worker processes, with the same outputs; exits 0 on SIGTERM', async () => {
    const inProcess = await serve(['--model', dir, '--http', '0']);
    assert.match(inProcess.url, /^http:\/\/127\.0\.0\.1:\d+\/v1\/models\/tiny\/predict$/);
    const [s1, a] = await predict(inProcess.url);
    assert.equal(s1, 200);
    assert.equal(await stop(inProcess.child), 0);
    const cluster = await serve(['--model', dir, '--http', '0', '--redis', redis.url, '--workers', '2']);
    const [s2, b] = await predict(cluster.url);
    assert.equal(s2, 200);
    for (const [i, p] of b.predictions.entries()) {
      const q = a.predictions[i]?.output as number[];
      assert.ok(p.output.every((v, j) => Math.abs(v - (q[j] as number)) < 1e-5));
    }
    assert.equal(await stop(cluster.child), 0);
  });

  it('refuses a wide bind without a token, and bad options, with a message', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; err: string }>((resolve) => {
        const c = spawn(process.execPath, [CLI, 'serve', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        c.stderr?.on('data', (d: Buffer) => {
          err += d.toString();
        });
        c.once('exit', (code) => resolve({ code, err }));
      });
    const wide = await run(['--model', dir, '--http', '0', '--host', '0.0.0.0']);
    assert.equal(wide.code, 1);
    assert.match(wide.err, /needs a bearer token/);
    const bad = await run(['--model', dir, '--backend', 'openvino']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--backend must be one of/);
    const none = await run([]);
    assert.equal(none.code, 2);
    assert.match(none.err, /--model DIR is required/);
  });
});
