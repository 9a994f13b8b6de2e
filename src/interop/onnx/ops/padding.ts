/**
 * ONNX spatial padding: explicit `pads` [x1_begin, x2_begin, ..., x1_end, x2_end] or `auto_pad`
 * (SAME_UPPER / SAME_LOWER / VALID, resolved from the input size at run time). Symmetric pads go to
 * the torch op; asymmetric ones become an explicit pad first.
 */
import { nodeError } from '../attributes.js';
import type { PrepareContext } from './converter.js';

export type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

export interface SpatialAttrs {
  autoPad: AutoPad;
  pads: number[] | undefined;
  strides: number[] | undefined;
  dilations: number[] | undefined;
  kernelShape: number[] | undefined;
}

export function readSpatial(c: PrepareContext): SpatialAttrs {
  const autoPad = c.attrs.oneOf<string>('auto_pad', c.attrs.string('auto_pad', 'NOTSET'), [
    'NOTSET',
    'SAME_UPPER',
    'SAME_LOWER',
    'VALID',
  ]) as AutoPad;
  return {
    autoPad,
    pads: c.attrs.ints('pads'),
    strides: c.attrs.ints('strides'),
    dilations: c.attrs.ints('dilations'),
    kernelShape: c.attrs.ints('kernel_shape'),
  };
}

/** Per spatial dimension, with defaults filled in and lengths checked. */
export function spatialList(
  c: PrepareContext,
  name: string,
  v: number[] | undefined,
  n: number,
  fill: number,
): number[] {
  if (v === undefined) return new Array(n).fill(fill);
  if (v.length !== n) nodeError(c.node, `attribute '${name}' has ${v.length} values for ${n} spatial dimensions`);
  return v;
}

/**
 * [begin[], end[]] pads for input spatial sizes; SAME_* follows the ONNX formula
 * total = max(0, (ceil(in / stride) - 1) * stride + (k - 1) * d + 1 - in).
 */
export function resolvePads(
  c: PrepareContext,
  a: SpatialAttrs,
  inSizes: number[],
  kernel: number[],
  strides: number[],
  dilations: number[],
): [number[], number[]] {
  const n = inSizes.length;
  if (a.autoPad === 'NOTSET') {
    const p = a.pads ?? new Array(2 * n).fill(0);
    if (p.length !== 2 * n) nodeError(c.node, `attribute 'pads' has ${p.length} values for ${n} spatial dimensions`);
    if (p.some((v) => v < 0)) nodeError(c.node, `negative pads [${p}] are not supported`);
    return [p.slice(0, n), p.slice(n)];
  }
  if (a.autoPad === 'VALID') return [new Array(n).fill(0), new Array(n).fill(0)];
  const begin: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = strides[i] as number;
    const inSize = inSizes[i] as number;
    const total = Math.max(
      0,
      (Math.ceil(inSize / s) - 1) * s + ((kernel[i] as number) - 1) * (dilations[i] as number) + 1 - inSize,
    );
    const small = Math.floor(total / 2);
    begin.push(a.autoPad === 'SAME_UPPER' ? small : total - small);
    end.push(a.autoPad === 'SAME_UPPER' ? total - small : small);
  }
  return [begin, end];
}

/** torch's pad list (last dimension first: [wb, we, hb, he, ...]) for ONNX begin/end pads. */
export function torchPadList(begin: number[], end: number[]): number[] {
  const out: number[] = [];
  for (let i = begin.length - 1; i >= 0; i--) out.push(begin[i] as number, end[i] as number);
  return out;
}

export const symmetric = (begin: number[], end: number[]) => begin.every((b, i) => b === end[i]);
