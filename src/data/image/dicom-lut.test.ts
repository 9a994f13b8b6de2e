import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeDicom } from './dicom/decode.js';
import { maxAbsDiff, python, readRaw } from './oracle.testutil.js';

const dir = mkdtempSync(join(tmpdir(), 'tszoo-dicom-lut-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * pydicom writes files with a Modality LUT Sequence, a VOI LUT Sequence (with and without a window beside it,
 * signed and unsigned first-mapped values, 8 and 12/16-bit entries, US and OW LUT Data, explicit, implicit and
 * big endian) and a Presentation LUT Shape; it dumps apply_modality_lut and apply_voi_lut (prefer_lut, its
 * default) and the LUT's bit depth, which scales the VOI output to [0, 1].
 */
const ORACLE = `
import sys, os, json, warnings
warnings.simplefilter('ignore')
import numpy as np, pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, ExplicitVRBigEndian, generate_uid
from pydicom.pixel_data_handlers.util import apply_modality_lut, apply_voi_lut
d = sys.argv[1]
rng = np.random.default_rng(5)
H, W = 19, 27

def lut_item(entries, first, bits, data, first_vr='US', data_vr='US', little=True):
    item = Dataset()
    item.add_new(0x00283002, first_vr if first >= 0 or first_vr == 'SS' else 'SS', [entries % 65536, first, bits])
    if data_vr == 'OW':
        item.add_new(0x00283006, 'OW', np.asarray(data, dtype='<u2' if little else '>u2').tobytes())
    else:
        item.add_new(0x00283006, 'US', [int(v) for v in data])
    item.LUTExplanation = 'test'
    return item

def make(name, arr, bits, photometric='MONOCHROME2', syntax=ExplicitVRLittleEndian, mlut=None, vlut=None,
         window=None, rescale=None, shape=None):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.1.1'
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = syntax
    ds = FileDataset(name, {}, file_meta=meta, preamble=b'\\0' * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.Rows, ds.Columns = arr.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = arr.dtype.itemsize * 8
    ds.BitsStored, ds.HighBit = bits, bits - 1
    ds.PixelRepresentation = 1 if arr.dtype.kind == 'i' else 0
    if mlut: ds.ModalityLUTSequence = Sequence([mlut])
    if vlut: ds.VOILUTSequence = Sequence([vlut])
    if window: ds.WindowCenter, ds.WindowWidth = window
    if rescale: ds.RescaleSlope, ds.RescaleIntercept = rescale
    if shape: ds.PresentationLUTShape = shape
    ds.is_little_endian = syntax != ExplicitVRBigEndian
    ds.is_implicit_VR = syntax == ImplicitVRLittleEndian
    ds.PixelData = (arr.astype(arr.dtype.newbyteorder('>')) if syntax == ExplicitVRBigEndian else arr).tobytes()
    ds.save_as(os.path.join(d, name), write_like_original=False)

u8 = rng.integers(0, 256, (H, W), dtype=np.uint8)
u12 = rng.integers(0, 4096, (H, W), dtype=np.uint16)
s12 = rng.integers(-2048, 2048, (H, W), dtype=np.int16)
s16 = rng.integers(-1200, 3300, (H, W), dtype=np.int16)
ramp12 = (np.arange(3000) * 4095 // 2999)
curve16 = (np.sqrt(np.arange(4096) / 4095) * 65535).astype(int)
make('mlut_u12.dcm', u12, 12, mlut=lut_item(4096, 0, 16, curve16))
make('mlut_s16_clipped.dcm', s16, 16, mlut=lut_item(2048, -500, 16, np.arange(2048) * 20, first_vr='SS'),
     window=(20000, 30000))
make('vlut_u12_and_window.dcm', u12, 12, vlut=lut_item(3000, 500, 12, ramp12), window=(1000, 200))
make('vlut_u8_reversed.dcm', u8, 8, vlut=lut_item(256, 0, 8, 255 - np.arange(256)))
make('vlut_s12_rescale_ow.dcm', s12, 12, rescale=(1, -1024),
     vlut=lut_item(4096, -3072, 16, curve16, first_vr='SS', data_vr='OW'))
make('vlut_u12_implicit_ow.dcm', u12, 12, syntax=ImplicitVRLittleEndian,
     vlut=lut_item(3000, 500, 12, ramp12, data_vr='OW'))
make('vlut_u12_bigendian.dcm', u12, 12, syntax=ExplicitVRBigEndian, vlut=lut_item(3000, 500, 12, ramp12))
make('shape_inverse_mono2.dcm', u12, 12, window=(2000, 3000), shape='INVERSE')
make('shape_inverse_mono1.dcm', u12, 12, photometric='MONOCHROME1', window=(2000, 3000), shape='INVERSE')
make('shape_identity_mono2.dcm', u12, 12, window=(2000, 3000), shape='IDENTITY')

out = {}
for f in sorted(os.listdir(d)):
    if not f.endswith('.dcm'):
        continue
    ds = pydicom.dcmread(os.path.join(d, f))
    mod = apply_modality_lut(ds.pixel_array, ds)
    mod.astype(np.float64).tofile(os.path.join(d, f + '.modality'))
    voi = apply_voi_lut(mod, ds)
    bits = ds.VOILUTSequence[0].LUTDescriptor[2] if 'VOILUTSequence' in ds else None
    voi.astype(np.float64).tofile(os.path.join(d, f + '.voi'))
    window = apply_voi_lut(mod, ds, prefer_lut=False) if 'WindowCenter' in ds else None
    if window is not None:
        lo, hi = (0, 65535) if 'ModalityLUTSequence' in ds else (0, 4095)
        ((window - lo) / (hi - lo)).astype(np.float64).tofile(os.path.join(d, f + '.window01'))
    out[f] = {'voiBits': bits, 'window': window is not None}
print(json.dumps(out))
`;

let oracle: Record<string, { voiBits: number | null; window: boolean }> = {};
before(() => {
  oracle = JSON.parse(python(ORACLE, dir));
});
const raw = (name: string) => readRaw(join(dir, name), 'float64') as Float64Array;

describe('Modality LUT Sequence against pydicom', () => {
  for (const name of ['mlut_u12.dcm', 'mlut_s16_clipped.dcm']) {
    it(`${name}: values through the LUT, clipped below and above`, async () => {
      const img = await decodeDicom(join(dir, name), { voi: 'none' });
      assert.ok(img.info.modalityLut);
      assert.equal(maxAbsDiff(img.data, raw(`${name}.modality`)), 0);
      // 8-bit output without a window spans the LUT's 16-bit range
      const u8 = await decodeDicom(join(dir, name), { voi: 'none', output: 'uint8' });
      const want = raw(`${name}.modality`).map((v) => Math.round((v / 65535) * 255));
      assert.equal(maxAbsDiff(u8.data, want), 0);
    });
  }
  it('a window after the Modality LUT works on the LUT output', async () => {
    const name = 'mlut_s16_clipped.dcm';
    const img = await decodeDicom(join(dir, name));
    assert.ok(img.info.window);
    assert.ok(maxAbsDiff(img.data, raw(`${name}.window01`)) < 1e-6);
  });
});

describe('VOI LUT Sequence against pydicom', () => {
  const names = [
    'vlut_u12_and_window.dcm',
    'vlut_u8_reversed.dcm',
    'vlut_s12_rescale_ow.dcm',
    'vlut_u12_implicit_ow.dcm',
    'vlut_u12_bigendian.dcm',
  ];
  for (const name of names) {
    it(`${name}: the LUT's output scaled by its bit depth, and in 8 bits`, async () => {
      const bits = oracle[name]?.voiBits as number;
      const want = raw(`${name}.voi`).map((v) => v / (2 ** bits - 1));
      assert.equal(maxAbsDiff((await decodeDicom(join(dir, name), { voi: 'none' })).data, raw(`${name}.modality`)), 0);
      const img = await decodeDicom(join(dir, name));
      assert.ok(img.info.voiLut && img.info.window === null);
      assert.equal(img.info.voiLut.bits, bits);
      assert.ok(maxAbsDiff(img.data, want) < 1e-6);
      const u8 = await decodeDicom(join(dir, name), { output: 'uint8' });
      assert.equal(
        maxAbsDiff(
          u8.data,
          want.map((v) => Math.round(v * 255)),
        ),
        0,
      );
    });
  }
  it("voi 'window' picks the file's window over its LUT, as pydicom's prefer_lut=False", async () => {
    const name = 'vlut_u12_and_window.dcm';
    const img = await decodeDicom(join(dir, name), { voi: 'window' });
    assert.equal(img.info.voiLut, null);
    assert.ok(maxAbsDiff(img.data, raw(`${name}.window01`)) < 1e-6);
    assert.equal((await decodeDicom(join(dir, name), { voi: 'lut' })).info.voiLut?.explanation, 'test');
  });
});

describe('Presentation LUT Shape', () => {
  it('INVERSE inverts a MONOCHROME2 image; on MONOCHROME1 it is the one inversion; IDENTITY changes nothing', async () => {
    const window01 = raw('shape_identity_mono2.dcm.window01');
    const inverted = window01.map((v) => 1 - v);
    const cases: [string, ArrayLike<number>, boolean][] = [
      ['shape_inverse_mono2.dcm', inverted, true],
      ['shape_inverse_mono1.dcm', inverted, true],
      ['shape_identity_mono2.dcm', window01, false],
    ];
    for (const [name, want, flag] of cases) {
      const img = await decodeDicom(join(dir, name));
      assert.equal(img.info.inverted, flag, name);
      assert.ok(maxAbsDiff(img.data, want) < 1e-6, name);
    }
    const off = await decodeDicom(join(dir, 'shape_inverse_mono2.dcm'), { presentationLut: false });
    assert.equal(off.info.presentationLutShape, 'INVERSE');
    assert.ok(!off.info.inverted && maxAbsDiff(off.data, window01) < 1e-6);
  });
});
