/**
 * Lookup tables of the grey pipeline: Modality LUT Sequence (0028,3000), VOI LUT Sequence (0028,3010)
 * (PS3.3 C.11.1, C.11.2) and the Presentation LUT Shape (2050,0020).
 */
import type dicomParser from 'dicom-parser';

/** A LUT: values below `firstMapped` take entry 0, values past the end take the last entry. */
export interface Lut {
  firstMapped: number;
  /** bits per entry from the LUT Descriptor (8, or 10..16) */
  bits: number;
  data: Uint16Array;
  explanation?: string;
}

/**
 * Reads item `index` of a LUT sequence, or null when the sequence is absent.
 * The descriptor's first-mapped value is signed when its VR is SS (or, with implicit VR, when the pixel
 * data is signed); 0 entries means 65536.
 */
export function readLutSequence(ds: dicomParser.DataSet, tag: string, signedPixels: boolean, index = 0): Lut | null {
  const seq = ds.elements[tag];
  const items = seq?.items ?? [];
  if (items.length === 0) return null;
  const name = tag === 'x00283000' ? 'Modality LUT Sequence' : 'VOI LUT Sequence';
  const item = items[index]?.dataSet;
  if (!item) throw new Error(`${name} has ${items.length} items, no item ${index}`);
  const descriptor = item.elements.x00283002;
  const lutData = item.elements.x00283006;
  if (!descriptor || descriptor.length < 6 || !lutData) {
    throw new Error(`${name} item ${index} lacks a LUT Descriptor or LUT Data`);
  }
  const entries = item.uint16('x00283002', 0) || 65536;
  const signedFirst = descriptor.vr ? descriptor.vr === 'SS' : signedPixels;
  const firstMapped = signedFirst ? (item.int16('x00283002', 1) ?? 0) : (item.uint16('x00283002', 1) ?? 0);
  const bits = item.uint16('x00283002', 2) ?? 16;
  if (bits < 8 || bits > 16) throw new Error(`${name}: ${bits} bits per LUT entry is not supported`);
  const available = Math.floor(lutData.length / 2);
  if (available < entries)
    throw new Error(`${name}: LUT Data holds ${available} entries, the descriptor says ${entries}`);
  const data = new Uint16Array(entries);
  for (let i = 0; i < entries; i++) data[i] = item.uint16('x00283006', i) ?? 0;
  const explanation = item.string('x00283003')?.trim();
  return { firstMapped, bits, data, ...(explanation ? { explanation } : {}) };
}

/**
 * Applies a LUT to one value, as pydicom's `apply_modality_lut` / `apply_voi`: index = value - firstMapped,
 * truncated, clipped to the table.
 *
 * @example
 * ```ts
 * lookup({ firstMapped: -10, bits: 8, data: Uint16Array.from([0, 100, 200]) }, -9); // 100
 * ```
 */
export function lookup(lut: Lut, value: number): number {
  const i = Math.floor(value - lut.firstMapped);
  const last = lut.data.length - 1;
  return lut.data[Math.max(0, Math.min(i, last))] as number;
}

/** Presentation LUT Shape (2050,0020): 'INVERSE', 'IDENTITY', or null when absent. */
export function presentationLutShape(ds: dicomParser.DataSet): string | null {
  const shape = ds.string('x20500020')?.trim().toUpperCase();
  return shape ? shape : null;
}
