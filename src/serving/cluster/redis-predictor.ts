/** A model served by Cluster Serving workers, behind the HTTP frontend: each input becomes one Redis request. */
import type { ModelInput } from '../inputs.js';
import type { Predictor } from '../predictor.js';
import type { Prediction } from '../scores.js';
import { InputError, isTensorPayload, payloadToFloat32, type TensorPayload } from '../tensor-payload.js';
import type { InputQueue } from './queues.js';

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
  #batchSizes: ReadonlyMap<number, number> = new Map();

  constructor(queue: InputQueue, options: { timeoutMs?: number; info?: object } = {}) {
    this.#queue = queue;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.info = { serving: 'redis', name: queue.name, ...(options.info ?? {}) };
  }

  /** Reads the backlog, the workers seen within the last minute and the batch sizes they ran from Redis (/metrics calls it). */
  async refresh(): Promise<void> {
    const s = await this.#queue.stats();
    this.#depth = s.length;
    this.#workers = s.workers;
    this.#batchSizes = s.batchSizes;
  }

  get queueDepth(): number {
    return this.#depth;
  }

  get workers(): number {
    return this.#workers;
  }

  /** batch size -> batches the workers ran (as of the last refresh) */
  get batchSizes(): ReadonlyMap<number, number> {
    return this.#batchSizes;
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
