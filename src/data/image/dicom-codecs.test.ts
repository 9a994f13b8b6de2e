import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readImagesDecoded } from '../read-images.js';
import { codecInstances } from './dicom/codecs.js';
import { decodeDicom } from './dicom/decode.js';
import { ImageDecodeError } from './errors.js';
import { maxAbsDiff, python, readRaw } from './oracle.testutil.js';

const dir = mkdtempSync(join(tmpdir(), 'tszoo-dicom-codecs-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const BUNDLED = '/usr/lib/python3/dist-packages/pydicom/data/test_files';

/**
 * The oracles. For pydicom's bundled JPEG-family files: pydicom's decoding (Pillow plugin; YBR converted to RGB
 * with pydicom's convert_color_space) through apply_modality_lut, and PIL's decoding of the frame's own JPEG
 * stream. Debian's pydicom has no JPEG-LS / JPEG lossless plugin: for those the uncompressed twins stand in.
 * Then multi-frame files written by pydicom whose frames PIL encoded (JPEG 2000 lossless, baseline JPEG),
 * encapsulated with and without a Basic Offset Table, several fragments per frame, and an Extended Offset Table.
 */
const ORACLE = `
import sys, os, io, json, warnings
warnings.simplefilter('ignore')
import numpy as np, pydicom
from PIL import Image
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.encaps import encapsulate, encapsulate_extended, generate_pixel_data_frame
from pydicom.uid import JPEG2000Lossless, JPEGBaseline8Bit, generate_uid
from pydicom.pixel_data_handlers.util import apply_modality_lut, convert_color_space
d, bundled = sys.argv[1], sys.argv[2]
out = {}

def dump(name, arr):
    np.ascontiguousarray(arr, dtype=np.float64).tofile(os.path.join(d, name))

for f in sorted(os.listdir(bundled)):
    if not f.endswith('.dcm'):
        continue
    try:
        ds = pydicom.dcmread(os.path.join(bundled, f))
        syntax = str(ds.file_meta.TransferSyntaxUID)
    except Exception:
        continue
    twin = f in ('MR_small.dcm', 'SC_rgb_rle.dcm', 'SC_ybr_full_422_uncompressed.dcm')
    if 'PixelData' not in ds or not (syntax.startswith('1.2.840.10008.1.2.4.') or twin):
        continue
    info = {'syntax': syntax, 'photometric': ds.PhotometricInterpretation}
    try:
        arr = ds.pixel_array
        if ds.PhotometricInterpretation in ('YBR_FULL', 'YBR_FULL_422'):
            arr = convert_color_space(arr, ds.PhotometricInterpretation, 'RGB')
        dump(f + '.pydicom', apply_modality_lut(arr, ds))
        info['pydicom'] = True
    except Exception as e:
        info['pydicom'] = type(e).__name__
    if syntax.startswith('1.2.840.10008.1.2.4.'):
        frame = next(generate_pixel_data_frame(ds.PixelData, int(getattr(ds, 'NumberOfFrames', 1) or 1)))
        try:
            im = Image.open(io.BytesIO(frame))
            dump(f + '.pil', np.asarray(im))
            info['pil'] = im.mode
        except Exception as e:
            info['pil'] = type(e).__name__
    out[f] = info

def write(name, frames, syntax, arr_shape, bits, signed, photometric, layout, nframes):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.7'
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = syntax
    ds = FileDataset(name, {}, file_meta=meta, preamble=b'\\0' * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.Rows, ds.Columns = arr_shape[:2]
    ds.SamplesPerPixel = arr_shape[2] if len(arr_shape) == 3 else 1
    if ds.SamplesPerPixel == 3:
        ds.PlanarConfiguration = 0
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = 16 if bits > 8 else 8
    ds.BitsStored, ds.HighBit, ds.PixelRepresentation = bits, bits - 1, int(signed)
    ds.NumberOfFrames = nframes
    ds.is_little_endian, ds.is_implicit_VR = True, False
    if layout == 'eot':
        data, eot, lengths = encapsulate_extended(frames)
        ds.PixelData, ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths = data, eot, lengths
    else:
        ds.PixelData = encapsulate(frames, fragments_per_frame=layout[1], has_bot=layout[0])
    ds['PixelData'].is_undefined_length = True
    ds['PixelData'].VR = 'OB'
    ds.save_as(os.path.join(d, name), write_like_original=False)

rng = np.random.default_rng(3)
H, W, N = 40, 56, 3
yy, xx = np.mgrid[0:H, 0:W]
grey16 = [((xx * 700 + yy * 300 + k * 5000) % 4096 + rng.integers(0, 40, (H, W))).astype(np.uint16) for k in range(N)]
j2k = []
for a in grey16:
    b = io.BytesIO()
    Image.fromarray(a, 'I;16').save(b, format='JPEG2000', irreversible=False, no_jp2=True)
    j2k.append(b.getvalue())
colour = [np.stack([(xx * 4 + k * 40) % 256, (yy * 6) % 256, ((xx + yy) * 3) % 256], -1).astype(np.uint8) for k in range(N)]
jpeg = []
for a in colour:
    b = io.BytesIO()
    Image.fromarray(a, 'RGB').save(b, format='JPEG', quality=90)
    jpeg.append(b.getvalue())
for k in range(N):
    dump(f'frame{k}.grey16', grey16[k])
    dump(f'frame{k}.jpeg', np.asarray(Image.open(io.BytesIO(jpeg[k]))))
for name, layout in [('bot1', (True, 1)), ('nobot1', (False, 1)), ('bot3', (True, 3)), ('nobot3', (False, 3)), ('eot', 'eot')]:
    write(f'j2k_{name}.dcm', j2k, JPEG2000Lossless, (H, W), 12, False, 'MONOCHROME2', layout, N)
    write(f'jpeg_{name}.dcm', jpeg, JPEGBaseline8Bit, (H, W, 3), 8, False, 'YBR_FULL_422', layout, N)
write('mpeg2.dcm', j2k[:1], '1.2.840.10008.1.2.4.100', (H, W), 12, False, 'MONOCHROME2', (True, 1), 1)
# corrupt variants of bundled files: the DICOM structure intact, the codestream broken
for name, tag in [('SC_rgb_jpeg_dcmtk.dcm', 'jpeg'), ('MR_small_jpeg_ls_lossless.dcm', 'jls'),
                  ('MR_small_jp2klossless.dcm', 'j2k'), ('SC_rgb_jpeg_gdcm.dcm', 'jpll')]:
    ds = pydicom.dcmread(os.path.join(bundled, name))
    frame = next(generate_pixel_data_frame(ds.PixelData, 1))
    half = len(frame) // 2
    variants = {
        'truncated': frame[:half],
        'header': frame[:2] + bytes([0xA5]) * 38 + frame[40:],
        'body': frame[:half] + bytes(x ^ 0x5A for x in frame[half:half + 300]) + frame[half + 300:],
    }
    for what, data in variants.items():
        ds.PixelData = encapsulate([data])
        ds.save_as(os.path.join(d, f'{tag}_{what}.dcm'))
print(json.dumps(out))
`;

interface BundledInfo {
  syntax: string;
  photometric: string;
  pydicom: true | string;
  pil?: string;
}
let bundled: Record<string, BundledInfo> = {};

before(() => {
  bundled = JSON.parse(python(ORACLE, dir, BUNDLED));
});

const raw = (name: string) => readRaw(join(dir, name), 'float64') as Float64Array;
const file = (name: string) => join(BUNDLED, name);
const modality = { voi: 'none', invertMonochrome1: false } as const;

describe("JPEG-family DICOM against pydicom's bundled files", () => {
  it('every file pydicom decodes (JPEG baseline, JPEG 2000) gives the same values', async () => {
    // SC_rgb_jpeg_lossy_gdcm: pydicom's Pillow hack reads this YCbCr stream as untransformed RGB (it is
    // 255 off the uncompressed SC_rgb image there); it is checked against PIL's decoding below.
    const pydicomWrong = new Set(['SC_rgb_jpeg_lossy_gdcm.dcm']);
    // SC_rgb_jpeg.dcm is encoded implicit VR under an explicit VR syntax; dicom-parser refuses it.
    const unparsable = new Set(['SC_rgb_jpeg.dcm']);
    const checked: string[] = [];
    for (const [name, o] of Object.entries(bundled)) {
      if (o.pydicom !== true || !o.syntax.startsWith('1.2.840.10008.1.2.4.')) continue;
      if (pydicomWrong.has(name)) continue;
      if (unparsable.has(name)) {
        await assert.rejects(decodeDicom(file(name)), /cannot decode .*SC_rgb_jpeg\.dcm/);
        continue;
      }
      const img = await decodeDicom(file(name), modality);
      assert.equal(maxAbsDiff(img.data, raw(`${name}.pydicom`)), 0, name);
      assert.equal(img.info.ybrToRgb, o.photometric.startsWith('YBR'), name);
      checked.push(name);
    }
    for (const must of ['MR_small_jp2klossless.dcm', 'J2K_pixelrep_mismatch.dcm', '693_J2KI.dcm', 'JPEG2000.dcm']) {
      assert.ok(checked.includes(must), `${must} checked`);
    }
    for (const must of ['SC_rgb_jpeg_dcmtk.dcm', 'SC_rgb_dcmtk_+eb+cy+np.dcm', 'SC_jpeg_no_color_transform.dcm']) {
      assert.ok(checked.includes(must), `${must} checked`);
    }
    assert.ok(checked.length >= 16, `checked ${checked.length}: ${checked.join(', ')}`);
  });

  it("baseline JPEG equals PIL's decoding of the same stream", async () => {
    let count = 0;
    for (const [name, o] of Object.entries(bundled)) {
      if (o.syntax !== '1.2.840.10008.1.2.4.50' || o.pil !== 'RGB' || name === 'SC_rgb_jpeg.dcm') continue;
      // these hold RGB as coded without an Adobe marker: PIL (like libjpeg's default) wrongly reads YCbCr
      if (name === 'SC_jpeg_no_color_transform.dcm') continue;
      const img = await decodeDicom(file(name));
      assert.equal(maxAbsDiff(img.data, raw(`${name}.pil`)), 0, name);
      count++;
    }
    assert.ok(count >= 11, `${count} files`);
  });

  it('lossless files equal their uncompressed twins (JPEG-LS, JPEG 2000, JPEG lossless SV1)', async () => {
    const mr = raw('MR_small.dcm.pydicom');
    for (const name of ['MR_small_jpeg_ls_lossless.dcm', 'MR_small_jp2klossless.dcm']) {
      const img = await decodeDicom(file(name), modality);
      assert.deepEqual([img.height, img.width, img.channels], [64, 64, 1]);
      assert.equal(maxAbsDiff(img.data, mr), 0, name);
    }
    const rgb = raw('SC_rgb_rle.dcm.pydicom');
    for (const name of ['SC_rgb_jpeg_gdcm.dcm', 'SC_rgb_gdcm_KY.dcm']) {
      const img = await decodeDicom(file(name));
      assert.equal(img.channels, 3);
      assert.equal(maxAbsDiff(img.data, rgb), 0, name);
    }
    // lossy files of the same image: close, not equal
    const lossy = await decodeDicom(file('SC_rgb_dcmtk_+eb+cr.dcm'));
    const d = maxAbsDiff(lossy.data, rgb);
    assert.ok(d > 0 && d <= 4, `lossy RGB JPEG within 4 of the original, got ${d}`);
    const ycc = await decodeDicom(file('SC_rgb_jpeg_lossy_gdcm.dcm'));
    assert.equal(maxAbsDiff(ycc.data, raw('SC_rgb_jpeg_lossy_gdcm.dcm.pil')), 0, 'PIL');
  });

  it('uncompressed YBR_FULL_422 is expanded and converted to RGB as pydicom does', async () => {
    const name = 'SC_ybr_full_422_uncompressed.dcm';
    const img = await decodeDicom(file(name));
    assert.ok(img.info.ybrToRgb);
    assert.equal(maxAbsDiff(img.data, raw(`${name}.pydicom`)), 0);
  });

  it('a syntax without a codec (MPEG2) gives a named error', async () => {
    await assert.rejects(
      decodeDicom(join(dir, 'mpeg2.dcm')),
      /mpeg2\.dcm: unsupported transfer syntax 1\.2\.840\.10008\.1\.2\.4\.100 \(MPEG2 Main Profile/,
    );
  });

  it('12-bit DCT JPEG and a corrupt J2K header give errors naming the file, frame and codec', async () => {
    await assert.rejects(decodeDicom(file('JPGExtended.dcm')), (e: unknown) => {
      assert.ok(e instanceof ImageDecodeError);
      assert.match(e.message, /JPGExtended\.dcm: frame 0, libjpeg-turbo: 12-bit DCT JPEG is not supported/);
      return true;
    });
    await assert.rejects(
      decodeDicom(file('JPEG2000-embedded-sequence-delimiter.dcm')),
      /frame 0, OpenJPEG: the stream is \d+x1024 with 1 components, the DICOM header says 256x1024/,
    );
  });
});

describe('encapsulated multi-frame layouts (files written by pydicom, frames encoded by PIL)', () => {
  for (const layout of ['bot1', 'nobot1', 'bot3', 'nobot3', 'eot']) {
    it(`${layout}: every frame of JPEG 2000 lossless and baseline JPEG`, async () => {
      for (let k = 0; k < 3; k++) {
        const grey = await decodeDicom(join(dir, `j2k_${layout}.dcm`), { frame: k, ...modality });
        assert.equal(grey.info.frames, 3);
        assert.equal(maxAbsDiff(grey.data, raw(`frame${k}.grey16`)), 0, `J2K frame ${k}`);
        const colour = await decodeDicom(join(dir, `jpeg_${layout}.dcm`), { frame: k });
        assert.equal(maxAbsDiff(colour.data, raw(`frame${k}.jpeg`)), 0, `JPEG frame ${k}`);
      }
      await assert.rejects(decodeDicom(join(dir, `j2k_${layout}.dcm`), { frame: 3 }), /frame 3 out of range/);
    });
  }
});

describe('corrupt compressed frames', () => {
  // OpenJPEG and the JS lossless decoder read a garbled scan without noticing: only the libjpeg and CharLS
  // bodies can be caught. Every codec's truncated stream and garbled header are.
  const cases: [string, string, string, string[]][] = [
    ['libjpeg-turbo', 'SC_rgb_jpeg_dcmtk.dcm', 'jpeg', ['truncated', 'header', 'body']],
    ['CharLS', 'MR_small_jpeg_ls_lossless.dcm', 'jls', ['truncated', 'header', 'body']],
    ['OpenJPEG', 'MR_small_jp2klossless.dcm', 'j2k', ['truncated', 'header']],
    ['jpeg-lossless-decoder-js', 'SC_rgb_jpeg_gdcm.dcm', 'jpll', ['truncated', 'header']],
  ];
  it('truncated or garbled streams throw ImageDecodeError naming file, frame and codec; the next file decodes', async () => {
    const before = codecInstances();
    const exitCode = process.exitCode;
    for (const [codec, name, tag, kinds] of cases) {
      for (const what of kinds) {
        const path = join(dir, `${tag}_${what}.dcm`);
        await assert.rejects(decodeDicom(path), (e: unknown) => {
          assert.ok(e instanceof ImageDecodeError, `${codec} ${what}: ${String(e)}`);
          assert.equal(e.source, path);
          assert.match(e.message, new RegExp(`${tag}_${what}\\.dcm: frame 0, ${codec}: \\S`), `${codec} ${what}`);
          return true;
        });
        const good = await decodeDicom(file(name));
        assert.ok(good.width > 0, `${codec} decodes again after a ${what} file`);
      }
    }
    assert.equal(process.exitCode, exitCode, 'no codec set the exit code');
    const now = codecInstances();
    for (const codec of ['libjpeg-turbo', 'CharLS']) {
      assert.ok((now[codec] ?? 0) > (before[codec] ?? 0), `a failed ${codec} instance is replaced`);
    }
  });

  it('readImagesDecoded gives a corrupt JPEG DICOM an error row, and decodes the others', async () => {
    const folder = join(dir, 'folder');
    mkdirSync(folder);
    for (const name of ['MR_small_jpeg_ls_lossless.dcm', 'SC_rgb_dcmtk_+eb+cy+np.dcm', 'MR_small_jp2klossless.dcm']) {
      writeFileSync(join(folder, name), readFileSync(file(name)));
    }
    writeFileSync(join(folder, 'broken_jpeg.dcm'), readFileSync(join(dir, 'jpeg_body.dcm')));
    const { frame } = await readImagesDecoded(folder);
    const rows = await frame.orderBy('origin').collect();
    assert.equal(rows.length, 4);
    const bad = rows.filter((r) => r.error !== null);
    assert.equal(bad.length, 1);
    assert.match(String(bad[0]?.error), /broken_jpeg\.dcm/);
    const mr = rows.find((r) => String(r.origin).endsWith('MR_small_jpeg_ls_lossless.dcm'));
    assert.deepEqual([mr?.height, mr?.width, mr?.nChannels, mr?.mode], [64, 64, 1, 0]);
    const want = await decodeDicom(file('MR_small_jpeg_ls_lossless.dcm'), { output: 'uint8' });
    assert.deepEqual(new Uint8Array(mr?.data as Uint8Array), want.data);
    const rgb = rows.find((r) => String(r.origin).endsWith('np.dcm'));
    assert.deepEqual([rgb?.nChannels, rgb?.mode], [3, 16]);
  });
});
