import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DataFrame } from '../data/dataframe/index.js';
import { decodeImageFile } from '../data/image/decode-file.js';
import { python } from '../data/image/oracle.testutil.js';
import { chain, ToTensor } from '../data/image/transforms.js';
import { readImages } from '../data/read-images.js';
import { nn, torch } from '../index.js';
import { adam } from '../optim/index.js';
import { Estimator } from './estimator.js';

const dir = mkdtempSync(join(tmpdir(), 'tszoo-fit-dicom-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * pydicom writes 16-bit CR files (12 bits stored, a window), half MONOCHROME1 (stored values inverted, so
 * that white is low) and half MONOCHROME2; each shows a bright left half ('Left'), right half ('Right')
 * or both. It prints the findings per file, and writes one MONOCHROME1/MONOCHROME2 pair of the same picture.
 */
const WRITER = `
import sys, os, json
import numpy as np, pydicom
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
d, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(3)
H, W = 20, 24

def save(path, display, photometric):
    stored = display if photometric == 'MONOCHROME2' else 4095 - display
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.1'
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(path, {}, file_meta=meta, preamble=b'\\0' * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.Modality = 'CR'
    ds.Rows, ds.Columns = H, W
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.WindowCenter, ds.WindowWidth = 2048, 4096
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.PixelData = stored.astype(np.uint16).tobytes()
    ds.save_as(path, write_like_original=False)

def picture(findings):
    img = rng.integers(300, 900, size=(H, W))
    if 'Left' in findings: img[:, : W // 2] += 2600
    if 'Right' in findings: img[:, W // 2 :] += 2600
    return img

out = []
kinds = [['Left'], ['Right'], ['Left', 'Right']]
for i in range(n):
    findings = kinds[i % 3]
    name = f'{i:05d}_000.dcm'
    save(os.path.join(d, 'images', name), picture(findings), 'MONOCHROME1' if i % 2 else 'MONOCHROME2')
    out.append({'name': name, 'findings': '|'.join(findings)})
twin = picture(['Left'])
save(os.path.join(d, 'twin_m1.dcm'), twin, 'MONOCHROME1')
save(os.path.join(d, 'twin_m2.dcm'), twin, 'MONOCHROME2')
print(json.dumps(out))
`;

const FINDINGS = ['Left', 'Right'];
let written: { name: string; findings: string }[];
before(() => {
  mkdirSync(join(dir, 'images'));
  written = JSON.parse(python(WRITER, dir, '24'));
  const csv = ['Image Index,Finding Labels', ...written.map((w) => `${w.name},${w.findings}`)].join('\n');
  writeFileSync(join(dir, 'labels.csv'), `${csv}\n`);
});

describe('Estimator.fit on DICOM files', () => {
  it('MONOCHROME1 and MONOCHROME2 files of the same picture decode to the same display pixels', async () => {
    const m1 = await decodeImageFile(join(dir, 'twin_m1.dcm'));
    const m2 = await decodeImageFile(join(dir, 'twin_m2.dcm'));
    assert.deepEqual([m1.height, m1.width, m1.channels], [20, 24, 1]);
    assert.deepEqual(m1.data, m2.data);
  });

  it('trains on a folder of 16-bit DICOM joined with a labels CSV, and transform predicts them', async () => {
    const labels = DataFrame.readCsv(join(dir, 'labels.csv')).multiHot('Finding Labels', FINDINGS);
    const frame = readImages(join(dir, 'images'))
      .withColumnRenamed('fileName', 'Image Index')
      .join(labels, { on: 'Image Index' })
      .orderBy('origin');
    assert.equal(await frame.count(), 24);
    torch.manualSeed(4);
    const fitted = await new Estimator(new nn.Sequential(new nn.Flatten(), new nn.Linear(12 * 10, 2)), {
      task: 'multi-label',
      transform: chain<torch.Tensor>(ToTensor()),
      decode: { colour: 'grey', resize: [10, 12] },
      labelCol: 'labels',
      classNames: FINDINGS,
      batchSize: 8,
      maxEpoch: 30,
      optimizer: adam({ lr: 0.05 }),
      progress: false,
    }).fit(frame);
    assert.deepEqual(fitted.history?.skippedSamples, [], 'every DICOM file was read');
    assert.equal(fitted.history?.iterations.length, 30 * 3);
    const rows = await (await fitted.transform(frame)).collect();
    assert.equal(rows.length, 24);
    for (const r of rows) {
      assert.equal(r.predictionError, null);
      const want = String(written.find((w) => w.name === r['Image Index'])?.findings).split('|');
      assert.deepEqual(r.predictedLabel, want, `${r['Image Index']}: ${JSON.stringify(r.prediction)}`);
    }
  });
});
