import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { imageNative } from './native.js';
import { maxAbsDiff, python, readRaw } from './oracle.testutil.js';
import { resizeBilinear } from './resample.js';
import type { Image } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'tszoo-resample-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Reductions by exactly 2 and 4 (the loader's common case) and others; PIL's own resize is the oracle,
 * for whole images, mixed axes (one axis by 4, the other by a fraction), a box, and images so small that
 * every output is an edge output.
 */
const ORACLE = `
import sys, json
import numpy as np
from PIL import Image
d = sys.argv[1]
grey = Image.fromarray(np.fromfile(d + '/grey.in', dtype=np.uint8).reshape(128, 192))
rgb = Image.fromarray(np.fromfile(d + '/rgb.in', dtype=np.uint8).reshape(64, 96, 3))
tiny = Image.fromarray(np.fromfile(d + '/tiny.in', dtype=np.uint8).reshape(8, 4))
cases = {
    'grey_by4': grey.resize((48, 32), Image.BILINEAR),
    'grey_by2': grey.resize((96, 64), Image.BILINEAR),
    'rgb_by4': rgb.resize((24, 16), Image.BILINEAR),
    'rgb_by2': rgb.resize((48, 32), Image.BILINEAR),
    'grey_by4_rows_fraction_cols': grey.resize((100, 32), Image.BILINEAR),
    'grey_box_by4': grey.resize((16, 16), Image.BILINEAR, box=(32, 16, 96, 80)),
    'tiny_by4': tiny.resize((1, 2), Image.BILINEAR),
    'grey_by4_window': grey.resize((48, 32), Image.BILINEAR).crop((5, 3, 35, 23)),
}
for k, v in cases.items():
    np.asarray(v).tofile(d + '/' + k + '.out')
print(json.dumps({k: list(np.asarray(v).shape) for k, v in cases.items()}))
`;

function noise(n: number, seed: number): Uint8Array {
  let s = seed;
  return Uint8Array.from({ length: n }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s >>> 24;
  });
}

const grey: Image = { height: 128, width: 192, channels: 1, bitDepth: 8, data: noise(128 * 192, 1) };
const rgb: Image = { height: 64, width: 96, channels: 3, bitDepth: 8, data: noise(64 * 96 * 3, 2) };
const tiny: Image = { height: 8, width: 4, channels: 1, bitDepth: 8, data: noise(32, 3) };
let shapes: Record<string, number[]> = {};

before(() => {
  writeFileSync(join(dir, 'grey.in'), grey.data);
  writeFileSync(join(dir, 'rgb.in'), rgb.data);
  writeFileSync(join(dir, 'tiny.in'), tiny.data);
  shapes = JSON.parse(python(ORACLE, dir));
});

describe('resizeBilinear by exact factors equals PIL', () => {
  it('rejects a window outside the result', () => {
    assert.throws(() => resizeBilinear(grey, 32, 48, undefined, [30, 0, 3, 10]), /not inside 32x48/);
  });

  const cases: [string, () => Image][] = [
    ['grey_by4', () => resizeBilinear(grey, 32, 48)],
    ['grey_by2', () => resizeBilinear(grey, 64, 96)],
    ['rgb_by4', () => resizeBilinear(rgb, 16, 24)],
    ['rgb_by2', () => resizeBilinear(rgb, 32, 48)],
    ['grey_by4_rows_fraction_cols', () => resizeBilinear(grey, 32, 100)],
    ['grey_box_by4', () => resizeBilinear(grey, 16, 16, [16, 32, 80, 96])],
    ['tiny_by4', () => resizeBilinear(tiny, 2, 1)],
    // a window of the output: the same pixels as cropping the whole result
    ['grey_by4_window', () => resizeBilinear(grey, 32, 48, undefined, [3, 5, 20, 30])],
  ];
  for (const [name, run] of cases) {
    it(`${name}: identical`, () => {
      const img = run();
      const shape = shapes[name] ?? [];
      assert.deepEqual([img.height, img.width, img.channels], [shape[0], shape[1], shape[2] ?? 1]);
      assert.equal(maxAbsDiff(img.data, readRaw(join(dir, `${name}.out`), 'uint8')), 0);
    });
  }
});

describe('the native resample pass', () => {
  it('refuses arguments that would read or write outside its arrays, with a JS error', () => {
    const { resample8 } = imageNative();
    const src = new Uint8Array(16);
    const dst = new Uint8Array(4);
    const bounds = Int32Array.from([0, 2, 2, 2]); // two outputs of two taps each
    const weights = Int32Array.from([1 << 21, 1 << 21, 1 << 21, 1 << 21]);
    resample8(src.fill(100), dst, bounds, weights, 2, 2, 1, 1, 2, 4, 2, 0, 0);
    assert.deepEqual(Array.from(dst), [100, 100, 100, 100]);
    assert.throws(() => resample8(src, dst, bounds, weights, 2, 2, 1, 1, 5, 4, 2, 0, 0), /reaches past src or dst/);
    assert.throws(
      () => resample8(src, dst, Int32Array.from([0, 2, 15, 2]), weights, 2, 2, 1, 1, 1, 4, 2, 0, 0),
      /past src/,
    );
    assert.throws(
      () => resample8(src, dst, Int32Array.from([-1, 2, 0, 2]), weights, 2, 2, 1, 1, 1, 4, 2, 0, 0),
      /bad bounds/,
    );
    assert.throws(() => resample8(src, dst, bounds, weights.subarray(0, 3), 2, 2, 1, 1, 1, 4, 2, 0, 0), /shorter/);
    assert.throws(() => resample8(src, dst, bounds, weights, 2, 2, 1.5, 1, 1, 4, 2, 0, 0), RangeError);
    assert.throws(
      () => resample8(src, new Uint16Array(4) as unknown as Uint8Array, bounds, weights, 2, 2, 1, 1, 1, 4, 2, 0, 0),
      TypeError,
    );
  });
});
