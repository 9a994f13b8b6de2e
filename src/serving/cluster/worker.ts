/**
 * A Cluster Serving worker: a consumer in the stream's group that reads requests (XREADGROUP), predicts
 * them with an InferenceModel (whose batcher groups them), writes each result with a TTL, then XACKs and
 * XDELs. At-least-once: entries a dead worker read but never acknowledged are claimed by the others after
 * `claimIdleMs` (XAUTOCLAIM). A request that cannot be decoded or predicted gets an error result.
 */
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import type { InferenceModel } from '../inference-model.js';
import { predictionJson } from '../scores.js';
import { InputError } from '../tensor-payload.js';
import { DEFAULT_NAME, decodeRequest, fieldMap, GROUP, type ResultMessage, requestsKey, resultKey } from './wire.js';

/** Options of {@link ClusterWorker}. */
export interface ClusterWorkerOptions {
  /** the serving's name (default 'serving_stream') */
  name?: string;
  /** this consumer's name in the group (default host-pid-random) */
  consumer?: string;
  /** entries read at once (default the model's maxBatch x concurrency) */
  readCount?: number;
  /** a pending entry idle this long is claimed from its (dead) consumer (default 30,000 ms) */
  claimIdleMs?: number;
  /** seconds a result stays readable (default 3600) */
  resultTtlSeconds?: number;
  /** reads in flight at once, each on its own connection, so the model never waits for Redis (default 2) */
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
  readonly #claimIdleMs: number;
  readonly #ttl: number;
  readonly #readers: number;
  readonly #maxDeliveries: number;
  readonly #conns: Redis[] = [];
  #running = false;
  #loops: Promise<void>[] = [];
  #lastClaim = 0;
  /** results written (claimed ones included) */
  processed = 0;
  /** entries claimed from other consumers */
  claimed = 0;

  constructor(model: InferenceModel, redisUrl: string, options: ClusterWorkerOptions = {}) {
    this.#model = model;
    this.#url = redisUrl;
    this.name = options.name ?? DEFAULT_NAME;
    this.consumer = options.consumer ?? `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    this.#readCount = options.readCount ?? model.info.maxBatch * model.info.concurrency;
    this.#claimIdleMs = options.claimIdleMs ?? 30_000;
    this.#ttl = options.resultTtlSeconds ?? 3600;
    this.#readers = options.readers ?? 2;
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
    const first = this.#connect();
    await this.#ensureGroup(first);
    this.#loops = [this.#loop(first), ...Array.from({ length: this.#readers - 1 }, () => this.#loop(this.#connect()))];
  }

  /** Finishes the entries being processed, then disconnects (unfinished reads stay pending for others). */
  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
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
    const res = (await r.xreadgroupBuffer(
      'GROUP',
      GROUP,
      this.consumer,
      'COUNT',
      this.#readCount,
      'BLOCK',
      500,
      'STREAMS',
      key,
      '>',
    )) as [Buffer, Entry[]][] | null;
    const entries = res?.[0]?.[1] ?? [];
    return { entries: entries.map(([id, f]) => [String(id), f]), claimed: false };
  }

  async #loop(r: Redis): Promise<void> {
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
      const results = await Promise.all(
        batch.entries.map(([id, f]) => this.#handle(f, batch.claimed, batch.deliveries?.get(id) ?? 1)),
      );
      await this.#write(r, batch.entries, results);
    }
  }

  async #handle(
    flat: Buffer[],
    claimed: boolean,
    deliveries: number,
  ): Promise<{ result: ResultMessage; reply: string }> {
    const fields = fieldMap(flat);
    const id = fields.get('id')?.toString('utf8') ?? '';
    const reply = fields.get('reply')?.toString('utf8') ?? '';
    if (deliveries > this.#maxDeliveries) {
      // the workers that read it before all died: do not let it take down another one
      const error = `request ${id} was delivered ${deliveries} times without a result (its workers died); not retried`;
      return { result: { id, ok: false, error, status: 500, worker: this.consumer }, reply };
    }
    try {
      const req = decodeRequest(fields);
      const p = await this.#model.predictOne(req.input, `request ${id}`);
      const prediction = predictionJson(p) as Extract<ResultMessage, { ok: true }>['prediction'];
      return { result: { id, ok: true, prediction, worker: this.consumer, claimed }, reply };
    } catch (e) {
      const status = e instanceof InputError ? 400 : 500;
      return { result: { id, ok: false, error: (e as Error).message, status, worker: this.consumer }, reply };
    }
  }

  /** Results, then XACK and XDEL, in one transaction; retried until Redis takes them. */
  async #write(r: Redis, entries: Entry[], results: { result: ResultMessage; reply: string }[]): Promise<void> {
    const key = requestsKey(this.name);
    const ids = entries.map(([id]) => id);
    for (;;) {
      const tx = r.multi();
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
