/** Decoding image files in worker threads, off the event loop's thread (torchvision's DataLoader workers). */
import { Worker } from 'node:worker_threads';
import type { DecodeImageOptions } from './decode.js';
import { ImageDecodeError } from './errors.js';
import type { Image } from './types.js';

/** A request to a decode worker. @internal */
export interface DecodeRequest {
  id: number;
  path: string;
  options: DecodeImageOptions | undefined;
}

/** A decode worker's answer: the image, or why the file cannot be read. @internal */
export type DecodeReply =
  | { id: number; image: Image; error?: undefined }
  | { id: number; image?: undefined; error: { source: string; reason: string } };

interface Pending {
  resolve: (img: Image) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
}

/**
 * `workers` threads that run `decodeImageFile` (the PNG fast path's JavaScript, the resize, the garbage
 * it makes) so that the calling thread only transforms and batches. Each request goes to the worker with
 * the fewest in flight. Idle workers do not keep the process alive; {@link close} ends them.
 *
 * @example
 * ```ts
 * const pool = new DecodePool(2);
 * const img = await pool.decode('xray.png', { colour: 'grey', resize: 256 });
 * await pool.close();
 * ```
 */
export class DecodePool {
  readonly #slots: Slot[] = [];
  #nextId = 0;
  #closed = false;

  constructor(readonly workers: number) {
    if (!Number.isInteger(workers) || workers < 1) {
      throw new RangeError(`DecodePool: workers must be a positive integer, got ${workers}`);
    }
  }

  #spawn(): Slot {
    const worker = new Worker(new URL('./decode-worker.js', import.meta.url));
    const slot: Slot = { worker, pending: new Map() };
    worker.unref();
    worker.on('message', (reply: DecodeReply) => {
      const p = slot.pending.get(reply.id);
      if (!p) return;
      slot.pending.delete(reply.id);
      if (slot.pending.size === 0) worker.unref();
      if (reply.error) p.reject(new ImageDecodeError(reply.error.source, reply.error.reason));
      else p.resolve(reply.image);
    });
    const fail = (e: Error) => {
      const i = this.#slots.indexOf(slot);
      if (i >= 0) this.#slots.splice(i, 1);
      for (const p of slot.pending.values()) p.reject(e);
      slot.pending.clear();
    };
    worker.on('error', (e) => fail(new Error(`decode worker failed: ${e.message}`, { cause: e })));
    worker.on('exit', (code) => fail(new Error(`decode worker exited with code ${code}`)));
    this.#slots.push(slot);
    return slot;
  }

  /**
   * Decodes a file as `decodeImageFile(path, options)` does, in a worker.
   *
   * @throws {ImageDecodeError} naming the file, as decodeImageFile; an Error if the pool is closed or a
   * worker died.
   */
  decode(path: string, options?: DecodeImageOptions): Promise<Image> {
    if (this.#closed) return Promise.reject(new Error('DecodePool: closed'));
    while (this.#slots.length < this.workers) this.#spawn();
    let slot = this.#slots[0] as Slot;
    for (const s of this.#slots) if (s.pending.size < slot.pending.size) slot = s;
    const id = this.#nextId++;
    return new Promise<Image>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.ref();
      slot.worker.postMessage({ id, path, options } satisfies DecodeRequest);
    });
  }

  /** Ends the workers; requests in flight reject. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const slots = this.#slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}
