import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeDicom } from './dicom/decode.js';
import { maxAbsDiff, python, readRaw } from './oracle.testutil.js';

const require = createRequire(import.meta.url);

/** The part of dcmjs (no type declarations) that writes a Part 10 file. */
interface Dcmjs {
  data: {
    DicomDict: new (meta: object) => { dict: object; write(): ArrayBuffer };
    DicomMetaDictionary: { denaturalizeDataset(ds: object): object };
  };
  log?: { setLevel?(level: string): void };
}
const dcmjs = require('dcmjs') as Dcmjs;
dcmjs.log?.setLevel?.('error');

const dir = mkdtempSync(join(tmpdir(), 'tszoo-dicom-dcmjs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SYNTAX = { explicit: '1.2.840.10008.1.2.1', implicit: '1.2.840.10008.1.2', bigEndian: '1.2.840.10008.1.2.2' };
type Syntax = keyof typeof SYNTAX;

/** Writes a DICOM file with dcmjs; `samples` are the stored values, encoded here in the syntax's byte order. */
function writeWithDcmjs(name: string, syntax: Syntax, attrs: Record<string, unknown>, samples: ArrayLike<number>) {
  const bits = attrs.BitsAllocated as number;
  const signed = attrs.PixelRepresentation === 1;
  const bytes = new Uint8Array(samples.length * (bits / 8));
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i] as number;
    if (bits === 8) view.setUint8(i, v);
    else if (signed) view.setInt16(2 * i, v, syntax !== 'bigEndian');
    else view.setUint16(2 * i, v, syntax !== 'bigEndian');
  }
  const uid = `1.2.826.0.1.3680043.8.498.${1000 + name.length}`;
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: '1.2.840.10008.5.1.4.1.1.7',
    MediaStorageSOPInstanceUID: uid,
    TransferSyntaxUID: SYNTAX[syntax],
    ImplementationClassUID: '1.2.826.0.1.3680043.8.498.1',
  };
  const { DicomDict, DicomMetaDictionary } = dcmjs.data;
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset({
    SOPClassUID: meta.MediaStorageSOPClassUID,
    SOPInstanceUID: uid,
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    ...attrs,
    PixelData: [bytes.buffer],
    _vrMap: { PixelData: bits > 8 ? 'OW' : 'OB' },
  });
  writeFileSync(join(dir, name), Buffer.from(dict.write()));
}

/** Deterministic stored values in [lo, hi]. */
function values(n: number, lo: number, hi: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + (s % (hi - lo + 1));
  });
}

const H = 17;
const W = 23;
const grey = (bits: number, stored: number, signed: boolean) => ({
  Rows: H,
  Columns: W,
  BitsAllocated: bits,
  BitsStored: stored,
  HighBit: stored - 1,
  PixelRepresentation: signed ? 1 : 0,
});

/** name, syntax, attributes, stored values of every frame */
const FIXTURES: [string, Syntax, Record<string, unknown>, number[]][] = [
  ['u8.dcm', 'explicit', grey(8, 8, false), values(H * W, 0, 255, 1)],
  [
    'u8_window.dcm',
    'implicit',
    { ...grey(8, 8, false), WindowCenter: '100', WindowWidth: '120' },
    values(H * W, 0, 255, 2),
  ],
  [
    'u12_rescale.dcm',
    'explicit',
    { ...grey(16, 12, false), RescaleSlope: '0.5', RescaleIntercept: '-20' },
    values(H * W, 0, 4095, 3),
  ],
  [
    's16_rescale_window.dcm',
    'explicit',
    { ...grey(16, 16, true), RescaleSlope: '2', RescaleIntercept: '-1024', WindowCenter: '40', WindowWidth: '400' },
    values(H * W, -32768, 32767, 4),
  ],
  [
    's16_rescale_window_implicit.dcm',
    'implicit',
    { ...grey(16, 16, true), RescaleSlope: '2', RescaleIntercept: '-1024', WindowCenter: '40', WindowWidth: '400' },
    values(H * W, -32768, 32767, 4),
  ],
  [
    's16_rescale_window_bigendian.dcm',
    'bigEndian',
    { ...grey(16, 16, true), RescaleSlope: '2', RescaleIntercept: '-1024', WindowCenter: '40', WindowWidth: '400' },
    values(H * W, -32768, 32767, 4),
  ],
  ['s12_bigendian.dcm', 'bigEndian', grey(16, 12, true), values(H * W, -2048, 2047, 5)],
  [
    'mono1_u16_window.dcm',
    'explicit',
    { ...grey(16, 16, false), PhotometricInterpretation: 'MONOCHROME1', WindowCenter: '30000', WindowWidth: '20000' },
    values(H * W, 0, 65535, 6),
  ],
  [
    'mono1_u12.dcm',
    'explicit',
    { ...grey(16, 12, false), PhotometricInterpretation: 'MONOCHROME1' },
    values(H * W, 0, 4095, 7),
  ],
  ['u16_3frames.dcm', 'explicit', { ...grey(16, 16, false), NumberOfFrames: '3' }, values(3 * H * W, 0, 65535, 8)],
];

/** pydicom reads the dcmjs files: pixel_array (all frames), apply_modality_lut, apply_voi_lut normalized to [0, 1]. */
const ORACLE = `
import sys, os, json, warnings
warnings.simplefilter('ignore')
import numpy as np, pydicom
from pydicom.pixel_data_handlers.util import apply_modality_lut, apply_voi_lut
d = sys.argv[1]
out = {}
for f in sorted(os.listdir(d)):
    if not f.endswith('.dcm'):
        continue
    ds = pydicom.dcmread(os.path.join(d, f))
    arr = ds.pixel_array
    arr.astype(np.float64).tofile(os.path.join(d, f + '.stored'))
    mod = apply_modality_lut(arr, ds).astype(np.float64)
    mod.tofile(os.path.join(d, f + '.modality'))
    bits = ds.BitsStored
    lo, hi = (0, 2 ** bits - 1) if ds.PixelRepresentation == 0 else (-2 ** (bits - 1), 2 ** (bits - 1) - 1)
    if 'RescaleSlope' in ds:
        lo, hi = lo * ds.RescaleSlope + ds.RescaleIntercept, hi * ds.RescaleSlope + ds.RescaleIntercept
    if 'WindowCenter' in ds:
        ((apply_voi_lut(mod, ds) - lo) / (hi - lo)).tofile(os.path.join(d, f + '.window01'))
    out[f] = {'syntax': str(ds.file_meta.TransferSyntaxUID), 'range': [float(lo), float(hi)],
              'frames': int(getattr(ds, 'NumberOfFrames', 1) or 1), 'window': 'WindowCenter' in ds,
              'photometric': ds.PhotometricInterpretation}
print(json.dumps(out))
`;

let oracle: Record<
  string,
  { syntax: string; range: [number, number]; frames: number; window: boolean; photometric: string }
> = {};
before(() => {
  for (const [name, syntax, attrs, samples] of FIXTURES) writeWithDcmjs(name, syntax, attrs, samples);
  oracle = JSON.parse(python(ORACLE, dir));
});
const raw = (name: string) => readRaw(join(dir, name), 'float64') as Float64Array;

describe('files written by dcmjs: tszoo and pydicom read the same pixels', () => {
  for (const [name, syntax, , samples] of FIXTURES) {
    it(`${name} (${syntax})`, async () => {
      const o = oracle[name];
      assert.ok(o, 'pydicom read the file');
      assert.equal(o.syntax, SYNTAX[syntax]);
      // the writer's values are what pydicom reads: the fixture is what we meant
      assert.equal(maxAbsDiff(raw(`${name}.stored`), samples), 0, 'pydicom stored values');
      const frameSize = H * W;
      const modality = raw(`${name}.modality`);
      for (let f = 0; f < o.frames; f++) {
        const img = await decodeDicom(join(dir, name), { frame: f, voi: 'none', invertMonochrome1: false });
        assert.deepEqual([img.height, img.width, img.channels, img.info.frames], [H, W, 1, o.frames]);
        assert.equal(maxAbsDiff(img.data, modality.subarray(f * frameSize, (f + 1) * frameSize)), 0, `frame ${f}`);
      }
      const mono1 = o.photometric === 'MONOCHROME1';
      const [lo, hi] = o.range;
      const display = await decodeDicom(join(dir, name), { output: 'uint8' });
      const first = modality.subarray(0, frameSize);
      const unit = o.window ? raw(`${name}.window01`).subarray(0, frameSize) : first.map((v) => (v - lo) / (hi - lo));
      const want = unit.map((v) => Math.round((mono1 ? 1 - v : v) * 255));
      assert.equal(maxAbsDiff(display.data, want), 0, '8-bit display pixels');
    });
  }
});
