/** Modality LUT (rescale), VOI windowing (PS3.3 C.11.2.1.2) and the MONOCHROME1 inversion. */

/** A window in modality units. */
export interface Window {
  center: number;
  width: number;
  /** 'LINEAR' (default), 'LINEAR_EXACT' or 'SIGMOID' */
  fn?: string;
}

/**
 * The VOI function of PS3.3 C.11.2.1.2 / C.11.2.1.3 mapping a modality value to [0, 1] (pydicom's
 * `apply_windowing` with y_min 0 and y_max 1).
 *
 * @example
 * ```ts
 * const f = windowFunction({ center: 40, width: 400 });
 * f(-160); // 0
 * ```
 */
export function windowFunction(w: Window): (x: number) => number {
  const fn = (w.fn ?? 'LINEAR').toUpperCase();
  if (fn === 'SIGMOID') {
    if (!(w.width > 0)) throw new RangeError('SIGMOID windowing needs Window Width > 0');
    return (x) => 1 / (1 + Math.exp((-4 * (x - w.center)) / w.width));
  }
  let c = w.center;
  let width = w.width;
  if (fn === 'LINEAR') {
    if (!(width >= 1)) throw new RangeError(`LINEAR windowing needs Window Width >= 1, got ${width}`);
    c -= 0.5;
    width -= 1;
  } else if (fn === 'LINEAR_EXACT') {
    if (!(width > 0)) throw new RangeError('LINEAR_EXACT windowing needs Window Width > 0');
  } else {
    throw new RangeError(`unsupported VOI LUT Function '${fn}'`);
  }
  const lo = c - width / 2;
  const hi = c + width / 2;
  return (x) => (x <= lo ? 0 : x > hi ? 1 : (x - c) / width + 0.5);
}

/**
 * The range of modality values the stored bits can express (pydicom's y_min / y_max): [0, 2^bits - 1]
 * unsigned or [-2^(bits-1), 2^(bits-1) - 1] signed, through the rescale.
 */
export function modalityRange(bitsStored: number, signed: boolean, slope: number, intercept: number): [number, number] {
  const lo = signed ? -(2 ** (bitsStored - 1)) : 0;
  const hi = signed ? 2 ** (bitsStored - 1) - 1 : 2 ** bitsStored - 1;
  const a = lo * slope + intercept;
  const b = hi * slope + intercept;
  return a <= b ? [a, b] : [b, a];
}
