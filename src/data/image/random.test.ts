import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scope, type Tensor } from '../../tensor/index.js';
import { seededRandom } from '../sampler.js';
import {
  Brightness,
  Contrast,
  chain,
  GreyToRGB,
  HFlip,
  RandomApply,
  RandomCrop,
  RandomResizedCrop,
  Resize,
  Rotation,
  ToTensor,
} from './transforms.js';
import type { Image } from './types.js';

const H = 40;
const W = 50;
/** pixel value = column index: a flip or a crop offset is visible in the first value */
const ramp: Image = {
  height: H,
  width: W,
  channels: 1,
  bitDepth: 8,
  data: Uint8Array.from({ length: H * W }, (_, i) => (i % W) * 5),
};

function countWithin(n: number, p: number, count: number): boolean {
  const sd = Math.sqrt(n * p * (1 - p));
  return Math.abs(count - n * p) <= 4 * sd;
}

describe('random transforms', () => {
  it('HFlip(p) flips a fraction p of images; p = 0 and 1 are certain', () => {
    const rng = seededRandom(1);
    for (const p of [0.5, 0.2]) {
      let flips = 0;
      for (let i = 0; i < 2000; i++) if (HFlip(p).apply(ramp, rng).data[0] !== 0) flips++;
      assert.ok(countWithin(2000, p, flips), `p=${p}: ${flips}`);
    }
    assert.equal(HFlip(0).apply(ramp, rng), ramp);
    assert.equal(HFlip(1).apply(ramp, rng).data[0], (W - 1) * 5);
  });

  it('Brightness adds one uniform delta with probability p, saturating 8-bit values', () => {
    const rng = seededRandom(2);
    const b = Brightness(0, 32, 0.5);
    let applied = 0;
    let sum = 0;
    for (let i = 0; i < 2000; i++) {
      const out = b.apply(ramp, rng);
      if (out === ramp) continue;
      applied++;
      const delta = (out.data[1] as number) - 5;
      assert.ok(delta >= 0 && delta <= 32);
      assert.equal((out.data[10] as number) - 50, delta, 'the same delta on every pixel');
      assert.equal(out.data[W - 1], Math.min(255, 245 + delta), 'saturates');
      sum += delta;
    }
    assert.ok(countWithin(2000, 0.5, applied), `applied ${applied}`);
    assert.ok(Math.abs(sum / applied - 16) < 1, `mean delta ${sum / applied}`);
    const float: Image = { height: 1, width: 2, channels: 1, bitDepth: 32, data: new Float32Array([0.9, 0.1]) };
    const f = Brightness(0.5, 0.5).apply(float, rng);
    assert.ok(Math.abs((f.data[0] as number) - 1.4) < 1e-6, 'float images are not clipped');
  });

  it('Contrast multiplies by one uniform factor', () => {
    const rng = seededRandom(3);
    const out = Contrast(0.5, 1.5).apply(ramp, rng);
    const k = (out.data[10] as number) / 50;
    assert.ok(k >= 0.5 && k <= 1.5);
    assert.ok(Math.abs((out.data[4] as number) - Math.round(20 * k)) <= 1);
  });

  it('RandomCrop places crops uniformly over every valid offset', () => {
    const rng = seededRandom(4);
    const seen = new Map<number, number>();
    for (let i = 0; i < 3000; i++) {
      const out = RandomCrop([10, 20]).apply(ramp, rng);
      assert.deepEqual([out.height, out.width], [10, 20]);
      const left = (out.data[0] as number) / 5;
      seen.set(left, (seen.get(left) ?? 0) + 1);
    }
    assert.equal(seen.size, W - 20 + 1, 'every left offset 0..30 occurs');
    for (const c of seen.values()) assert.ok(countWithin(3000, 1 / 31, c), `count ${c}`);
    assert.throws(() => RandomCrop(100).apply(ramp, rng), /larger than the image/);
  });

  it('RandomResizedCrop gives the requested size and crops of varying area', () => {
    const rng = seededRandom(5);
    const widths = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const out = RandomResizedCrop(16).apply(ramp, rng);
      assert.deepEqual([out.height, out.width], [16, 16]);
      widths.add((out.data[15] as number) - (out.data[0] as number));
    }
    assert.ok(widths.size > 20, `distinct crop widths ${widths.size}`);
  });

  it('Rotation keeps the size; angles vary; a centre pixel stays in place', () => {
    const rng = seededRandom(6);
    const dot: Image = { height: 21, width: 21, channels: 1, bitDepth: 8, data: new Uint8Array(21 * 21) };
    dot.data[10 * 21 + 10] = 255;
    const outs = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const out = Rotation(45).apply(ramp, rng);
      assert.deepEqual([out.height, out.width], [H, W]);
      outs.add(Buffer.from(out.data.buffer).toString('base64'));
      assert.equal(Rotation(45).apply(dot, rng).data[10 * 21 + 10], 255);
    }
    assert.ok(outs.size > 15);
  });

  it('a chain is deterministic for a seed and varies across seeds', () => {
    const train = chain<Tensor>(
      Resize(32),
      RandomCrop(28),
      HFlip(0.5),
      RandomApply(Brightness(0, 32), 0.5),
      Rotation(10),
      GreyToRGB(),
      ToTensor(),
    );
    const run = (seed: number) =>
      scope(() => {
        const t = train.apply(ramp, seededRandom(seed));
        return { shape: [...t.shape], data: Array.from(t.data() as Float32Array) };
      });
    const a = run(42);
    assert.deepEqual(a.shape, [3, 28, 28]);
    assert.deepEqual(run(42), a);
    const others = [1, 2, 3, 4, 5].map((s) => JSON.stringify(run(s).data));
    assert.ok(new Set([...others, JSON.stringify(a.data)]).size >= 5);
  });
});
