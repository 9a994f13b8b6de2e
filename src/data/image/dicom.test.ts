import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeImage } from './decode.js';
import { decodeDicom } from './dicom/decode.js';
import { ImageDecodeError } from './errors.js';
import { maxAbsDiff, python, readRaw } from './oracle.testutil.js';

const dir = mkdtempSync(join(tmpdir(), 'tszoo-dicom-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const PYDICOM_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';

/**
 * pydicom writes the fixtures, reads them back and dumps its own decoding: pixel_array (frame 0),
 * apply_modality_lut, and apply_voi_lut normalized to [0, 1] with its y_min / y_max. It does the same
 * for its bundled test files.
 */
const ORACLE = `
import sys, os, json, warnings
warnings.simplefilter('ignore')
import numpy as np, pydicom
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, ExplicitVRBigEndian, RLELossless, generate_uid
from pydicom.pixel_data_handlers.util import apply_modality_lut, apply_voi_lut
d, bundled = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(1)
H, W = 23, 31

def make(name, arr, bits, photometric='MONOCHROME2', syntax=ExplicitVRLittleEndian, rescale=None, window=None, fn=None):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.1'
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = syntax
    ds = FileDataset(name, {}, file_meta=meta, preamble=b'\\0' * 128)
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = 'CR'
    ds.Rows, ds.Columns = arr.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = arr.dtype.itemsize * 8
    ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = 1 if arr.dtype.kind == 'i' else 0
    if rescale: ds.RescaleSlope, ds.RescaleIntercept = rescale
    if window: ds.WindowCenter, ds.WindowWidth = window
    if fn: ds.VOILUTFunction = fn
    ds.is_little_endian = syntax != ExplicitVRBigEndian
    ds.is_implicit_VR = syntax == ImplicitVRLittleEndian
    if syntax == RLELossless:
        ds.is_little_endian, ds.is_implicit_VR = True, False
        ds.PixelData = arr.tobytes()
        ds.compress(RLELossless, arr)
    elif syntax == ExplicitVRBigEndian:
        ds.PixelData = arr.astype(arr.dtype.newbyteorder('>')).tobytes()
    else:
        ds.PixelData = arr.tobytes()
    ds.save_as(os.path.join(d, name), write_like_original=False)

u8 = rng.integers(0, 256, (H, W), dtype=np.uint8)
u12 = rng.integers(0, 4096, (H, W), dtype=np.uint16)
u16 = rng.integers(0, 65536, (H, W), dtype=np.uint16)
s16 = rng.integers(-32768, 32768, (H, W), dtype=np.int16)
s12 = rng.integers(-2048, 2048, (H, W), dtype=np.int16)
make('mono2_u8.dcm', u8, 8)
make('mono2_u12_implicit_window.dcm', u12, 12, syntax=ImplicitVRLittleEndian, window=(2048, 3000))
make('mono1_u16_window.dcm', u16, 16, photometric='MONOCHROME1', window=(30000, 20000))
make('mono2_s16_rescale_window.dcm', s16, 16, rescale=(2, -1024), window=([40, 80], [400, 800]))
make('mono2_s12_rescale.dcm', s12, 12, rescale=(0.5, 100))
make('mono1_s12_window.dcm', s12, 12, photometric='MONOCHROME1', window=(-100, 1500))
make('mono2_u12_bigendian_window.dcm', u12, 12, syntax=ExplicitVRBigEndian, window=(1000, 800), rescale=(1, -50))
make('mono2_u8_bigendian.dcm', u8, 8, syntax=ExplicitVRBigEndian)
make('mono2_u12_linear_exact.dcm', u12, 12, window=(2000, 1000), fn='LINEAR_EXACT')
make('mono2_u12_sigmoid.dcm', u12, 12, window=(2000, 1000), fn='SIGMOID')
make('rle_u8.dcm', u8, 8, syntax=RLELossless)
make('rle_u12_rescale_window.dcm', u12, 12, syntax=RLELossless, rescale=(1.5, -10), window=(3000, 4000))
make('rle_mono1_s16.dcm', s16, 16, photometric='MONOCHROME1', syntax=RLELossless, window=(0, 30000))

def y_range(ds):
    bits = ds.BitsStored
    lo, hi = (0, 2 ** bits - 1) if ds.PixelRepresentation == 0 else (-2 ** (bits - 1), 2 ** (bits - 1) - 1)
    if 'RescaleSlope' in ds and 'RescaleIntercept' in ds:
        lo, hi = lo * ds.RescaleSlope + ds.RescaleIntercept, hi * ds.RescaleSlope + ds.RescaleIntercept
    return float(lo), float(hi)

out = {}
files = [(os.path.join(d, f), f) for f in sorted(os.listdir(d))]
files += [(os.path.join(bundled, f), 'bundled/' + f) for f in sorted(os.listdir(bundled)) if f.endswith('.dcm')] if os.path.isdir(bundled) else []
for path, key in files:
    try:
        ds = pydicom.dcmread(path)
        syntax = str(ds.file_meta.TransferSyntaxUID) if 'TransferSyntaxUID' in ds.file_meta else None
        arr = ds.pixel_array
    except Exception as e:
        out[key] = {'path': path, 'error': type(e).__name__}
        continue
    frames = int(getattr(ds, 'NumberOfFrames', 1) or 1)
    if frames > 1:
        arr = arr[0]
    base = os.path.join(d, key.replace('/', '_'))
    arr.astype(np.float64).tofile(base + '.stored')
    mod = apply_modality_lut(arr, ds).astype(np.float64)
    mod.tofile(base + '.modality')
    info = {'path': path, 'syntax': syntax, 'shape': list(arr.shape), 'photometric': ds.PhotometricInterpretation,
            'frames': frames, 'window': 'WindowCenter' in ds and 'WindowWidth' in ds}
    if ds.PhotometricInterpretation in ('MONOCHROME1', 'MONOCHROME2'):
        info['range'] = y_range(ds)
        if info['window']:
            lo, hi = info['range']
            ((apply_voi_lut(mod, ds, prefer_lut=False) - lo) / (hi - lo)).tofile(base + '.window01')
    out[key] = info
print(json.dumps(out))
`;

interface OracleInfo {
  path: string;
  error?: string;
  syntax?: string | null;
  shape?: number[];
  photometric?: string;
  frames?: number;
  window?: boolean;
  range?: [number, number];
}
let oracle: Record<string, OracleInfo> = {};

before(() => {
  oracle = JSON.parse(python(ORACLE, dir, PYDICOM_FILES));
});

function dump(key: string, what: 'stored' | 'modality' | 'window01'): Float64Array {
  return readRaw(join(dir, `${key.replace('/', '_')}.${what}`), 'float64') as Float64Array;
}

const written = [
  'mono2_u8.dcm',
  'mono2_u12_implicit_window.dcm',
  'mono1_u16_window.dcm',
  'mono2_s16_rescale_window.dcm',
  'mono2_s12_rescale.dcm',
  'mono1_s12_window.dcm',
  'mono2_u12_bigendian_window.dcm',
  'mono2_u8_bigendian.dcm',
  'mono2_u12_linear_exact.dcm',
  'mono2_u12_sigmoid.dcm',
  'rle_u8.dcm',
  'rle_u12_rescale_window.dcm',
  'rle_mono1_s16.dcm',
];

describe('decodeDicom against pydicom (files written by pydicom)', () => {
  for (const key of written) {
    it(key, async () => {
      const o = oracle[key];
      assert.ok(o && !o.error, `pydicom could not read its own file: ${o?.error}`);
      const path = join(dir, key);
      const modality = dump(key, 'modality');
      // modality values, no VOI, no inversion: float32 of pydicom's float64
      const raw = await decodeDicom(path, { voi: 'none', invertMonochrome1: false });
      assert.deepEqual([raw.height, raw.width, raw.channels], [23, 31, 1]);
      assert.equal(raw.info.transferSyntax, o.syntax);
      assert.equal(maxAbsDiff(raw.data, Float32Array.from(modality)), 0);
      const [lo, hi] = o.range as [number, number];
      const mono1 = o.photometric === 'MONOCHROME1';
      // default: window from the file if any, MONOCHROME1 inverted
      const img = await decodeDicom(path);
      assert.equal(img.info.inverted, mono1);
      if (o.window) {
        const w = dump(key, 'window01');
        const want = mono1 ? w.map((v) => 1 - v) : w;
        assert.ok(maxAbsDiff(img.data, want) < 1e-6, 'windowed [0, 1]');
        const u8 = await decodeDicom(path, { output: 'uint8' });
        assert.equal(
          maxAbsDiff(
            u8.data,
            want.map((v) => Math.round(v * 255)),
          ),
          0,
          'windowed 8-bit',
        );
      } else {
        const want = mono1 ? modality.map((v) => lo + hi - v) : modality;
        assert.equal(maxAbsDiff(img.data, Float32Array.from(want)), 0);
        const u8 = await decodeDicom(path, { output: 'uint8' });
        assert.equal(
          maxAbsDiff(
            u8.data,
            want.map((v) => Math.round(((v - lo) / (hi - lo)) * 255)),
          ),
          0,
          'range 8-bit',
        );
      }
    });
  }

  it("voi 'minmax' and an explicit window", async () => {
    const path = join(dir, 'mono2_s12_rescale.dcm');
    const m = dump('mono2_s12_rescale.dcm', 'modality');
    const lo = Math.min(...m);
    const hi = Math.max(...m);
    const mm = await decodeDicom(path, { voi: 'minmax' });
    assert.ok(
      maxAbsDiff(
        mm.data,
        m.map((v) => (v - lo) / (hi - lo)),
      ) < 1e-6,
    );
    const w = await decodeDicom(path, { voi: { center: 100, width: 201 } });
    assert.equal(w.data[m.indexOf(lo)], 0);
    assert.equal(w.data[m.indexOf(hi)], 1);
  });
});

describe("decodeDicom on pydicom's bundled test files", () => {
  it('uncompressed, deflated, big endian and RLE files equal pydicom (JPEG family: dicom-codecs.test)', async (t) => {
    const bundled = Object.entries(oracle).filter(([k]) => k.startsWith('bundled/'));
    if (bundled.length === 0) return t.skip('pydicom test files not installed');
    const ours = new Set([
      '1.2.840.10008.1.2',
      '1.2.840.10008.1.2.1',
      '1.2.840.10008.1.2.1.99',
      '1.2.840.10008.1.2.2',
      '1.2.840.10008.1.2.5',
    ]);
    const checked: string[] = [];
    for (const [key, o] of bundled) {
      if (o.error || !o.shape) continue;
      const photometric = o.photometric ?? '';
      if (!['MONOCHROME1', 'MONOCHROME2', 'RGB'].includes(photometric)) continue;
      if (o.syntax && !ours.has(o.syntax)) continue;
      const img = await decodeDicom(o.path, { voi: 'none', invertMonochrome1: false });
      assert.deepEqual([img.height, img.width], o.shape.slice(0, 2), key);
      const want = dump(key, 'modality');
      const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
      const diff = maxAbsDiff(img.data, want);
      assert.ok(diff <= scale * 1e-7, `${key}: max diff ${diff}`);
      checked.push(key);
    }
    for (const must of [
      'MR_small.dcm',
      'MR_small_RLE.dcm',
      'MR_small_bigendian.dcm',
      'SC_rgb_rle_16bit.dcm',
      'CT_small.dcm',
    ]) {
      assert.ok(checked.includes(`bundled/${must}`), `${must} checked (checked: ${checked.join(', ')})`);
    }
    t.diagnostic(`pixel-equal: ${checked.length} files`);
  });
});

describe('decodeDicom on broken files', () => {
  it('truncated, garbage and non-image files give clear errors; the next file decodes', async () => {
    const good = readFileSync(join(dir, 'mono2_u12_implicit_window.dcm'));
    const cases: [string, Uint8Array, RegExp][] = [
      ['trunc_pixels.dcm', good.subarray(0, good.length - 100), /truncated|overrun|past end/],
      ['trunc_header.dcm', good.subarray(0, 200), /cannot decode/],
      ['garbage.dcm', new Uint8Array(1000).fill(7), /cannot decode/],
      ['empty.dcm', new Uint8Array(0), /cannot decode/],
    ];
    for (const [name, bytes, re] of cases) {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      await assert.rejects(decodeDicom(path), (e: unknown) => {
        assert.ok(e instanceof ImageDecodeError, String(e));
        assert.equal(e.source, path);
        assert.match(e.message, re);
        return true;
      });
      assert.equal((await decodeDicom(join(dir, 'mono2_u8.dcm'))).width, 31);
    }
    const truncated = join(PYDICOM_FILES, 'MR_truncated.dcm');
    await assert.rejects(decodeDicom(truncated), /cannot decode .*MR_truncated\.dcm/);
    // a PNG is not a DICOM, and a DICOM is not a PNG
    await assert.rejects(decodeImage(join(dir, 'mono2_u8.dcm')), ImageDecodeError);
  });
});
