/** Argument checks shared by optimizers and schedules: each throws a RangeError or TypeError naming the value. */

export function checkFinite(what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${what} must be a finite number, got ${v}`);
  return v;
}

export function checkNonNegative(what: string, v: unknown): number {
  checkFinite(what, v);
  if ((v as number) < 0) throw new RangeError(`${what} must be >= 0, got ${v}`);
  return v as number;
}

export function checkPositiveInteger(what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new RangeError(`${what} must be a positive integer, got ${v}`);
  }
  return v;
}

/** A number in [0, 1) such as a beta or a smoothing constant. */
export function checkUnitInterval(what: string, v: unknown): number {
  checkFinite(what, v);
  if ((v as number) < 0 || (v as number) >= 1) throw new RangeError(`${what} must be in [0, 1), got ${v}`);
  return v as number;
}

export function checkBoolean(what: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new TypeError(`${what} must be a boolean, got ${v}`);
  return v;
}
