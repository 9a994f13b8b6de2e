import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crc32, deflateSync, inflateSync } from 'node:zlib';
import sharp from 'sharp';
import { seededRandom } from '../../sampler.js';
import { decodeImage } from '../decode.js';
import { rejectsNamingFile } from '../decode-error.testutil.js';
import { CenterCrop } from '../geometric.js';
import { imageNative } from '../native.js';
import { maxAbsDiff, python, readRaw } from '../oracle.testutil.js';
import { PngFormatError, readPngChunks } from './chunks.js';
import { decodePngFast } from './decode.js';

const dir = mkdtempSync(join(tmpdir(), 'tszoo-png-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A PNG writer in Python that applies the filter types it is told to (PIL's encoder picks its own), so
 * every filter type is exercised. Two independent decoders check each file: PIL, in the writer, reads back
 * the array it was given (all but 16-bit colour, which PIL reduces to 8 bits), and sharp (libvips with
 * libspng) in the test. Also writes the files the fast path leaves to sharp.
 */
const WRITER = `
import sys, os, json, zlib, struct
import numpy as np
from PIL import Image
d = sys.argv[1]
rng = np.random.default_rng(5)

def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))

def filter_row(f, row, prev, bpp):
    row = row.astype(np.int64); prev = prev.astype(np.int64)
    left = np.concatenate([np.zeros(bpp, np.int64), row[:-bpp]])
    upleft = np.concatenate([np.zeros(bpp, np.int64), prev[:-bpp]])
    pred = [np.zeros_like(row), left, prev, (left + prev) // 2, paeth(left, prev, upleft)][f]
    return ((row - pred) % 256).astype(np.uint8)

def chunk(t, data):
    return struct.pack('>I', len(data)) + t + data + struct.pack('>I', zlib.crc32(t + data) & 0xffffffff)

def write(name, a, colour_type, filters, idat_size=1 << 20):
    h, w = a.shape[:2]
    depth = 16 if a.dtype == np.uint16 else 8
    rows = a.reshape(h, -1)
    if depth == 16:
        rows = rows.astype('>u2').view(np.uint8).reshape(h, -1)
    channels = rows.shape[1] // w // (depth // 8)
    bpp = max(1, channels * depth // 8)
    raw = bytearray()
    prev = np.zeros(rows.shape[1], np.uint8)
    for y in range(h):
        f = filters[y % len(filters)]
        raw.append(f)
        raw += filter_row(f, rows[y], prev, bpp).tobytes()
        prev = rows[y]
    z = zlib.compress(bytes(raw), 6)
    out = b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, depth, colour_type, 0, 0, 0))
    out += chunk(b'tEXt', b'Comment\\x00written by the test')
    for i in range(0, len(z), idat_size):
        out += chunk(b'IDAT', z[i:i + idat_size])
    out += chunk(b'IEND', b'')
    open(d + '/' + name, 'wb').write(out)

H, W = 23, 37
cases = {
    'grey8': (rng.integers(0, 256, (H, W), dtype=np.uint8), 0),
    'grey16': (rng.integers(0, 65536, (H, W), dtype=np.uint16), 0),
    'la8': (rng.integers(0, 256, (H, W, 2), dtype=np.uint8), 4),
    'la16': (rng.integers(0, 65536, (H, W, 2), dtype=np.uint16), 4),
    'rgb8': (rng.integers(0, 256, (H, W, 3), dtype=np.uint8), 2),
    'rgb16': (rng.integers(0, 65536, (H, W, 3), dtype=np.uint16), 2),
    'rgba8': (rng.integers(0, 256, (H, W, 4), dtype=np.uint8), 6),
    'rgba16': (rng.integers(0, 65536, (H, W, 4), dtype=np.uint16), 6),
    'grey8_1wide': (rng.integers(0, 256, (9, 1), dtype=np.uint8), 0),
}
meta = {}
for name, (a, ct) in cases.items():
    for fname, filters in [('none', [0]), ('sub', [1]), ('up', [2]), ('avg', [3]), ('paeth', [4]), ('mixed', [4, 0, 3, 1, 2])]:
        f = f'{name}_{fname}.png'
        write(f, a, ct, filters, idat_size=97 if fname == 'mixed' else 1 << 20)
        if not (a.dtype == np.uint16 and a.ndim == 3):  # PIL reads 16-bit colour as 8-bit: sharp checks those
            back = np.asarray(Image.open(d + '/' + f))
            assert np.array_equal(back.astype(np.int64), a.astype(np.int64)), f
        a.astype(a.dtype.newbyteorder('<')).tofile(d + '/' + f + '.raw')
        meta[f] = {'shape': list(a.shape), 'dtype': str(a.dtype)}
# files the fast path leaves to sharp
g = rng.integers(0, 256, (H, W), dtype=np.uint8)
Image.fromarray(g).convert('P').save(d + '/defer_palette.png')
Image.fromarray(g > 127).save(d + '/defer_1bit.png')
Image.fromarray(g).save(d + '/defer_trns.png', transparency=7)
for f in ['defer_palette.png', 'defer_1bit.png']:
    np.asarray(Image.open(d + '/' + f).convert('L')).tofile(d + '/' + f + '.L.raw')
print(json.dumps(meta))
`;

/**
 * sharp's decode of a PNG with `channels` channels as HWC samples. libvips outputs sRGB unless told
 * otherwise and drops alpha when converting to grey, so grey + alpha is read as RGBA and taken apart.
 */
async function sharpPixels(path: string, channels: number, sixteen: boolean): Promise<ArrayLike<number>> {
  const space = channels <= 2 ? (sixteen ? 'grey16' : 'b-w') : sixteen ? 'rgb16' : 'srgb';
  const b = await sharp(path)
    .toColourspace(channels === 2 ? (sixteen ? 'rgb16' : 'srgb') : space)
    .raw({ depth: sixteen ? 'ushort' : 'uchar' })
    .toBuffer();
  const px = sixteen ? new Uint16Array(b.buffer, b.byteOffset, b.length / 2) : b;
  if (channels !== 2) return px;
  return Array.from({ length: px.length / 2 }, (_, i) => px[4 * (i >> 1) + (i % 2 ? 3 : 0)] as number);
}

type Meta = Record<string, { shape: number[]; dtype: string }>;
let meta: Meta = {};
before(() => {
  meta = JSON.parse(python(WRITER, dir));
});

function oracle(file: string, suffix = '.raw'): ArrayLike<number> {
  return readRaw(join(dir, file + suffix), meta[file]?.dtype === 'uint16' ? 'uint16' : 'uint8');
}

describe('PNG fast path', () => {
  it('unfilters None, Sub, Up, Average and Paeth rows (and a mix over many IDAT chunks) as PIL does', async () => {
    const files = Object.keys(meta);
    assert.equal(files.length, 9 * 6);
    for (const file of files) {
      const img = await decodePngFast(readFileSync(join(dir, file)));
      assert.ok(img, `${file} takes the fast path`);
      const shape = meta[file]?.shape ?? [];
      assert.deepEqual([img.height, img.width, img.channels], [shape[0], shape[1], shape[2] ?? 1], file);
      const sixteen = meta[file]?.dtype === 'uint16';
      assert.equal(img.bitDepth, sixteen ? 16 : 8, file);
      assert.ok(sixteen ? img.data instanceof Uint16Array : img.data instanceof Uint8Array, file);
      assert.equal(maxAbsDiff(img.data, oracle(file)), 0, file);
      assert.equal(
        maxAbsDiff(img.data, await sharpPixels(join(dir, file), img.channels, sixteen)),
        0,
        `${file} (sharp)`,
      );
    }
  });

  it('gathers the IDAT data in place when allowed, with the same pixels, and leaves deferred files intact', async () => {
    // the mixed files have many small IDAT chunks, so their data moves (a lone IDAT stays where it is)
    for (const file of ['rgb8_mixed.png', 'grey16_mixed.png', 'la8_mixed.png']) {
      const bytes = readFileSync(join(dir, file));
      const copy = Uint8Array.from(bytes);
      const img = await decodePngFast(copy, { overwrite: true });
      assert.ok(img);
      assert.equal(maxAbsDiff(img.data, oracle(file)), 0, file);
      assert.notDeepEqual(copy, new Uint8Array(bytes), `${file}: overwritten`);
    }
    const deferred = readFileSync(join(dir, 'defer_trns.png'));
    const copy = Uint8Array.from(deferred);
    assert.equal(await decodePngFast(copy, { overwrite: true }), undefined);
    assert.deepEqual(copy, new Uint8Array(deferred));
  });

  it("gives sharp's pixels for the files sharp writes", async () => {
    const rgb = Uint8Array.from({ length: 31 * 45 * 3 }, (_, i) => (i * 31 + (i >> 7)) % 256);
    const bytes = await sharp(rgb, { raw: { width: 45, height: 31, channels: 3 } })
      .png({ adaptiveFiltering: true })
      .toBuffer();
    const img = await decodePngFast(bytes);
    assert.ok(img);
    const ref = await sharp(bytes).raw().toBuffer();
    assert.equal(maxAbsDiff(img.data, ref), 0);
  });

  it('leaves palette, interlaced, 1-bit and tRNS files to sharp, which decodeImage then uses', async () => {
    // PIL cannot write Adam7; sharp can
    const grey = readRaw(join(dir, 'grey8_none.png.raw'), 'uint8') as Uint8Array;
    await sharp(grey, { raw: { width: 37, height: 23, channels: 1 } })
      .toColourspace('b-w')
      .png({ progressive: true })
      .toFile(join(dir, 'defer_interlaced.png'));
    writeFileSync(join(dir, 'defer_interlaced.png.L.raw'), grey);
    for (const file of ['defer_palette.png', 'defer_interlaced.png', 'defer_1bit.png', 'defer_trns.png']) {
      assert.equal(await decodePngFast(readFileSync(join(dir, file))), undefined, file);
    }
    for (const file of ['defer_palette.png', 'defer_interlaced.png', 'defer_1bit.png']) {
      const img = await decodeImage(join(dir, file), { colour: 'grey' });
      assert.equal(maxAbsDiff(img.data, readRaw(join(dir, `${file}.L.raw`), 'uint8')), 0, file);
    }
  });

  it("resizes while decoding exactly as PIL's convert(mode).resize(BILINEAR)", async () => {
    const out = python(
      `
import sys, numpy as np
from PIL import Image
d = sys.argv[1]
rng = np.random.default_rng(9)
Image.fromarray(rng.integers(0, 256, (96, 128, 3), dtype=np.uint8)).save(d + '/resize_rgb.png')
Image.fromarray(rng.integers(0, 256, (128, 96), dtype=np.uint8)).save(d + '/resize_grey.png')
np.asarray(Image.open(d + '/resize_rgb.png').convert('L').resize((32, 24), Image.BILINEAR)).tofile(d + '/rgb_L_24.raw')
np.asarray(Image.open(d + '/resize_grey.png').resize((24, 32), Image.BILINEAR)).tofile(d + '/grey_24.raw')
np.asarray(Image.open(d + '/resize_grey.png').resize((50, 66), Image.BILINEAR)).tofile(d + '/grey_50.raw')
print('ok')
`,
      dir,
    );
    assert.equal(out.trim(), 'ok');
    const greyFromRgb = await decodeImage(join(dir, 'resize_rgb.png'), { colour: 'grey', resize: 24 });
    assert.deepEqual([greyFromRgb.height, greyFromRgb.width, greyFromRgb.channels], [24, 32, 1]);
    assert.equal(maxAbsDiff(greyFromRgb.data, readRaw(join(dir, 'rgb_L_24.raw'), 'uint8')), 0);
    const quarter = await decodeImage(join(dir, 'resize_grey.png'), { resize: 24 });
    assert.equal(maxAbsDiff(quarter.data, readRaw(join(dir, 'grey_24.raw'), 'uint8')), 0);
    const odd = await decodeImage(join(dir, 'resize_grey.png'), { resize: 50 });
    assert.deepEqual([odd.height, odd.width], [66, 50]);
    assert.equal(maxAbsDiff(odd.data, readRaw(join(dir, 'grey_50.raw'), 'uint8')), 0);
    const rgb = await decodeImage(join(dir, 'resize_grey.png'), { colour: 'rgb', resize: 24 });
    assert.equal(rgb.channels, 3);
    assert.deepEqual(
      [rgb.data[30], rgb.data[31], rgb.data[32]],
      [quarter.data[10], quarter.data[10], quarter.data[10]],
      'grey replicated after the resize',
    );
  });
});

const PNG_SIGNATURE = Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10]);

/** A PNG chunk: length, type, data, CRC of type and data. */
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  out.set(Buffer.from(type, 'latin1'), 4);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** `bytes` with one byte changed, the chunk CRCs left as they were. */
function flipped(bytes: Uint8Array, at: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[at] = (out[at] as number) ^ 0x5a;
  return out;
}

/** A copy of a PNG whose first row's filter byte is `filter`, its IDAT re-compressed with a valid CRC. */
function withFilterByte(bytes: Uint8Array, filter: number): Uint8Array {
  const { idat } = readPngChunks(bytes);
  const raw = inflateSync(idat);
  raw[0] = filter;
  const head = bytes.subarray(0, 33); // signature + IHDR
  return Buffer.concat([head, chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}

describe('decodeImage with centerCrop', () => {
  it('equals the Resize then CenterCrop transforms (and PIL), on the fast path and through sharp', async () => {
    python(
      `
import sys, numpy as np
from PIL import Image
import torchvision.transforms as T
d = sys.argv[1]
im = Image.open(d + '/resize_grey.png')
np.asarray(T.CenterCrop(40)(T.Resize(48)(im))).tofile(d + '/grey_48_c40.raw')
`,
      dir,
    );
    const rng = seededRandom(0);
    const grey = join(dir, 'resize_grey.png');
    const fused = await decodeImage(grey, { resize: 48, centerCrop: 40 });
    assert.deepEqual([fused.height, fused.width], [40, 40]);
    assert.equal(maxAbsDiff(fused.data, readRaw(join(dir, 'grey_48_c40.raw'), 'uint8')), 0);
    const cases: [string, { resize?: number; centerCrop: number | [number, number] }][] = [
      [grey, { resize: 48, centerCrop: [33, 47] }],
      [grey, { resize: 24, centerCrop: [40, 30] }], // larger than the resized image: zero padding
      [grey, { centerCrop: 50 }],
      [join(dir, 'defer_palette.png'), { resize: 16, centerCrop: 12 }], // sharp path
    ];
    for (const [file, options] of cases) {
      const got = await decodeImage(file, { colour: 'grey', ...options });
      const full = await decodeImage(file, { colour: 'grey', resize: options.resize });
      const ref = CenterCrop(options.centerCrop).apply(full, rng);
      assert.deepEqual([got.height, got.width], [ref.height, ref.width], JSON.stringify(options));
      assert.equal(maxAbsDiff(got.data, ref.data), 0, JSON.stringify(options));
    }
  });
});

describe('PNG fast path on broken files', () => {
  it('the native inflater refuses bad arguments with a JS error instead of touching memory', async () => {
    const inflate = imageNative().inflatePng;
    const idat = deflateSync(Buffer.alloc(2 * 5));
    assert.throws(() => inflate(idat, new Uint8Array(7), 2, 4, 1), /out must hold height \* rowBytes bytes/);
    assert.throws(() => inflate(idat, new Uint8Array(8), 2.5, 4, 1), RangeError);
    assert.throws(() => inflate(idat, new Uint8Array(8), 2, 4, 9), RangeError);
    assert.throws(() => inflate(new Float32Array(4) as unknown as Uint8Array, new Uint8Array(8), 2, 4, 1), TypeError);
    assert.deepEqual(await inflate(idat, new Uint8Array(8), 2, 4, 1), new Uint8Array(8));
    // a header promising far more than the data could inflate to: refused before allocating it
    const tiny = readFileSync(join(dir, 'grey8_none.png'));
    const huge = Buffer.from(tiny);
    huge.writeUInt32BE(16000, 16); // IHDR width
    huge.writeUInt32BE(16000, 20); // IHDR height
    huge.writeUInt32BE(crc32(huge.subarray(12, 29)) >>> 0, 29);
    await assert.rejects(
      decodePngFast(huge),
      /image data too short: \d+ compressed bytes cannot hold a 16000x16000 image/,
    );
    huge.writeUInt32BE(20000, 16);
    huge.writeUInt32BE(crc32(huge.subarray(12, 29)) >>> 0, 29);
    await assert.rejects(decodePngFast(huge), /image too large: 20000x16000/);
    // a stream that inflates to fewer bytes than the rows need
    await assert.rejects(inflate(deflateSync(Buffer.alloc(3)), new Uint8Array(8), 2, 4, 1), /image data too short/);
  });

  it('rejects bad CRCs, truncation, unknown filter types and corrupt zlib data with clear errors', async () => {
    const good = readFileSync(join(dir, 'rgb8_paeth.png'));
    await assert.rejects(
      decodePngFast(flipped(good, 20)),
      (e: unknown) => e instanceof PngFormatError && /CRC mismatch in chunk IHDR/.test(e.message),
    );
    await assert.rejects(decodePngFast(good.subarray(0, good.length - 40)), /truncated/);
    await assert.rejects(decodePngFast(good.subarray(0, 8)), /truncated/);
    await assert.rejects(decodePngFast(withFilterByte(good, 9)), /row 0 has unknown filter type 9/);
    // IDAT data corrupted under a valid chunk structure: the zlib stream's checks catch it
    await assert.rejects(
      decodePngFast(flipped(good, 33 + 8 + 200)),
      (e: unknown) => e instanceof PngFormatError && /zlib stream|image data/.test(e.message),
    );
    assert.ok(await decodePngFast(withFilterByte(good, 4)), 'the re-packing helper itself keeps a file readable');
  });

  it('random headers, filter bytes and stream lengths give pixels or a PngFormatError, never a crash', async () => {
    const rng = seededRandom(17);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rng() * xs.length)] as T;
    let decoded = 0;
    let refused = 0;
    for (let k = 0; k < 300; k++) {
      const width = 1 + Math.floor(rng() * 40);
      const height = 1 + Math.floor(rng() * 40);
      const colourType = pick([0, 2, 4, 6]);
      const bitDepth = pick([8, 16]);
      const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[colourType] as number;
      const rowBytes = (width * channels * bitDepth) / 8;
      // rows with random filter bytes (mostly valid) and random samples; sometimes too few or too many bytes
      const rows = Math.max(0, height + pick([0, 0, 0, -1, 1]));
      const raw = new Uint8Array(rows * (rowBytes + 1));
      for (let i = 0; i < raw.length; i++) raw[i] = Math.floor(rng() * 256);
      for (let y = 0; y < rows; y++)
        raw[y * (rowBytes + 1)] = rng() < 0.9 ? Math.floor(rng() * 5) : Math.floor(rng() * 256);
      const ihdr = new Uint8Array(13);
      const dv = new DataView(ihdr.buffer);
      dv.setUint32(0, width);
      dv.setUint32(4, height);
      ihdr.set([bitDepth, colourType, 0, 0, 0], 8);
      const png = Buffer.concat([
        PNG_SIGNATURE,
        chunk('IHDR', ihdr),
        chunk('IDAT', deflateSync(raw)),
        chunk('IEND', new Uint8Array(0)),
      ]);
      try {
        const img = await decodePngFast(png);
        assert.ok(img && img.width === width && img.height === height && img.channels === channels);
        decoded++;
      } catch (e) {
        assert.ok(e instanceof PngFormatError, String(e));
        refused++;
      }
    }
    assert.ok(decoded > 50 && refused > 50, `decoded ${decoded}, refused ${refused}`);
  });

  it('makes decodeImage throw an ImageDecodeError naming the file, and the next file still decodes', async () => {
    const good = readFileSync(join(dir, 'grey8_up.png'));
    const cases: [string, Uint8Array][] = [
      ['bad_crc.png', flipped(good, 20)],
      ['bad_filter.png', withFilterByte(good, 7)],
      ['bad_idat.png', flipped(good, 33 + 8 + 100)],
      ['bad_cut.png', good.subarray(0, good.length - 30)],
    ];
    for (const [name, bytes] of cases) {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      await rejectsNamingFile(decodeImage(path), path);
      const next = await decodeImage(join(dir, 'grey8_none.png'));
      assert.equal(maxAbsDiff(next.data, oracle('grey8_none.png')), 0);
    }
  });
});
