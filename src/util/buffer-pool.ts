/** Reusing large short-lived byte buffers, so that V8 sees less external memory churn. */

/**
 * A free list of byte buffers. Each megabyte allocated and dropped per decoded image counts as external
 * memory for V8, whose pressure heuristic then runs scavenges and full collections every few dozen images
 * (measured: a fifth of the main thread's time in the PNG loader).
 *
 * @example
 * ```ts
 * const pool = new BufferPool(8);
 * const buf = pool.take(1 << 20); // contents are stale
 * pool.give(buf);
 * ```
 */
export class BufferPool {
  readonly #free: Uint8Array[] = [];

  /** @param maxBuffers how many free buffers are kept at most; more are dropped */
  constructor(readonly maxBuffers = 16) {}

  /** A buffer of at least `size` bytes, with stale contents; give it back with {@link give} once unused. */
  take(size: number): Uint8Array {
    let best = -1;
    for (let i = 0; i < this.#free.length; i++) {
      const b = this.#free[i] as Uint8Array;
      if (b.length >= size && (best < 0 || b.length < (this.#free[best] as Uint8Array).length)) best = i;
    }
    if (best >= 0) return this.#free.splice(best, 1)[0] as Uint8Array;
    const b = Buffer.allocUnsafeSlow(size);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }

  /** Returns a buffer from {@link take}; nothing may use it afterwards. */
  give(buffer: Uint8Array): void {
    if (this.#free.length < this.maxBuffers && !this.#free.includes(buffer)) this.#free.push(buffer);
  }

  /** Free buffers held now. */
  get size(): number {
    return this.#free.length;
  }
}
