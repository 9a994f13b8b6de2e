import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scope } from '../../tensor/index.js';
import { imageToTensor } from './to-tensor.js';
import type { Image } from './types.js';

// 2 x 3 RGB: pixel (y, x) channel c holds 100 * c + 10 * y + x
const img: Image = {
  height: 2,
  width: 3,
  channels: 3,
  bitDepth: 8,
  data: Uint8Array.from({ length: 18 }, (_, i) => 100 * (i % 3) + 10 * Math.floor(i / 9) + (Math.floor(i / 3) % 3)),
};

describe('imageToTensor', () => {
  it('CHW (default) and HWC layouts, uint8 and float32 dtypes', () =>
    scope(() => {
      const chw = imageToTensor(img);
      assert.equal(chw.dtype, 'uint8');
      assert.deepEqual(chw.shape, [3, 2, 3]);
      assert.deepEqual(
        chw.toArray(),
        [0, 1, 2, 10, 11, 12, 100, 101, 102, 110, 111, 112, 200, 201, 202, 210, 211, 212],
      );
      const hwc = imageToTensor(img, { layout: 'HWC', dtype: 'float32', scale: 0.5 });
      assert.equal(hwc.dtype, 'float32');
      assert.deepEqual(hwc.shape, [2, 3, 3]);
      assert.deepEqual(hwc.toArray().slice(0, 4), [0, 50, 100, 0.5]);
    }));

  it('16-bit images become float32; uint8 is refused for them', () =>
    scope(() => {
      const g16: Image = { height: 1, width: 2, channels: 1, bitDepth: 16, data: new Uint16Array([0, 65535]) };
      const t = imageToTensor(g16);
      assert.equal(t.dtype, 'float32');
      assert.deepEqual(t.toArray(), [0, 65535]);
      assert.throws(() => imageToTensor(g16, { dtype: 'uint8' }), /needs 8-bit data/);
      assert.throws(() => imageToTensor({ ...g16, width: 3 }), /expected 1x3x1/);
    }));
});
