import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { scope, type Tensor } from '../../tensor/index.js';
import { seededRandom } from '../sampler.js';
import { crop, randomResizedCropParams } from './geometric.js';
import { maxAbsDiff, python, readRaw } from './oracle.testutil.js';
import { resizeBilinear } from './resample.js';
import { rotate } from './rotate.js';
import {
  CenterCrop,
  ChannelNormalize,
  chain,
  GreyToRGB,
  HFlip,
  Resize,
  Rotation,
  ToFloat,
  ToTensor,
} from './transforms.js';
import type { Image } from './types.js';

/**
 * torchvision 0.14 (Debian) on PIL images is the oracle. Inputs are generated here, handed to Python as
 * raw files, and every output comes back as a raw dump. Tolerances: 0 for 8-bit results (the resize and
 * rotate are ports of Pillow's own integer code), 1e-6 for float32 results of ToTensor/Normalize, 2e-5
 * for float resize against torchvision's antialiased tensor resize (`_upsample_bilinear2d_aa`).
 */
const ORACLE = `
import sys, json
import numpy as np, torch
from PIL import Image
import torchvision.transforms as T
import torchvision.transforms.functional as F
d = sys.argv[1]
grey = np.fromfile(d + '/grey.in', dtype=np.uint8).reshape(97, 131)
rgb = np.fromfile(d + '/rgb.in', dtype=np.uint8).reshape(64, 80, 3)
flt = np.fromfile(d + '/float.in', dtype=np.float32).reshape(1, 1, 97, 131)
G, C = Image.fromarray(grey), Image.fromarray(rgb)
out = {}
def put(name, x):
    a = np.asarray(x) if isinstance(x, Image.Image) else x.numpy()
    a.tofile(d + '/' + name + '.out')
    out[name] = list(a.shape)
put('resize50_grey', T.Resize(50)(G))
put('resize50_rgb', T.Resize(50)(C))
put('resize_150x60_grey', T.Resize((150, 60))(G))
put('resize_33x200_rgb', T.Resize((33, 200))(C))
put('resize_float', F.resize(torch.from_numpy(flt), [40, 57], antialias=True)[0, 0])
put('center50_grey', T.CenterCrop(50)(G))
put('center_31x44_rgb', T.CenterCrop((31, 44))(C))
put('center_pad_rgb', T.CenterCrop((70, 90))(C))
put('hflip_rgb', F.hflip(C))
put('totensor_rgb', T.ToTensor()(C))
put('normalize_rgb', T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])(T.ToTensor()(C)))
put('grey3', T.Grayscale(3)(G))
for a in [17.3, -42.0, 90.0, 180.5]:
    put('rotate_%s_rgb' % a, F.rotate(C, a))
    put('rotate_%s_grey' % a, F.rotate(G, a))
put('resized_crop_rgb', F.resized_crop(C, 5, 9, 40, 51, [24, 24]))
put('chain_grey', T.Compose([T.Resize(64), T.CenterCrop(56), T.Grayscale(3), T.ToTensor(),
                             T.Normalize([0.5, 0.5, 0.5], [0.25, 0.25, 0.25])])(G))
print(json.dumps(out))
`;

const dir = mkdtempSync(join(tmpdir(), 'tszoo-transforms-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const rng = seededRandom(123);
const rand = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rng() * 256));
// smooth + noise so that resizes are not trivially flat
const greyData = Uint8Array.from(
  { length: 97 * 131 },
  (_, i) => (((i % 131) * 2 + Math.floor(i / 131)) % 256) ^ (i % 7),
);
const grey: Image = { height: 97, width: 131, channels: 1, bitDepth: 8, data: greyData };
const rgb: Image = { height: 64, width: 80, channels: 3, bitDepth: 8, data: rand(64 * 80 * 3) };
const flt: Image = {
  height: 97,
  width: 131,
  channels: 1,
  bitDepth: 32,
  data: Float32Array.from(greyData, (v) => v / 255),
};
let shapes: Record<string, number[]> = {};

before(async () => {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dir, 'grey.in'), grey.data);
  writeFileSync(join(dir, 'rgb.in'), rgb.data);
  writeFileSync(join(dir, 'float.in'), flt.data);
  shapes = JSON.parse(python(ORACLE, dir));
});

const noRng = seededRandom(0);
function oracleU8(name: string): Uint8Array {
  return readRaw(join(dir, `${name}.out`), 'uint8') as Uint8Array;
}
function oracleF32(name: string): Float32Array {
  return readRaw(join(dir, `${name}.out`), 'float32') as Float32Array;
}
function hwc(img: Image): number[] {
  return img.channels === 1 ? [img.height, img.width] : [img.height, img.width, img.channels];
}
function tensorData(t: Tensor): { shape: number[]; data: Float32Array } {
  return scope(() => ({ shape: [...t.shape], data: t.data() as Float32Array }));
}

describe('transforms equal torchvision (PIL path)', () => {
  const exact: [string, () => Image][] = [
    ['resize50_grey', () => Resize(50).apply(grey, noRng)],
    ['resize50_rgb', () => Resize(50).apply(rgb, noRng)],
    ['resize_150x60_grey', () => Resize([150, 60]).apply(grey, noRng)],
    ['resize_33x200_rgb', () => Resize([33, 200]).apply(rgb, noRng)],
    ['center50_grey', () => CenterCrop(50).apply(grey, noRng)],
    ['center_31x44_rgb', () => CenterCrop([31, 44]).apply(rgb, noRng)],
    ['center_pad_rgb', () => CenterCrop([70, 90]).apply(rgb, noRng)],
    ['hflip_rgb', () => HFlip(1).apply(rgb, noRng)],
    ['grey3', () => GreyToRGB().apply(grey, noRng)],
    ['resized_crop_rgb', () => resizeBilinear(crop(rgb, 5, 9, 40, 51), 24, 24)],
  ];
  for (const a of [17.3, -42.0, 90.0, 180.5]) {
    exact.push([`rotate_${a.toFixed(1)}_rgb`, () => rotate(rgb, a)]);
    exact.push([`rotate_${a.toFixed(1)}_grey`, () => rotate(grey, a)]);
  }
  for (const [name, run] of exact) {
    it(`${name}: identical`, () => {
      const img = run();
      assert.deepEqual(hwc(img), shapes[name]);
      assert.equal(maxAbsDiff(img.data, oracleU8(name)), 0);
    });
  }

  it('float resize: torchvision antialiased tensor resize within 2e-5', () => {
    const img = Resize([40, 57]).apply(flt, noRng);
    assert.deepEqual(hwc(img), shapes.resize_float);
    assert.ok(maxAbsDiff(img.data, oracleF32('resize_float')) < 2e-5);
  });

  it('ToTensor and Normalize within 1e-6', () => {
    const t = tensorData(ToTensor().apply(rgb, noRng));
    assert.deepEqual(t.shape, shapes.totensor_rgb);
    assert.ok(maxAbsDiff(t.data, oracleF32('totensor_rgb')) < 1e-6);
    const norm = chain<Tensor>(
      ToFloat(),
      ChannelNormalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
      ToTensor(),
    ).apply(rgb, noRng);
    const n = tensorData(norm);
    assert.deepEqual(n.shape, shapes.normalize_rgb);
    assert.ok(maxAbsDiff(n.data, oracleF32('normalize_rgb')) < 1e-6);
  });

  it('a whole inference chain equals torchvision Compose within 1e-6', () => {
    const pipeline = chain<Tensor>(
      Resize(64),
      CenterCrop(56),
      GreyToRGB(),
      ToFloat(),
      ChannelNormalize(0.5, 0.25),
      ToTensor(),
    );
    const t = tensorData(pipeline.apply(grey, noRng));
    assert.deepEqual(t.shape, shapes.chain_grey);
    assert.ok(maxAbsDiff(t.data, oracleF32('chain_grey')) < 1e-6);
  });

  it('RandomResizedCrop params stay inside the image and follow the fallback rule', () => {
    const r = seededRandom(9);
    for (let i = 0; i < 500; i++) {
      const [top, left, h, w] = randomResizedCropParams(64, 80, [0.08, 1], [3 / 4, 4 / 3], r);
      assert.ok(top >= 0 && left >= 0 && h > 0 && w > 0 && top + h <= 64 && left + w <= 80);
    }
    // impossible scale: falls back to the centre crop clamped to the ratio range
    assert.deepEqual(randomResizedCropParams(100, 400, [2, 3], [3 / 4, 4 / 3], r), [0, 133, 100, 133]);
    assert.equal(Rotation(0).apply(rgb, r).data.length, rgb.data.length);
  });
});
