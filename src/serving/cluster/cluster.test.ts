import assert from 'node:assert/strict';
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { ToTensor } from '../../data/image/photometric.js';
import { startServer } from '../http/server.js';
import { BusyError, InferenceModel } from '../inference-model.js';
import { saveTinyModel, tinyInputs } from '../model.testutil.js';
import { type RedisServer, startRedisServer } from '../redis-server.testutil.js';
import { InputError } from '../tensor-payload.js';
import { InputQueue, OutputQueue } from './queues.js';
import { RedisPredictor } from './redis-predictor.js';
import { GROUP, requestsKey } from './wire.js';
import { ClusterWorker } from './worker.js';
import type { WorkerProcessConfig } from './worker-process.js';

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = a.length === b.length ? 0 : Number.POSITIVE_INFINITY;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

const sample = (i: number) => ({ dtype: 'float32' as const, shape: [1, 16, 16], data: tinyInputs(1, i) });

/** Forks a worker process and resolves once it has joined the group. */
function startWorkerProcess(config: WorkerProcessConfig): Promise<{ child: ChildProcess; consumer: string }> {
  const child = fork(new URL('./worker-process.js', import.meta.url), [JSON.stringify(config)], { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('message', (m: { type: string; consumer?: string; message?: string }) => {
      if (m.type === 'ready') resolve({ child, consumer: m.consumer as string });
      else reject(new Error(m.message));
    });
    child.once('exit', (code) => reject(new Error(`worker exited ${code}`)));
  });
}

describe('Cluster Serving over Redis Streams', () => {
  let tmp: string;
  let dir: string;
  let redis: RedisServer;
  let model: InferenceModel;
  let expected: Float32Array[];

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'tszoo-cluster-'));
    dir = join(tmp, 'tiny');
    await saveTinyModel(dir);
    redis = await startRedisServer();
    model = await InferenceModel.load(dir, { transform: ToTensor(), threadsPerWorker: 1 });
    expected = (await model.predict(Array.from({ length: 10 }, (_, i) => sample(i)))).map((p) => p.output);
  });
  after(async () => {
    await model.close();
    await redis.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('round trip through Redis, and through HTTP in front of Redis, equals in-process predict', async () => {
    const name = 'roundtrip';
    const worker = new ClusterWorker(model, redis.url, { name });
    await worker.start();
    const queue = new InputQueue(redis.url, { name });
    const out = new OutputQueue(redis.url, { name });
    const server = await startServer({ models: { tiny: new RedisPredictor(queue, { timeoutMs: 10_000 }) }, port: 0 });
    try {
      const viaRedis = await Promise.all(
        Array.from({ length: 10 }, (_, i) => queue.predict(sample(i), { timeoutMs: 10_000 })),
      );
      for (const [i, p] of viaRedis.entries())
        assert.ok(maxDiff(p.output, expected[i] as Float32Array) < 1e-5, `request ${i}`);
      const res = await fetch(`${server.url}/v1/models/tiny/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ dtype: 'float32', shape: [2, 1, 16, 16], data: Array.from(tinyInputs(2)) }),
      });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { predictions: { output: number[] }[] };
      for (const [i, p] of body.predictions.entries()) assert.ok(maxDiff(p.output, expected[i] as Float32Array) < 1e-5);
      // fire and forget, then the OutputQueue
      await queue.enqueue('req-7', sample(7));
      let r = null;
      for (let i = 0; i < 200 && r === null; i++) {
        r = await out.query('req-7');
        if (r === null) await new Promise((s) => setTimeout(s, 20));
      }
      assert.ok(r && maxDiff(r.output, expected[7] as Float32Array) < 1e-5);
      // undecodable inputs get error results; the stream keeps moving
      const pixels = Buffer.alloc(16 * 16, 100);
      const png = await sharp(pixels, { raw: { width: 16, height: 16, channels: 1 } })
        .png()
        .toBuffer();
      await assert.rejects(queue.predict(new Uint8Array(png.subarray(0, 30)), { timeoutMs: 10_000 }), InputError);
      const dicom = new Uint8Array(Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.alloc(40, 3)]));
      await assert.rejects(queue.predict(dicom, { timeoutMs: 10_000 }), InputError);
      await assert.rejects(
        queue.predict({ dtype: 'float32', shape: [2, 16, 16], data: new Float32Array(512) }, { timeoutMs: 10_000 }),
        /does not match the model's/,
      );
      assert.ok(maxDiff((await queue.predict(new Uint8Array(png), { timeoutMs: 10_000 })).output, [0, 0, 0]) < 1);
      const admin = new Redis(redis.url);
      assert.equal(await admin.xlen(requestsKey(name)), 0);
      admin.disconnect();
    } finally {
      await server.close();
      await queue.close();
      await out.close();
      await worker.stop();
    }
  });

  it('a worker batches the entries waiting in the stream (one bad entry fails alone); /metrics shows the sizes', async () => {
    const name = 'batching';
    const queue = new InputQueue(redis.url, { name });
    const server = await startServer({ models: { tiny: new RedisPredictor(queue, { timeoutMs: 20_000 }) }, port: 0 });
    const worker = new ClusterWorker(model, redis.url, { name });
    // entries this worker holds (read, not acknowledged) each time it starts a batch: at most one batch per
    // model copy, so that none wait inside a busy worker while another could take them
    const admin = new Redis(redis.url);
    const held: number[] = [];
    const predictEach = model.predictEach;
    model.predictEach = async (...args) => {
      const pending = (await admin.xpending(requestsKey(name), GROUP)) as [number, ...unknown[]];
      held.push(pending[0]);
      return predictEach.apply(model, args);
    };
    try {
      // 10 requests wait in the stream before any worker reads it; the 4th cannot be decoded
      const bad = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]); // a truncated PNG
      const results = Array.from({ length: 10 }, (_, i) =>
        queue.predict(i === 3 ? bad : sample(i), { timeoutMs: 20_000 }).then(
          (p) => p,
          (e: Error) => e,
        ),
      );
      while ((await queue.length()) < 10) await new Promise((r) => setTimeout(r, 10));
      await worker.start();
      const got = await Promise.all(results);
      for (const [i, p] of got.entries()) {
        if (i === 3) assert.ok(p instanceof InputError, `request 3: ${p}`);
        else assert.ok(!(p instanceof Error) && maxDiff(p.output, expected[i] as Float32Array) < 1e-5, `request ${i}`);
      }
      // the model's maxBatch is 8: a read of 8 entries (7 good ones run as one batch), then the last 2
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      const sizes = [...metrics.matchAll(/tszoo_batches_total\{model="tiny",size="(\d+)"\} (\d+)/g)].map((m) => [
        Number(m[1]),
        Number(m[2]),
      ]);
      assert.deepEqual(sizes, [
        [2, 1],
        [7, 1],
      ]);
      assert.deepEqual(held, [8, 2], 'entries held by the worker when it started each batch');
      assert.match(metrics, /tszoo_workers\{model="tiny"\} 1/);
      assert.match(metrics, /tszoo_queue_depth\{model="tiny"\} 0/);
    } finally {
      model.predictEach = predictEach;
      admin.disconnect();
      await server.close();
      await queue.close();
      await worker.stop();
    }
  });

  it('overload: a bounded stream says busy (429 with Retry-After), loses nothing, and recovers', async () => {
    const name = 'overload';
    const queue = new InputQueue(redis.url, { name, maxLength: 20 });
    const server = await startServer({ models: { tiny: new RedisPredictor(queue, { timeoutMs: 20_000 }) }, port: 0 });
    const admin = new Redis(redis.url);
    try {
      // no worker yet: the stream fills to its bound, then every enqueue is refused
      const waiting = Array.from({ length: 20 }, (_, i) => queue.predict(sample(i % 10), { timeoutMs: 20_000 }));
      while ((await admin.xlen(requestsKey(name))) < 20) await new Promise((r) => setTimeout(r, 5));
      const refused = await Promise.allSettled(Array.from({ length: 15 }, (_, i) => queue.predict(sample(i % 10))));
      assert.ok(refused.every((r) => r.status === 'rejected' && r.reason instanceof BusyError));
      const res = await fetch(`${server.url}/v1/models/tiny/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ dtype: 'float32', shape: [1, 1, 16, 16], data: Array.from(tinyInputs(1)) }),
      });
      assert.equal(res.status, 429);
      assert.equal(res.headers.get('retry-after'), '1');
      assert.match(((await res.json()) as { error: string }).error, /busy/);
      assert.equal(await admin.xlen(requestsKey(name)), 20);
      // a worker drains it: every accepted request gets its result
      const worker = new ClusterWorker(model, redis.url, { name });
      await worker.start();
      const done = await Promise.all(waiting);
      for (const [i, p] of done.entries()) assert.ok(maxDiff(p.output, expected[i % 10] as Float32Array) < 1e-5);
      assert.equal((await queue.predict(sample(3), { timeoutMs: 10_000 })).output.length, 3);
      await worker.stop();
      // the memory guard: past the fraction of maxmemory, enqueue refuses too
      await admin.config('SET', 'maxmemory', String(64 * 1024 * 1024));
      const guarded = new InputQueue(redis.url, { name, memoryGuard: 1e-6 });
      await assert.rejects(
        guarded.enqueue('m-1', sample(1)),
        (e: Error) => e instanceof BusyError && /memory/.test(e.message),
      );
      await guarded.close();
      await admin.config('SET', 'maxmemory', '0');
    } finally {
      admin.disconnect();
      await server.close();
      await queue.close();
    }
  });

  it('a request whose workers keep dying on it gets an error result after maxDeliveries, not a fourth crash', async () => {
    const name = 'poison';
    const admin = new Redis(redis.url);
    const queue = new InputQueue(redis.url, { name });
    const out = new OutputQueue(redis.url, { name });
    const worker = new ClusterWorker(model, redis.url, { name, claimIdleMs: 200, maxDeliveries: 3 });
    await worker.start();
    try {
      await worker.stop(); // the group exists; now stage the poison entry by hand
      await queue.enqueue('poison-1', sample(1));
      const key = requestsKey(name);
      const read = (await admin.xreadgroup('GROUP', GROUP, 'ghost-1', 'COUNT', 1, 'STREAMS', key, '>')) as [
        string,
        [string, string[]][],
      ][];
      const entryId = read[0]?.[1][0]?.[0] as string;
      await admin.xclaim(key, GROUP, 'ghost-2', 0, entryId);
      await admin.xclaim(key, GROUP, 'ghost-3', 0, entryId); // delivered 3 times, 3 workers died
      const ghosts = ((await admin.xinfo('CONSUMERS', key, GROUP)) as string[][]).filter((c) =>
        c[1]?.startsWith('ghost'),
      );
      assert.equal(ghosts.length, 3);
      const survivor = new ClusterWorker(model, redis.url, { name, claimIdleMs: 200, maxDeliveries: 3 });
      await survivor.start();
      let result: unknown = null;
      for (let i = 0; i < 200 && result === null; i++) {
        result = await out.query('poison-1').catch((e: Error) => e);
        if (result === null) await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(result instanceof Error && /delivered 4 times without a result/.test(result.message), String(result));
      // the ghosts hold nothing now and read nothing for 10 claim periods: the survivor removes them from the group
      const names = async () =>
        ((await admin.xinfo('CONSUMERS', requestsKey(name), GROUP)) as string[][]).map((c) => c[c.indexOf('name') + 1]);
      for (let i = 0; i < 100 && (await names()).some((n) => n?.startsWith('ghost')); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual(
        (await names()).filter((n) => n?.startsWith('ghost')),
        [],
      );
      await survivor.stop();
      assert.equal(await admin.xlen(key), 0);
    } finally {
      admin.disconnect();
      await queue.close();
      await out.close();
    }
  });

  it('workers reconnect after Redis restarts under them', async () => {
    const name = 'restart';
    const worker = new ClusterWorker(model, redis.url, { name });
    await worker.start();
    const queue = new InputQueue(redis.url, { name });
    try {
      assert.ok(
        maxDiff((await queue.predict(sample(1), { timeoutMs: 10_000 })).output, expected[1] as Float32Array) < 1e-5,
      );
      await redis.restart(); // empty: stream and group are gone
      let p = null;
      for (let attempt = 0; attempt < 20 && p === null; attempt++) {
        p = await queue.predict(sample(2), { timeoutMs: 3000 }).catch(() => null);
      }
      assert.ok(p && maxDiff(p.output, expected[2] as Float32Array) < 1e-5);
    } finally {
      await queue.close();
      await worker.stop();
    }
  });

  it('a worker stops while its Redis is down (it does not wait for Redis forever)', { timeout: 60_000 }, async () => {
    const own = await startRedisServer();
    const worker = new ClusterWorker(model, own.url, { name: 'gone' });
    await worker.start();
    const queue = new InputQueue(own.url, { name: 'gone' });
    try {
      assert.ok(
        maxDiff((await queue.predict(sample(1), { timeoutMs: 10_000 })).output, expected[1] as Float32Array) < 1e-5,
      );
    } finally {
      await queue.close();
      await own.stop();
    }
    await worker.stop(); // before the fix: its read loops waited for a reconnection that never came
    assert.equal(worker.processed, 1);
  });

  it('SIGKILL of a worker with 1,000 requests in flight: every request gets one result; the survivor claims the pending', async () => {
    const name = 'kill';
    const config: WorkerProcessConfig = {
      model: dir,
      redisUrl: redis.url,
      name,
      threadsPerWorker: 1,
      claimIdleMs: 1000,
    };
    const a = await startWorkerProcess(config);
    const b = await startWorkerProcess(config);
    const queue = new InputQueue(redis.url, { name, maxLength: 5000 });
    const admin = new Redis(redis.url);
    try {
      let settled = 0;
      const all = Array.from({ length: 1000 }, (_, i) =>
        queue.predict(sample(i % 10), { timeoutMs: 120_000 }).finally(() => {
          settled++;
        }),
      );
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      while (settled < 100) await sleep(5);
      // kill `a` while it holds entries it has read and not acknowledged: stop it, let its last commands
      // land, look; on a fast machine it may have acknowledged everything at that instant, so try again
      const pendingOfA = async () =>
        ((await admin.xpending(requestsKey(name), GROUP, '-', '+', 10, a.consumer)) as unknown[]).length;
      for (;;) {
        assert.ok(settled < 1000, 'worker a never held a pending entry while requests were in flight');
        a.child.kill('SIGSTOP');
        await sleep(50);
        if ((await pendingOfA()) > 0) break;
        a.child.kill('SIGCONT');
        await sleep(5);
      }
      a.child.kill('SIGKILL');
      const results = await Promise.allSettled(all);
      const failed = results.filter((r) => r.status === 'rejected');
      assert.equal(failed.length, 0, String((failed[0] as PromiseRejectedResult | undefined)?.reason));
      results.forEach((r, i) => {
        assert.ok(
          maxDiff(
            (r as PromiseFulfilledResult<{ output: Float32Array }>).value.output,
            expected[i % 10] as Float32Array,
          ) < 1e-5,
        );
      });
      const replies = (await admin.xrange(queue.replyStream, '-', '+')).map(([, f]) => JSON.parse(f[3] as string));
      const ids = new Set(replies.map((r) => r.id));
      assert.equal(ids.size, 1000);
      const claimed = replies.filter((r) => r.claimed);
      assert.ok(claimed.length > 0, 'the dead worker left pending entries; the survivor claimed them');
      assert.ok(claimed.every((r) => r.worker === b.consumer));
      assert.equal(await admin.xlen(requestsKey(name)), 0);
      const pending = (await admin.xpending(requestsKey(name), GROUP)) as [number, ...unknown[]];
      assert.equal(pending[0], 0);
    } finally {
      admin.disconnect();
      await queue.close();
      a.child.kill('SIGKILL');
      b.child.kill('SIGTERM');
      await new Promise((r) => b.child.once('exit', r));
    }
  });
});
