/**
 * The bytes of one frame of encapsulated Pixel Data (PS3.5 A.4): fragments found through the Extended
 * Offset Table, the Basic Offset Table, one fragment per frame, or the start marker of each frame's stream.
 */
import type { DicomHeader } from './header.js';

interface Fragment {
  /** offset of its item tag from the first fragment's item tag (what the offset tables hold) */
  offset: number;
  /** where its bytes start in the file */
  position: number;
  length: number;
}

/** Does this fragment begin a codestream (JPEG/JPEG-LS SOI, J2K SOC, a JP2 signature box)? */
export function startsCodestream(bytes: Uint8Array, at: number): boolean {
  const b = (i: number) => bytes[at + i];
  if (b(0) === 0xff && (b(1) === 0xd8 || b(1) === 0x4f)) return true;
  return b(0) === 0 && b(1) === 0 && b(2) === 0 && b(3) === 0x0c && b(4) === 0x6a && b(5) === 0x50;
}

/** Extended Offset Table (7FE0,0001) and its lengths (7FE0,0002), 64-bit little endian, if present. */
function extendedOffsets(h: DicomHeader): { offsets: number[]; lengths: number[] } | null {
  const table = h.dataSet.elements.x7fe00001;
  const lengths = h.dataSet.elements.x7fe00002;
  if (!table || !lengths || table.length === 0) return null;
  const read = (el: { dataOffset: number; length: number }) => {
    const view = new DataView(h.byteArray.buffer, h.byteArray.byteOffset + el.dataOffset, el.length);
    return Array.from({ length: el.length / 8 }, (_, i) => Number(view.getBigUint64(8 * i, true)));
  };
  return { offsets: read(table), lengths: read(lengths) };
}

/** The fragments that make up `frame`, in order. */
export function frameFragments(h: DicomHeader, frame: number): Fragment[] {
  const el = h.pixelData;
  const fragments = (el.fragments ?? []) as Fragment[];
  if (!el.encapsulatedPixelData || fragments.length === 0) {
    throw new Error(`pixel data of a compressed transfer syntax (${h.transferSyntax}) is not encapsulated`);
  }
  const byOffset = (table: readonly number[], name: string): Fragment[] => {
    if (table.length !== h.frames) {
      throw new Error(`${name} has ${table.length} entries for ${h.frames} frames`);
    }
    const start = fragments.findIndex((f) => f.offset === table[frame]);
    if (start < 0) throw new Error(`${name} entry ${frame} (${table[frame]}) points at no fragment`);
    const next =
      frame + 1 < table.length ? fragments.findIndex((f) => f.offset === table[frame + 1]) : fragments.length;
    if (next <= start) throw new Error(`${name} entry ${frame + 1} (${table[frame + 1]}) points at no later fragment`);
    return fragments.slice(start, next);
  };
  const extended = extendedOffsets(h);
  if (extended) return byOffset(extended.offsets, 'Extended Offset Table');
  const bot = el.basicOffsetTable ?? [];
  if (bot.length > 0) return byOffset(bot, 'Basic Offset Table');
  if (h.frames === 1) return fragments;
  if (fragments.length === h.frames) return [fragments[frame] as Fragment];
  // No table and several fragments per frame: each frame's stream starts with its own marker.
  const starts = fragments.flatMap((f, i) => (startsCodestream(h.byteArray, f.position) ? [i] : []));
  if (starts.length !== h.frames || starts[0] !== 0) {
    throw new Error(
      `cannot split ${fragments.length} fragments into ${h.frames} frames: no offset table, ${starts.length} stream starts`,
    );
  }
  return fragments.slice(starts[frame], starts[frame + 1] ?? fragments.length);
}

/**
 * The bytes of `frame`: its fragments joined (a view when there is only one).
 *
 * @example
 * ```ts
 * const jpeg = frameBytes(header, 0); // one frame's JPEG stream
 * ```
 */
export function frameBytes(h: DicomHeader, frame: number): Uint8Array {
  if (!Number.isInteger(frame) || frame < 0 || frame >= h.frames) {
    throw new RangeError(`frame ${frame} out of range (the file has ${h.frames})`);
  }
  const parts = frameFragments(h, frame);
  for (const [i, f] of parts.entries()) {
    if (f.position + f.length > h.byteArray.length) {
      throw new Error(`pixel data is truncated: fragment ${i} of frame ${frame} runs past the end of the file`);
    }
  }
  if (parts.length === 1) {
    const f = parts[0] as Fragment;
    return h.byteArray.subarray(f.position, f.position + f.length);
  }
  const out = new Uint8Array(parts.reduce((s, f) => s + f.length, 0));
  let at = 0;
  for (const f of parts) {
    out.set(h.byteArray.subarray(f.position, f.position + f.length), at);
    at += f.length;
  }
  return out;
}
