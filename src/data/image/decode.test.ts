import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { decodeImage } from './decode.js';
import { rejectsNamingFile } from './decode-error.testutil.js';
import { maxAbsDiff, python, readRaw } from './oracle.testutil.js';

const dir = mkdtempSync(join(tmpdir(), 'tszoo-image-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** PIL writes fixtures, then decodes every file in the directory (including sharp's) to <file>.raw + shape. */
const FIXTURES = `
import sys, os, json
import numpy as np
from PIL import Image
d = sys.argv[1]
rng = np.random.default_rng(0)
H, W = 37, 53
Image.fromarray(rng.integers(0, 256, (H, W), dtype=np.uint8)).save(d + '/pil_grey8.png')
Image.fromarray(rng.integers(0, 256, (H, W, 2), dtype=np.uint8), 'LA').save(d + '/pil_la.png')
Image.fromarray(rng.integers(0, 256, (H, W, 3), dtype=np.uint8)).save(d + '/pil_rgb.png')
Image.fromarray(rng.integers(0, 256, (H, W, 4), dtype=np.uint8)).save(d + '/pil_rgba.png')
Image.fromarray(rng.integers(0, 65536, (H, W), dtype=np.uint16)).save(d + '/pil_grey16.png')
yy, xx = np.mgrid[0:64, 0:80]
smooth = np.stack([(xx * 3) % 256, (yy * 4) % 256, (xx + yy) * 2 % 256], -1).astype(np.float64)
smooth = np.clip(smooth + rng.normal(0, 8, smooth.shape), 0, 255).astype(np.uint8)
Image.fromarray(smooth).save(d + '/pil_rgb.jpg', quality=90)
Image.fromarray(smooth[..., 0]).save(d + '/pil_grey.jpg', quality=90)
Image.fromarray(smooth).save(d + '/pil_rgb.tiff')
Image.fromarray(smooth).save(d + '/pil_rgb.webp', lossless=True)
meta = {}
for f in sorted(os.listdir(d)):
    if f.endswith(('.png', '.jpg', '.tiff', '.webp')) and not f.startswith('bad'):
        im = Image.open(d + '/' + f)
        a = np.asarray(im)
        if im.mode == 'I':  # PIL opens 16-bit grey PNGs as 32-bit 'I'
            a = a.astype(np.uint16)
        a.tofile(d + '/' + f + '.raw')
        if im.mode in ('RGB', 'RGBA'):
            np.asarray(im.convert('L')).tofile(d + '/' + f + '.L.raw')
        meta[f] = {'shape': list(a.shape), 'mode': im.mode, 'dtype': str(a.dtype)}
print(json.dumps(meta))
`;

type Meta = Record<string, { shape: number[]; mode: string; dtype: string }>;
let meta: Meta = {};
const H = 37;
const W = 53;
const sharpGrey = Uint8Array.from({ length: H * W }, (_, i) => (i * 7) % 256);
const sharpRgb = Uint8Array.from({ length: H * W * 3 }, (_, i) => (i * 13) % 256);
const sharpGrey16 = Uint16Array.from({ length: H * W }, (_, i) => (i * 977) % 65536);

before(async () => {
  await sharp(sharpGrey, { raw: { width: W, height: H, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toFile(join(dir, 'sharp_grey8.png'));
  await sharp(sharpRgb, { raw: { width: W, height: H, channels: 3 } })
    .png()
    .toFile(join(dir, 'sharp_rgb.png'));
  await sharp(sharpGrey16, { raw: { width: W, height: H, channels: 1 } })
    .toColourspace('grey16')
    .png()
    .toFile(join(dir, 'sharp_grey16.png'));
  meta = JSON.parse(python(FIXTURES, dir));
});

function expected(file: string, suffix = '.raw'): ArrayLike<number> {
  return readRaw(join(dir, file + suffix), meta[file]?.dtype === 'uint16' ? 'uint16' : 'uint8');
}

describe('decodeImage against PIL', () => {
  const exact: [string, number, number][] = [
    ['pil_grey8.png', 1, 8],
    ['pil_la.png', 2, 8],
    ['pil_rgb.png', 3, 8],
    ['pil_rgba.png', 4, 8],
    ['pil_grey16.png', 1, 16],
    ['pil_rgb.tiff', 3, 8],
    ['pil_rgb.webp', 3, 8],
    ['sharp_grey8.png', 1, 8],
    ['sharp_rgb.png', 3, 8],
    ['sharp_grey16.png', 1, 16],
  ];
  for (const [file, channels, bitDepth] of exact) {
    it(`${file}: pixel-exact, ${channels} channel(s), ${bitDepth}-bit`, async () => {
      const img = await decodeImage(join(dir, file));
      const shape = meta[file]?.shape ?? [];
      assert.deepEqual([img.height, img.width], shape.slice(0, 2));
      assert.equal(img.channels, channels);
      assert.equal(img.bitDepth, bitDepth);
      assert.ok(bitDepth === 16 ? img.data instanceof Uint16Array : img.data instanceof Uint8Array);
      assert.equal(maxAbsDiff(img.data, expected(file)), 0);
    });
  }

  it('sharp-written files hold what sharp was given', async () => {
    assert.deepEqual((await decodeImage(join(dir, 'sharp_grey8.png'))).data, sharpGrey);
    assert.deepEqual((await decodeImage(join(dir, 'sharp_grey16.png'))).data, sharpGrey16);
  });

  it('JPEG within 1 level of PIL (different libjpeg builds)', async () => {
    for (const file of ['pil_rgb.jpg', 'pil_grey.jpg']) {
      const img = await decodeImage(join(dir, file));
      assert.equal(img.channels, file.includes('rgb') ? 3 : 1);
      assert.ok(maxAbsDiff(img.data, expected(file)) <= 1, file);
    }
  });

  it("colour 'grey' equals PIL's convert('L'); 'rgb' replicates grey and drops alpha", async () => {
    for (const file of ['pil_rgb.png', 'pil_rgba.png']) {
      const grey = await decodeImage(join(dir, file), { colour: 'grey' });
      assert.equal(grey.channels, 1);
      assert.equal(maxAbsDiff(grey.data, expected(file, '.L.raw')), 0, file);
    }
    const rgb = await decodeImage(join(dir, 'pil_grey8.png'), { colour: 'rgb' });
    const g = expected('pil_grey8.png');
    assert.equal(rgb.channels, 3);
    assert.equal(rgb.data[3 * 10 + 2], g[10]);
    const fromRgba = await decodeImage(join(dir, 'pil_rgba.png'), { colour: 'rgb' });
    const rgba = expected('pil_rgba.png');
    assert.deepEqual([...fromRgba.data.subarray(0, 6)], [rgba[0], rgba[1], rgba[2], rgba[4], rgba[5], rgba[6]]);
  });

  it('decodes from bytes as from a path', async () => {
    const bytes = readFileSync(join(dir, 'pil_rgb.png'));
    const img = await decodeImage(new Uint8Array(bytes));
    assert.equal(maxAbsDiff(img.data, expected('pil_rgb.png')), 0);
  });

  it('resizes in sharp: shorter side semantics, close to PIL bilinear', async () => {
    const img = await decodeImage(join(dir, 'pil_rgb.jpg'), { resize: 32 });
    assert.deepEqual([img.height, img.width, img.channels], [32, 40, 3]);
    const fixed = await decodeImage(join(dir, 'pil_grey8.png'), { resize: [20, 30] });
    assert.deepEqual([fixed.height, fixed.width], [20, 30]);
  });
});

describe('decodeImage on broken files', () => {
  it('throws a clear ImageDecodeError naming the file, and the next file still decodes', async () => {
    const good = readFileSync(join(dir, 'pil_rgb.png'));
    const jpeg = readFileSync(join(dir, 'pil_rgb.jpg'));
    const cases: [string, Uint8Array][] = [
      ['bad_truncated.png', good.subarray(0, Math.floor(good.length / 2))],
      ['bad_garbage.png', new Uint8Array(500).fill(42)],
      ['bad_empty.png', new Uint8Array(0)],
      ['bad_truncated.jpg', jpeg.subarray(0, Math.floor(jpeg.length / 2))],
      ['bad_header_only.png', good.subarray(0, 40)],
    ];
    for (const [name, bytes] of cases) {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      await rejectsNamingFile(decodeImage(path), path);
      const next = await decodeImage(join(dir, 'pil_grey8.png'));
      assert.equal(next.height, H);
    }
    await assert.rejects(decodeImage(join(dir, 'missing.png')), /cannot decode .*missing\.png/);
    await assert.rejects(decodeImage(new Uint8Array(10), { name: 'row 7' }), /cannot decode row 7: /);
  });
});
