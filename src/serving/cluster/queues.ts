/**
 * Cluster Serving's client (the seed's InputQueue / OutputQueue shape): requests go into a Redis stream,
 * results come back on the client's own reply stream. Back-pressure is an error the caller sees: a full
 * stream or Redis memory past the guard makes `enqueue` reject with a BusyError; a missing result makes
 * `predict` reject with a PredictTimeoutError. Nothing is dropped silently.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { BusyError } from '../inference-model.js';
import { PredictTimeoutError } from '../predictor.js';
import type { Prediction } from '../scores.js';
import { InputError, type TensorPayload } from '../tensor-payload.js';
import {
  batchesKey,
  DEFAULT_NAME,
  encodeRequest,
  GROUP,
  predictionOf,
  type ResultMessage,
  replyKey,
  requestsKey,
  resultKey,
} from './wire.js';

/** Options of {@link InputQueue}. */
export interface InputQueueOptions {
  /** the serving's name (keys `tszoo:<name>:...`; default 'serving_stream') */
  name?: string;
  /** requests the stream may hold before enqueue says busy (default 10,000) */
  maxLength?: number;
  /** enqueue says busy when Redis' used_memory passes this fraction of maxmemory (default 0.6; needs maxmemory set) */
  memoryGuard?: number;
  /** seconds the reply stream lives after its last result (default 3600) */
  replyTtlSeconds?: number;
}

// Adds a request unless the stream holds maxLength entries already (atomically: no check-then-add race).
const ENQUEUE = `
local n = redis.call('XLEN', KEYS[1])
if n >= tonumber(ARGV[1]) then return -1 end
redis.call('XADD', KEYS[1], '*', 'id', ARGV[2], 'reply', ARGV[3], 'kind', ARGV[4], 'dtype', ARGV[5], 'shape', ARGV[6], 'data', ARGV[7])
return n`;

function connect(redis: string | Redis): Redis {
  if (typeof redis !== 'string') return redis;
  const r = new Redis(redis, { maxRetriesPerRequest: 2 });
  r.on('error', () => {}); // ioredis reconnects by itself; failed commands reject with the error
  return r;
}

/** A Redis error that means "no room": maxmemory reached. */
function isOom(e: unknown): boolean {
  return e instanceof Error && /^OOM /.test(e.message);
}

/**
 * @example
 * ```ts
 * const queue = new InputQueue('redis://127.0.0.1:6379');
 * await queue.enqueue('my-image-1', await readFile('cat.png'));                  // fire and forget
 * const p = await queue.predict({ dtype: 'float32', shape: [1, 28, 28], data }, { timeoutMs: 5000 });
 * const r = await new OutputQueue('redis://127.0.0.1:6379').query('my-image-1');  // null until ready
 * await queue.close();
 * ```
 */
export class InputQueue {
  readonly name: string;
  readonly #redis: Redis;
  readonly #owned: boolean;
  readonly #maxLength: number;
  readonly #memoryGuard: number;
  readonly #replyTtl: number;
  readonly #client = randomUUID();
  readonly #waiting = new Map<string, { resolve: (p: Prediction) => void; reject: (e: Error) => void }>();
  #reader: Redis | null = null;
  #closed = false;
  #memoryCheckedAt = 0;
  #memoryFull = false;
  #lastReply = '0-0'; // the stream is this client's own: read it from its start
  #readerLoop: Promise<void> | null = null;

  constructor(redis: string | Redis, options: InputQueueOptions = {}) {
    this.name = options.name ?? DEFAULT_NAME;
    this.#redis = connect(redis);
    this.#owned = typeof redis === 'string';
    this.#maxLength = options.maxLength ?? 10_000;
    this.#memoryGuard = options.memoryGuard ?? 0.6;
    this.#replyTtl = options.replyTtlSeconds ?? 3600;
    this.#redis.defineCommand('tszooEnqueue', { numberOfKeys: 1, lua: ENQUEUE });
  }

  /** This client's reply stream. */
  get replyStream(): string {
    return replyKey(this.name, this.#client);
  }

  /** Requests in the stream now (waiting or being processed). */
  async length(): Promise<number> {
    return this.#redis.xlen(requestsKey(this.name));
  }

  /**
   * The stream's backlog, the consumers (workers) that read within `activeMs` (default a minute), and the
   * batch sizes the workers ran (size -> batches).
   */
  async stats(activeMs = 60_000): Promise<{ length: number; workers: number; batchSizes: Map<number, number> }> {
    const key = requestsKey(this.name);
    const [length, counts] = await Promise.all([this.#redis.xlen(key), this.#redis.hgetall(batchesKey(this.name))]);
    let workers = 0;
    try {
      const consumers = (await this.#redis.xinfo('CONSUMERS', key, GROUP)) as unknown[][];
      workers = consumers.filter((c) => Number(c[c.indexOf('idle') + 1]) < activeMs).length;
    } catch {
      // no group yet: no workers
    }
    const batchSizes = new Map(
      Object.entries(counts)
        .map(([size, n]) => [Number(size), Number(n)] as [number, number])
        .sort((a, b) => a[0] - b[0]),
    );
    return { length, workers, batchSizes };
  }

  async #checkMemory(): Promise<void> {
    const now = Date.now();
    if (now - this.#memoryCheckedAt < 100) {
      if (this.#memoryFull) throw this.#busy('Redis memory is past the guard');
      return;
    }
    this.#memoryCheckedAt = now;
    const info = await this.#redis.info('memory');
    const used = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
    const max = Number(/maxmemory:(\d+)/.exec(info)?.[1] ?? 0);
    this.#memoryFull = max > 0 && used >= this.#memoryGuard * max;
    if (this.#memoryFull) {
      throw this.#busy(`Redis memory ${used} bytes is past ${this.#memoryGuard} of maxmemory ${max}`);
    }
  }

  #busy(why: string): BusyError {
    return new BusyError(`serving '${this.name}' is busy: ${why}; retry later`, 1);
  }

  /**
   * Adds a request: image/DICOM bytes or a tensor of one sample. `reply` (default: none) names the stream
   * the result is also added to; the result is always readable with OutputQueue.query(id).
   *
   * @throws {BusyError} when the stream is full or Redis memory is past the guard (nothing was added).
   */
  async enqueue(id: string, input: Uint8Array | TensorPayload, options: { reply?: string } = {}): Promise<void> {
    const f = encodeRequest(id, options.reply ?? '', input);
    await this.#checkMemory();
    let n: number;
    try {
      n = (await (this.#redis as unknown as { tszooEnqueue: (...a: unknown[]) => Promise<number> }).tszooEnqueue(
        requestsKey(this.name),
        this.#maxLength,
        f.id,
        f.reply,
        f.kind,
        f.dtype,
        f.shape,
        f.data,
      )) as number;
    } catch (e) {
      if (isOom(e)) throw this.#busy('Redis is out of memory (maxmemory)');
      throw e;
    }
    if (n < 0) throw this.#busy(`${this.#maxLength} requests are queued`);
  }

  /**
   * Enqueues one input and waits for its result on this client's reply stream.
   *
   * @throws {BusyError} when the queue is full; {@link PredictTimeoutError} after `timeoutMs` (default
   * 30 s); {@link InputError} when a worker could not decode or check the input.
   */
  async predict(input: Uint8Array | TensorPayload, options: { timeoutMs?: number } = {}): Promise<Prediction> {
    if (this.#closed) throw new Error('InputQueue: closed');
    this.#startReader();
    const id = randomUUID();
    const timeoutMs = options.timeoutMs ?? 30_000;
    const result = new Promise<Prediction>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new PredictTimeoutError(`serving '${this.name}': no result for request ${id} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(id, {
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
    try {
      await this.enqueue(id, input, { reply: this.replyStream });
    } catch (e) {
      this.#waiting.get(id)?.reject(e as Error);
      this.#waiting.delete(id);
    }
    return result;
  }

  /** Reads the reply stream and settles the waiting predictions (a duplicate result is ignored). */
  #startReader(): void {
    if (this.#reader) return;
    this.#reader = this.#redis.duplicate();
    this.#reader.on('error', () => {});
    const reader = this.#reader;
    this.#readerLoop = (async () => {
      while (!this.#closed) {
        let res: [string, [string, string[]][]][] | null;
        try {
          res = (await reader.xread(
            'COUNT',
            1000,
            'BLOCK',
            500,
            'STREAMS',
            this.replyStream,
            this.#lastReply,
          )) as typeof res;
        } catch {
          if (this.#closed) break;
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
        for (const [, entries] of res ?? []) {
          for (const [entryId, flat] of entries) {
            this.#lastReply = entryId;
            const json = flat[flat.indexOf('result') + 1];
            if (!json) continue;
            const r = JSON.parse(json) as ResultMessage;
            const w = this.#waiting.get(r.id);
            if (!w) continue;
            this.#waiting.delete(r.id);
            if (r.ok) w.resolve(predictionOf(r));
            else if (r.status === 400) w.reject(new InputError(r.error));
            else w.reject(new Error(`serving '${this.name}': ${r.error}`));
          }
        }
      }
    })();
  }

  /** Requests waiting for their results. */
  get pending(): number {
    return this.#waiting.size;
  }

  /** Stops reading results (waiting predictions reject) and closes the connections this queue opened. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const [, w] of this.#waiting) w.reject(new Error('InputQueue: closed'));
    this.#waiting.clear();
    this.#reader?.disconnect();
    await this.#readerLoop;
    if (this.#owned) this.#redis.disconnect();
  }

  /** Seconds a reply stream lives (workers refresh its TTL with each result). */
  get replyTtlSeconds(): number {
    return this.#replyTtl;
  }
}

/**
 * Results by request id, for requests enqueued without waiting (the seed's OutputQueue).
 *
 * @example
 * ```ts
 * const out = new OutputQueue('redis://127.0.0.1:6379');
 * const r = await out.query('my-image-1');    // Prediction, or null while not ready; throws for an error result
 * const all = await out.dequeue();            // every ready result, removed from Redis
 * ```
 */
export class OutputQueue {
  readonly name: string;
  readonly #redis: Redis;
  readonly #owned: boolean;

  constructor(redis: string | Redis, options: { name?: string } = {}) {
    this.name = options.name ?? DEFAULT_NAME;
    this.#redis = connect(redis);
    this.#owned = typeof redis === 'string';
  }

  #parse(json: string): Prediction {
    const r = JSON.parse(json) as ResultMessage;
    if (!r.ok) throw r.status === 400 ? new InputError(r.error) : new Error(r.error);
    return predictionOf(r);
  }

  /** The result of request `id`: a Prediction, null when not ready (or expired); throws for an error result. */
  async query(id: string, options: { delete?: boolean } = {}): Promise<Prediction | null> {
    const key = resultKey(this.name, id);
    const json = options.delete ? await this.#redis.getdel(key) : await this.#redis.get(key);
    return json === null ? null : this.#parse(json);
  }

  /** Every ready result, by request id (an error result as its Error), removed from Redis. */
  async dequeue(): Promise<Map<string, Prediction | Error>> {
    const out = new Map<string, Prediction | Error>();
    const prefix = resultKey(this.name, '');
    let cursor = '0';
    do {
      const [next, keys] = await this.#redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const json = await this.#redis.getdel(key);
        if (json === null) continue;
        try {
          out.set(key.slice(prefix.length), this.#parse(json));
        } catch (e) {
          out.set(key.slice(prefix.length), e as Error);
        }
      }
    } while (cursor !== '0');
    return out;
  }

  async close(): Promise<void> {
    if (this.#owned) this.#redis.disconnect();
  }
}
