/** JSON values for optimizer and schedule metadata, and numbers that JSON cannot spell. */

/** A value JSON.stringify writes and JSON.parse reads back unchanged. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A number as JSON can hold it: NaN and the infinities become strings (JSON.stringify would write null). */
export type JsonNumber = number | 'NaN' | 'Infinity' | '-Infinity';

export function encodeNumber(x: number): JsonNumber {
  if (Number.isFinite(x)) return x;
  if (Number.isNaN(x)) return 'NaN';
  return x > 0 ? 'Infinity' : '-Infinity';
}

/** Reads back what encodeNumber wrote; `what` names the field in the error. */
export function decodeNumber(v: unknown, what: string): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return Number.NaN;
  if (v === 'Infinity') return Number.POSITIVE_INFINITY;
  if (v === '-Infinity') return Number.NEGATIVE_INFINITY;
  throw new TypeError(`${what}: expected a number, got ${JSON.stringify(v)}`);
}

/** True for a plain JSON object (not null, not an array). */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
