/**
 * InferenceModel: a saved model ready to serve (Analytics Zoo's InferenceModel): loaded into N worker
 * threads, warmed up, fed by a dynamic batcher that groups concurrent requests into batches.
 */
import { availableParallelism } from 'node:os';
import type { Transform } from '../data/image/transform.js';
import type { Image } from '../data/image/types.js';
import type { Tensor } from '../tensor/index.js';
import { BACKENDS, type Backend } from './backend.js';
import { ExecutorPool } from './executor-pool.js';
import type { BackendReport } from './executor-worker.js';
import { type InputSpec, type ModelInput, type Sample, splitBatch, toSample } from './inputs.js';
import { type ModelSource, readModelSource } from './model-source.js';
import { type Prediction, toPrediction } from './scores.js';
import { InputError, type TensorPayload } from './tensor-payload.js';
import { transformFromName } from './transform-module.js';

/** Options of {@link InferenceModel.load}. */
export interface InferenceModelOptions {
  /** 'libtorch' (default), 'onnxruntime', or 'auto' (times both at load, keeps the faster: see `backendReport`) */
  backend?: Backend;
  /** model copies, each in its own worker thread (default 1) */
  concurrency?: number;
  /** LibTorch / onnxruntime threads per copy (default: cores / concurrency, at least 1) */
  threadsPerWorker?: number;
  /** the most requests run as one batch (default 8) */
  maxBatch?: number;
  /** how long the first request of a batch waits for others while a worker is free (default 2 ms) */
  maxDelayMs?: number;
  /**
   * the deterministic image transform for serving (default: rebuilt from the saved transform's name when
   * it is a chain of deterministic steps, see transformFromName; a warning when the names differ)
   */
  transform?: Transform<Image, Tensor>;
  /** a module (path or URL) whose default export builds the architecture, for saved models without model.onnx */
  moduleUrl?: string | URL;
  /** one sample's shape when the saved model does not say (needed for the warm-up and 'auto') */
  inputShape?: number[];
  /** class names, overriding the saved ones */
  classNames?: string[];
  /** requests waiting beyond this many make `predict` reject with a BusyError (default 10,000) */
  maxQueue?: number;
}

/** `predict` refused a request because too many are waiting: try again later (HTTP 429). */
export class BusyError extends Error {
  override name = 'BusyError';
  constructor(
    message: string,
    /** suggested wait before retrying, in seconds */
    readonly retryAfterSeconds = 1,
  ) {
    super(message);
  }
}

/** What a loaded model is, for listings (`GET /v1/models`) and logs. */
export interface ModelInfo {
  path: string;
  task: ModelSource['task'];
  classNames: string[] | null;
  inputShape: number[] | null;
  backend: 'libtorch' | 'onnxruntime';
  backendReport: BackendReport;
  concurrency: number;
  threadsPerWorker: number;
  maxBatch: number;
  maxDelayMs: number;
  /** the image transform's name, or null (the model then takes tensors only) */
  transform: string | null;
  /** why the saved transform could not be rebuilt, when it could not */
  transformNote: string | null;
}

interface Waiting {
  sample: Sample;
  key: string;
  since: number;
  /** part of a batch formed by the caller (predictEach): dispatched without waiting for more */
  formed: boolean;
  resolve: (p: Prediction) => void;
  reject: (e: Error) => void;
}

/**
 * @example
 * ```ts
 * const model = await InferenceModel.load('models/cxr', { transform: evalTransform, concurrency: 2, backend: 'auto' });
 * console.log(model.info.backendReport);             // { backend: 'onnxruntime', timingsMs: {...}, ... }
 * const p = await model.predictOne(await readFile('scan.png'));
 * console.log(p.label, p.probabilities);             // 'Effusion' { Atelectasis: 0.03, ... }
 * await model.close();
 * ```
 */
export class InferenceModel {
  readonly #pool: ExecutorPool;
  readonly #spec: InputSpec;
  readonly #source: ModelSource;
  readonly #queue: Waiting[] = [];
  #timer: NodeJS.Timeout | null = null;
  #running = 0;
  #closing = false;
  readonly #maxQueue: number;
  /** batch size -> how many batches of that size ran */
  readonly batchSizes = new Map<number, number>();
  readonly info: ModelInfo;

  private constructor(pool: ExecutorPool, source: ModelSource, spec: InputSpec, info: ModelInfo, maxQueue: number) {
    this.#pool = pool;
    this.#source = source;
    this.#spec = spec;
    this.info = info;
    this.#maxQueue = maxQueue;
    pool.onIdle = () => this.#schedule();
  }

  /**
   * Loads a `Model.save` directory or an `.onnx` file into `concurrency` worker threads and warms them up.
   *
   * @throws naming the path when it is not a model, the transform does not match, or a backend cannot load it.
   */
  static async load(path: string, options: InferenceModelOptions = {}): Promise<InferenceModel> {
    const source = readModelSource(path);
    const backend = options.backend ?? 'libtorch';
    if (!BACKENDS.includes(backend)) throw new Error(`InferenceModel: backend must be one of ${BACKENDS.join(', ')}`);
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new Error('InferenceModel: concurrency must be an integer >= 1');
    const maxBatch = options.maxBatch ?? 8;
    if (!Number.isInteger(maxBatch) || maxBatch < 1)
      throw new Error('InferenceModel: maxBatch must be an integer >= 1');
    const maxDelayMs = options.maxDelayMs ?? 2;
    if (!(maxDelayMs >= 0)) throw new Error('InferenceModel: maxDelayMs must be >= 0');
    const threadsPerWorker = options.threadsPerWorker ?? Math.max(1, Math.floor(availableParallelism() / concurrency));
    if (source.transformName && options.transform && options.transform.name !== source.transformName) {
      // the saved name is the training transform's; a serving transform without the random steps is expected
      process.emitWarning(
        `InferenceModel: '${path}' was trained with ${source.transformName}; serving with ${options.transform.name}`,
      );
    }
    let transform = options.transform ?? null;
    let transformNote: string | null = null;
    if (!transform && source.transformName) {
      try {
        transform = transformFromName(source.transformName);
      } catch (e) {
        transformNote = `its saved transform ${source.transformName} cannot be rebuilt: ${(e as Error).message}`;
      }
    }
    const inputShape = options.inputShape ?? source.inputShape;
    const pool = await ExecutorPool.start(
      {
        onnxPath: source.onnxPath,
        weightsPath: source.weightsPath,
        moduleUrl: options.moduleUrl ? String(options.moduleUrl) : null,
        threads: threadsPerWorker,
        backend,
        warmupShape: inputShape ? [maxBatch, ...inputShape] : null,
      },
      concurrency,
    );
    const info: ModelInfo = {
      path,
      task: source.task,
      classNames: options.classNames ?? source.classNames,
      inputShape,
      backend: pool.report.backend,
      backendReport: pool.report,
      concurrency,
      threadsPerWorker,
      maxBatch,
      maxDelayMs,
      transform: transform?.name ?? null,
      transformNote,
    };
    const spec: InputSpec = { transform, decode: source.decode, inputShape, transformNote };
    return new InferenceModel(pool, source, spec, info, options.maxQueue ?? 10_000);
  }

  /** Requests waiting for a worker. */
  get queueDepth(): number {
    return this.#queue.length;
  }

  /** Batches running now. */
  get running(): number {
    return this.#running;
  }

  /** Worker threads alive. */
  get workers(): number {
    return this.#pool.size;
  }

  /**
   * One prediction. Concurrent calls are batched together (up to `maxBatch`, waiting at most `maxDelayMs`).
   *
   * @throws {InputError} for input the model cannot take; {@link BusyError} when the queue is full.
   */
  async predictOne(input: ModelInput, where = 'input'): Promise<Prediction> {
    return this.#submit(await toSample(input, this.#spec, where));
  }

  /**
   * Predictions for a batch: a tensor `[B, ...]` (or its JSON form) or an array of inputs.
   *
   * @example
   * ```ts
   * const preds = await model.predict(torch.randn([4, 1, 28, 28]));   // 4 predictions
   * ```
   */
  async predict(batch: Tensor | TensorPayload | readonly ModelInput[]): Promise<Prediction[]> {
    const samples = Array.isArray(batch)
      ? await Promise.all(batch.map((x, i) => toSample(x, this.#spec, `input ${i}`)))
      : splitBatch(batch as Tensor | TensorPayload, this.#spec);
    if (this.#queue.length + samples.length > this.#maxQueue) {
      throw new BusyError(`InferenceModel: ${this.#queue.length} requests are waiting (limit ${this.#maxQueue})`);
    }
    return Promise.all(samples.map((s) => this.#submit(s)));
  }

  /**
   * Predictions for inputs that arrived together (e.g. the entries of one Redis read), each settled on its
   * own: a bad input fails only itself. The good ones are queued at once and dispatched without waiting
   * `maxDelayMs` for more (the caller already formed the batch); more than `maxBatch` become several batches.
   */
  async predictEach(
    inputs: readonly ModelInput[],
    where: readonly string[] = [],
  ): Promise<PromiseSettledResult<Prediction>[]> {
    const samples = await Promise.allSettled(inputs.map((x, i) => toSample(x, this.#spec, where[i] ?? `input ${i}`)));
    const queued = samples.map((s) =>
      s.status === 'fulfilled' ? this.#submit(s.value, true) : Promise.reject(s.reason),
    );
    this.#schedule();
    return Promise.allSettled(queued);
  }

  #submit(sample: Sample, formed = false): Promise<Prediction> {
    if (this.#closing) return Promise.reject(new Error('InferenceModel: closed'));
    if (this.#queue.length >= this.#maxQueue) {
      return Promise.reject(
        new BusyError(`InferenceModel: ${this.#queue.length} requests are waiting (limit ${this.#maxQueue})`),
      );
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ sample, key: sample.shape.join('x'), since: performance.now(), formed, resolve, reject });
      if (!formed) this.#schedule();
    });
  }

  /** Sends batches to idle workers: full batches at once, partial ones when their first request waited maxDelayMs. */
  #schedule(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    const { maxBatch, maxDelayMs } = this.info;
    while (this.#queue.length > 0 && this.#pool.hasIdle()) {
      const head = this.#queue[0] as Waiting;
      const same = this.#queue.filter((w) => w.key === head.key).slice(0, maxBatch);
      const waited = performance.now() - head.since;
      if (same.length < maxBatch && waited < maxDelayMs && !head.formed) {
        this.#timer = setTimeout(() => this.#schedule(), Math.max(0, maxDelayMs - waited));
        return;
      }
      for (const w of same) this.#queue.splice(this.#queue.indexOf(w), 1);
      this.#dispatch(same);
    }
  }

  #dispatch(batch: Waiting[]): void {
    const shape = (batch[0] as Waiting).sample.shape;
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size * batch.length);
    batch.forEach((w, i) => {
      data.set(w.sample.data, i * size);
    });
    this.batchSizes.set(batch.length, (this.batchSizes.get(batch.length) ?? 0) + 1);
    this.#running++;
    const { task, classNames } = this.info;
    this.#pool
      .run({ shape: [batch.length, ...shape], data })
      .then(
        (out) => {
          const k = out.data.length / batch.length;
          if (out.shape[0] !== batch.length || !Number.isInteger(k)) {
            throw new Error(`InferenceModel: the model returned shape [${out.shape}] for a batch of ${batch.length}`);
          }
          batch.forEach((w, i) => {
            w.resolve(toPrediction(task, out.data.subarray(i * k, (i + 1) * k), classNames, this.#source.threshold));
          });
        },
        (e: Error) => {
          // a model error on this input (e.g. a shape the network cannot take) is the request's fault
          const crashed = e.message.startsWith('serving: the inference worker exited');
          const err =
            this.#spec.inputShape || crashed
              ? e
              : new InputError(`the model could not run on this input: ${e.message}`);
          for (const w of batch) w.reject(err);
        },
      )
      .catch((e: Error) => {
        for (const w of batch) w.reject(e);
      })
      .finally(() => {
        this.#running--;
      });
  }

  /** Finishes the requests already submitted, then stops the workers. New requests are refused. */
  async close(): Promise<void> {
    this.#closing = true;
    while (this.#queue.length > 0 || this.#running > 0) {
      this.#schedule();
      await new Promise((r) => setTimeout(r, 5));
    }
    await this.#pool.close();
  }
}
