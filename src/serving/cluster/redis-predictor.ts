/** A model served by Cluster Serving workers, behind the HTTP frontend: each input becomes one Redis request. */
import type { Redis } from 'ioredis';
import type { ModelInput } from '../inputs.js';
import type { Predictor } from '../predictor.js';
import type { Prediction } from '../scores.js';
import { InputError, isTensorPayload, payloadToFloat32, type TensorPayload } from '../tensor-payload.js';
import type { InputQueue } from './queues.js';
import { GROUP, requestsKey } from './wire.js';

/**
 * @example
 * ```ts
 * const queue = new InputQueue('redis://127.0.0.1:6379');
 * const server = await startServer({ models: { cxr: new RedisPredictor(queue, { classNames }) } });
 * ```
 */
export class RedisPredictor implements Predictor {
  readonly #queue: InputQueue;
  readonly #timeoutMs: number;
  readonly info: object;
  #depth = 0;
  #workers = 0;
  #refreshed = 0;

  constructor(queue: InputQueue, options: { timeoutMs?: number; info?: object } = {}) {
    this.#queue = queue;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.info = { serving: 'redis', name: queue.name, ...(options.info ?? {}) };
  }

  /** Refreshes the backlog and consumer count from Redis (at most every 500 ms; read by /metrics). */
  async refresh(redis: Redis): Promise<void> {
    if (Date.now() - this.#refreshed < 500) return;
    this.#refreshed = Date.now();
    this.#depth = await redis.xlen(requestsKey(this.#queue.name));
    try {
      const consumers = (await redis.xinfo('CONSUMERS', requestsKey(this.#queue.name), GROUP)) as unknown[][];
      // consumers seen within the last minute
      this.#workers = consumers.filter((c) => Number(c[c.indexOf('idle') + 1]) < 60_000).length;
    } catch {
      this.#workers = 0;
    }
  }

  get queueDepth(): number {
    return this.#depth;
  }

  get workers(): number {
    return this.#workers;
  }

  async predictOne(input: ModelInput, where = 'input'): Promise<Prediction> {
    if (!(input instanceof Uint8Array) && !isTensorPayload(input)) {
      throw new InputError(`${where}: Cluster Serving takes image/DICOM bytes or a JSON tensor`);
    }
    return this.#queue.predict(input, { timeoutMs: this.#timeoutMs });
  }

  async predict(batch: TensorPayload): Promise<Prediction[]> {
    const { shape, data } = payloadToFloat32(batch, 'batch');
    if (shape.length < 2) throw new InputError(`batch: a batch needs shape [batch, ...sample], got [${shape}]`);
    const [b, ...rest] = shape as [number, ...number[]];
    const size = rest.reduce((x, y) => x * y, 1);
    return Promise.all(
      Array.from({ length: b }, (_, i) =>
        this.#queue.predict(
          { dtype: 'float32', shape: rest, data: data.subarray(i * size, (i + 1) * size) },
          { timeoutMs: this.#timeoutMs },
        ),
      ),
    );
  }
}
