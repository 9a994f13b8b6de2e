/**
 * A Cluster Serving worker: a consumer in the stream's group that reads requests (XREADGROUP), predicts
 * them with an InferenceModel, writes each result with a TTL, then XACKs and XDELs. At-least-once: entries
 * a dead worker read but never acknowledged are claimed by the others after `claimIdleMs` (XAUTOCLAIM). A
 * request that cannot be decoded or predicted gets an error result.
 *
 * Dynamic batching across the stream: one read loop per model copy takes whatever entries are waiting, up
 * to `maxBatch`; when it got fewer it waits `maxDelayMs` once and takes what arrived meanwhile; those
 * entries run as one batch, and the loop reads again only when that batch is done. So a worker never holds
 * entries it cannot start on: with several workers, waiting entries go to whichever has a free copy instead
 * of queueing behind a busy one (head-of-line blocking). The batch sizes run are counted in the hash
 * `tszoo:N:batches` (size -> batches), which the HTTP frontend shows in /metrics.
 */
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import type { InferenceModel } from '../inference-model.js';
import type { ModelInput } from '../inputs.js';
import { type Prediction, predictionJson } from '../scores.js';
import { InputError } from '../tensor-payload.js';
import {
  batchesKey,
  DEFAULT_NAME,
  decodeRequest,
  fieldMap,
  GROUP,
  type ResultMessage,
  requestsKey,
  resultKey,
} from './wire.js';

/** Options of {@link ClusterWorker}. */
export interface ClusterWorkerOptions {
  /** the serving's name (default 'serving_stream') */
  name?: string;
  /** this consumer's name in the group (default host-pid-random) */
  consumer?: string;
  /** the most entries one read takes, i.e. the largest batch formed from the stream (default the model's maxBatch) */
  readCount?: number;
  /** when a read got fewer than readCount, wait this long once for more (default the model's maxDelayMs) */
  maxDelayMs?: number;
  /** a pending entry idle this long is claimed from its (dead) consumer (default 30,000 ms) */
  claimIdleMs?: number;
  /** seconds a result stays readable (default 3600) */
  resultTtlSeconds?: number;
  /**
   * read loops, each on its own connection and each holding at most one batch (default the model's
   * concurrency: one per model copy, so that no entry waits in a worker for a busy copy)
   */
  readers?: number;
  /** an entry delivered this many times (its workers died on it) gets an error result instead (default 3) */
  maxDeliveries?: number;
}

type Entry = [string, Buffer[]];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * @example
 * ```ts
 * const model = await InferenceModel.load('models/tiny', { transform: ToTensor() });
 * const worker = new ClusterWorker(model, 'redis://127.0.0.1:6379');
 * await worker.start();            // serves until stop()
 * process.on('SIGTERM', () => worker.stop());
 * ```
 */
export class ClusterWorker {
  readonly name: string;
  readonly consumer: string;
  readonly #url: string;
  readonly #model: InferenceModel;
  readonly #readCount: number;
  readonly #maxDelayMs: number;
  readonly #claimIdleMs: number;
  readonly #ttl: number;
  readonly #readers: number;
  readonly #maxDeliveries: number;
  readonly #conns: Redis[] = [];
  #running = false;
  #loops: Promise<void>[] = [];
  #lastClaim = 0;
  /** batch size -> batches already counted in Redis */
  readonly #counted = new Map<number, number>();
  /** results written (claimed ones included) */
  processed = 0;
  /** entries claimed from other consumers */
  claimed = 0;

  constructor(model: InferenceModel, redisUrl: string, options: ClusterWorkerOptions = {}) {
    this.#model = model;
    this.#url = redisUrl;
    this.name = options.name ?? DEFAULT_NAME;
    this.consumer = options.consumer ?? `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    this.#readCount = options.readCount ?? model.info.maxBatch;
    this.#maxDelayMs = options.maxDelayMs ?? model.info.maxDelayMs;
    this.#claimIdleMs = options.claimIdleMs ?? 30_000;
    this.#ttl = options.resultTtlSeconds ?? 3600;
    this.#readers = options.readers ?? model.info.concurrency;
    this.#maxDeliveries = options.maxDeliveries ?? 3;
  }

  #connect(): Redis {
    // retries forever: a restarted Redis is reconnected to, and the group recreated
    const r = new Redis(this.#url, { maxRetriesPerRequest: null, retryStrategy: (n) => Math.min(n * 100, 1000) });
    r.on('error', () => {}); // reconnection is automatic; errors surface in the loop's commands
    this.#conns.push(r);
    return r;
  }

  async #ensureGroup(r: Redis): Promise<void> {
    try {
      await r.xgroup('CREATE', requestsKey(this.name), GROUP, '0', 'MKSTREAM');
    } catch (e) {
      if (!/BUSYGROUP/.test((e as Error).message)) throw e;
    }
  }

  /** Joins the group and starts reading; resolves once the group exists. */
  async start(): Promise<void> {
    this.#running = true;
    // count only the batches run from now on (the model may have served before)
    for (const [size, n] of this.#model.batchSizes) this.#counted.set(size, n);
    const first = this.#connect();
    await this.#ensureGroup(first);
    this.#loops = [this.#loop(first), ...Array.from({ length: this.#readers - 1 }, () => this.#loop(this.#connect()))];
  }

  /**
   * Finishes the entries being processed, then disconnects (unfinished reads stay pending for others). While
   * Redis is unreachable nothing can finish: the connections are closed at once (the commands waiting on
   * them fail, their entries stay pending and are claimed once Redis is back), instead of waiting for a
   * Redis that may never return.
   */
  async stop(): Promise<void> {
    this.#running = false;
    let finished = false;
    const loops = Promise.all(this.#loops).then(() => {
      finished = true;
    });
    while (!finished) {
      if (this.#conns.some((c) => c.status !== 'ready')) for (const c of this.#conns) c.disconnect();
      await Promise.race([loops, sleep(200)]);
    }
    for (const c of this.#conns) c.disconnect();
  }

  /**
   * Removes consumers that hold nothing and have not read for 10 claim periods (workers that died or
   * stopped), so that the group does not grow with every restart; a live one would be re-added on its next
   * read anyway.
   */
  async #forgetDeadConsumers(r: Redis): Promise<void> {
    const key = requestsKey(this.name);
    const consumers = (await r.xinfo('CONSUMERS', key, GROUP)) as (string | number)[][];
    for (const c of consumers) {
      const field = (k: string) => c[c.indexOf(k) + 1];
      const name = String(field('name'));
      if (name !== this.consumer && Number(field('pending')) === 0 && Number(field('idle')) > 10 * this.#claimIdleMs) {
        await r.xgroup('DELCONSUMER', key, GROUP, name);
      }
    }
  }

  /** Delivery counts of pending entries (XPENDING's extended form). */
  async #deliveries(r: Redis, ids: string[]): Promise<Map<string, number>> {
    const key = requestsKey(this.name);
    const rows = (await r.xpending(key, GROUP, ids[0] as string, ids[ids.length - 1] as string, ids.length * 2)) as [
      string,
      string,
      number,
      number,
    ][];
    return new Map(rows.map(([id, , , n]) => [id, n]));
  }

  async #read(r: Redis): Promise<{ entries: Entry[]; claimed: boolean; deliveries?: Map<string, number> }> {
    const key = requestsKey(this.name);
    const now = Date.now();
    if (now - this.#lastClaim >= this.#claimIdleMs / 2) {
      this.#lastClaim = now;
      const res = (await r.callBuffer(
        'XAUTOCLAIM',
        key,
        GROUP,
        this.consumer,
        this.#claimIdleMs,
        '0-0',
        'COUNT',
        this.#readCount,
      )) as [Buffer, Entry[]];
      await this.#forgetDeadConsumers(r);
      const entries = (res[1] ?? []).filter((e) => e?.[1]);
      if (entries.length > 0) {
        this.claimed += entries.length;
        this.#lastClaim = 0; // there may be more: look again next time
        const claimed: Entry[] = entries.map(([id, f]) => [String(id), f]);
        return {
          entries: claimed,
          claimed: true,
          deliveries: await this.#deliveries(
            r,
            claimed.map(([id]) => id),
          ),
        };
      }
    }
    const entries = await this.#readNew(r, this.#readCount, 500);
    if (entries.length > 0 && entries.length < this.#readCount && this.#maxDelayMs > 0) {
      await sleep(this.#maxDelayMs);
      entries.push(...(await this.#readNew(r, this.#readCount - entries.length, null)));
    }
    return { entries, claimed: false };
  }

  /** Up to `count` entries never delivered to any consumer; waits up to `blockMs` for the first (null: no wait). */
  async #readNew(r: Redis, count: number, blockMs: number | null): Promise<Entry[]> {
    const block = blockMs === null ? [] : ['BLOCK', blockMs];
    const res = (await r.callBuffer(
      'XREADGROUP',
      'GROUP',
      GROUP,
      this.consumer,
      'COUNT',
      count,
      ...block,
      'STREAMS',
      requestsKey(this.name),
      '>',
    )) as [Buffer, Entry[]][] | null;
    return (res?.[0]?.[1] ?? []).map(([id, f]) => [String(id), f]);
  }

  async #loop(r: Redis): Promise<void> {
    // a batch's results are written while the next batch is read (same connection: Redis keeps the order)
    const writes = new Set<Promise<void>>();
    while (this.#running) {
      let batch: { entries: Entry[]; claimed: boolean; deliveries?: Map<string, number> };
      try {
        batch = await this.#read(r);
      } catch (e) {
        if (/NOGROUP/.test((e as Error).message)) {
          // Redis restarted empty (or the stream was deleted): recreate the group and go on
          await this.#ensureGroup(r).catch(() => {});
        } else {
          await sleep(200);
        }
        continue;
      }
      if (batch.entries.length === 0) continue;
      const results = await this.#handle(batch.entries, batch.claimed, batch.deliveries);
      const w: Promise<void> = this.#write(r, batch.entries, results).finally(() => writes.delete(w));
      writes.add(w);
    }
    await Promise.all(writes);
  }

  /** Decodes the entries and predicts the good ones as one batch; a result (or error result) for each. */
  async #handle(
    entries: Entry[],
    claimed: boolean,
    deliveries: Map<string, number> | undefined,
  ): Promise<{ result: ResultMessage; reply: string }[]> {
    const fail = (id: string, e: unknown) => {
      const status = e instanceof InputError ? 400 : 500;
      return { id, ok: false as const, error: (e as Error).message, status, worker: this.consumer };
    };
    const requests = entries.map(([entryId, flat]) => {
      const fields = fieldMap(flat);
      const id = fields.get('id')?.toString('utf8') ?? '';
      const reply = fields.get('reply')?.toString('utf8') ?? '';
      const n = deliveries?.get(entryId) ?? 1;
      if (n > this.#maxDeliveries) {
        // the workers that read it before all died: do not let it take down another one
        const error = `request ${id} was delivered ${n} times without a result (its workers died); not retried`;
        return { id, reply, result: { id, ok: false as const, error, status: 500, worker: this.consumer } };
      }
      try {
        return { id, reply, input: decodeRequest(fields).input };
      } catch (e) {
        return { id, reply, result: fail(id, e) };
      }
    });
    const runnable = requests.filter((q) => 'input' in q);
    const settled = await this.#model.predictEach(
      runnable.map((q) => q.input as ModelInput),
      runnable.map((q) => `request ${q.id}`),
    );
    const outcome = new Map(runnable.map((q, i) => [q, settled[i] as PromiseSettledResult<Prediction>]));
    return requests.map((q) => {
      if ('result' in q) return { result: q.result as ResultMessage, reply: q.reply };
      const s = outcome.get(q) as PromiseSettledResult<Prediction>;
      if (s.status === 'rejected') return { result: fail(q.id, s.reason), reply: q.reply };
      const prediction = predictionJson(s.value) as Extract<ResultMessage, { ok: true }>['prediction'];
      return { result: { id: q.id, ok: true, prediction, worker: this.consumer, claimed }, reply: q.reply };
    });
  }

  /** The batches the model ran since the last call (batch size -> count), counted as reported. */
  #newBatches(): Map<number, number> {
    const fresh = new Map<number, number>();
    for (const [size, n] of this.#model.batchSizes) {
      const d = n - (this.#counted.get(size) ?? 0);
      if (d > 0) {
        fresh.set(size, d);
        this.#counted.set(size, n);
      }
    }
    return fresh;
  }

  /** Results, then XACK and XDEL (and the batch sizes run), in one transaction; retried until Redis takes them. */
  async #write(r: Redis, entries: Entry[], results: { result: ResultMessage; reply: string }[]): Promise<void> {
    const key = requestsKey(this.name);
    const ids = entries.map(([id]) => id);
    const batches = this.#newBatches();
    for (;;) {
      const tx = r.multi();
      for (const [size, n] of batches) tx.hincrby(batchesKey(this.name), String(size), n);
      for (const { result, reply } of results) {
        const json = JSON.stringify(result);
        if (result.id) tx.set(resultKey(this.name, result.id), json, 'EX', this.#ttl);
        if (reply) {
          tx.xadd(reply, 'MAXLEN', '~', 100_000, '*', 'id', result.id, 'result', json);
          tx.expire(reply, this.#ttl);
        }
      }
      tx.xack(key, GROUP, ...ids);
      tx.xdel(key, ...ids);
      try {
        await tx.exec();
        this.processed += results.length;
        return;
      } catch {
        if (!this.#running && this.#conns.every((c) => c.status !== 'ready')) return;
        await sleep(200);
      }
    }
  }
}
