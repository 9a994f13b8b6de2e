/** The error every image and DICOM reader throws for a file it cannot read. */

/**
 * A file that could not be decoded: corrupt, truncated, unsupported format or transfer syntax.
 * `source` names the file (its path, or the `name` option given with bytes).
 *
 * @example
 * ```ts
 * try { await decodeImage('broken.png'); } catch (e) { if (e instanceof ImageDecodeError) console.log(e.source); }
 * ```
 */
export class ImageDecodeError extends Error {
  readonly source: string;
  /** why, without the file's name */
  readonly reason: string;
  constructor(source: string, reason: string, options?: { cause?: unknown }) {
    super(`cannot decode ${source}: ${reason}`, options);
    this.name = 'ImageDecodeError';
    this.source = source;
    this.reason = reason;
  }
}

/** The message of anything thrown (dicom-parser throws strings and `{ exception }` objects). */
export function reasonOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  if (e !== null && typeof e === 'object' && 'exception' in e) return reasonOf((e as { exception: unknown }).exception);
  return String(e);
}
