import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type DicomFileHeader, type DicomHeader, readFileHeader, readHeader } from './dicom/header.js';
import { reasonOf } from './errors.js';
import { python } from './oracle.testutil.js';

const dir = mkdtempSync(join(tmpdir(), 'tszoo-dicom-header-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const PYDICOM_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';

const IDS = ['x00100020', 'x00080018', 'x0020000d', 'x00280004'];

/** The attributes both readers give, with a few of the dataset's strings, for deepEqual. */
function attributes(h: DicomFileHeader | DicomHeader) {
  const { dataSet, ...fields } = h;
  const pick = Object.fromEntries(Object.entries(fields).filter(([k]) => k !== 'pixelData' && k !== 'byteArray'));
  return { ...pick, ids: IDS.map((tag) => dataSet.string(tag)) };
}

function messageOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return reasonOf(e);
  }
}

describe('readFileHeader reads the attributes from the head of the file', () => {
  it("gives readHeader's attributes (or its error) on each of pydicom's bundled files", (t) => {
    if (!existsSync(PYDICOM_FILES)) return t.skip('pydicom test files not installed');
    let compared = 0;
    let failedAlike = 0;
    for (const name of readdirSync(PYDICOM_FILES).sort()) {
      const path = join(PYDICOM_FILES, name);
      if (!statSync(path).isFile()) continue;
      let whole: DicomHeader | undefined;
      const wholeError = messageOf(() => {
        whole = readHeader(new Uint8Array(readFileSync(path)));
      });
      let head: DicomFileHeader | undefined;
      const headError = messageOf(() => {
        head = readFileHeader(path);
      });
      assert.equal(headError, wholeError, `${name}: the same error, or none`);
      if (whole && head) {
        assert.deepEqual(attributes(head), attributes(whole), name);
        compared++;
      } else failedAlike++;
    }
    assert.ok(compared >= 30, `compared ${compared} files`);
    t.diagnostic(`${compared} files with equal attributes, ${failedAlike} with the same error`);
  });

  it('reads past 64 KiB when the attributes are longer, and never needs the pixels', () => {
    // a 600x600 16-bit CR with a 200 KB private element before its pixels; pydicom writes it and reads it back
    const full = join(dir, 'long-header.dcm');
    const out = python(
      `
import sys, numpy as np, pydicom
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
meta = FileMetaDataset()
meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.1'
meta.MediaStorageSOPInstanceUID = generate_uid()
meta.TransferSyntaxUID = ExplicitVRLittleEndian
ds = FileDataset(sys.argv[1], {}, file_meta=meta, preamble=b'\\0' * 128)
ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
ds.PatientID, ds.StudyInstanceUID, ds.Modality = 'P-0042', generate_uid(), 'CR'
ds.add_new(0x00091010, 'LO', 'tszoo')
ds.add_new(0x00091011, 'OB', bytes(200_000))
arr = np.arange(600 * 600, dtype=np.uint16).reshape(600, 600)
ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.PhotometricInterpretation = 600, 600, 1, 'MONOCHROME2'
ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
ds.WindowCenter, ds.WindowWidth = 2048, 4096
ds.PixelData = arr.tobytes()
ds.save_as(sys.argv[1], write_like_original=False)
back = pydicom.dcmread(sys.argv[1], stop_before_pixels=True)
print(back.PatientID, back.Rows, back.Columns, back.BitsStored)
`,
      full,
    ).trim();
    assert.equal(out, 'P-0042 600 600 12');
    const head = readFileHeader(full);
    assert.deepEqual(attributes(head), attributes(readHeader(new Uint8Array(readFileSync(full)))));
    assert.deepEqual(
      [head.rows, head.columns, head.bitsStored, head.window],
      [600, 600, 12, { center: 2048, width: 4096 }],
    );
    assert.equal(head.dataSet.string('x00100020'), 'P-0042');

    // the same file cut 1 KB into its 720 KB of pixels: the attributes are all there, so they are read
    const bytes = readFileSync(full);
    const pixelsAt = bytes.length - 600 * 600 * 2;
    const cut = join(dir, 'cut-in-pixels.dcm');
    writeFileSync(cut, bytes.subarray(0, pixelsAt + 1024));
    assert.deepEqual(attributes(readFileHeader(cut)), attributes(head));
  });

  it('a file cut inside its attributes, one without pixels, and a missing file give errors naming the problem', () => {
    const src = join(PYDICOM_FILES, 'CT_small.dcm');
    const bytes = readFileSync(src);
    const cut = join(dir, 'cut-in-attributes.dcm');
    writeFileSync(cut, bytes.subarray(0, 700));
    assert.throws(
      () => readFileHeader(cut),
      (e) => e instanceof Error && /buffer overrun|beyond|past/i.test(e.message),
    );
    const noPixels = join(dir, 'no-pixels.dcm');
    python(
      `
import sys, pydicom
ds = pydicom.dcmread(sys.argv[1])
del ds.PixelData
ds.save_as(sys.argv[2])
`,
      src,
      noPixels,
    );
    assert.throws(() => readFileHeader(noPixels), /no Pixel Data \(7FE0,0010\)/);
    assert.throws(() => readFileHeader(join(dir, 'absent.dcm')), /ENOENT.*absent\.dcm/);
  });
});
