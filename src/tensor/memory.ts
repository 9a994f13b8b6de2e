/** Counters of tensors held by JS on this thread, for leak checks and dashboards. */
import { type MemoryInfo, native } from './native.js';

export type { MemoryInfo };

/**
 * Live tensor handles of this thread and the bytes of their storages (each storage once).
 *
 * @example
 * ```ts
 * const before = memory().tensors;
 * for (let i = 0; i < 1000; i++) scope(() => step());
 * assert.equal(memory().tensors, before);
 * ```
 */
export function memory(): MemoryInfo {
  return native.memory();
}
