import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DataFrame } from '../dataframe/index.js';
import { seededRandom } from '../sampler.js';
import { CXR14_LABELS, type Cxr14Label, cxr14MultiHot, cxr14PatientOf, findChestXray14 } from './chestxray14.js';
import { generateSyntheticCxr } from './synthetic-cxr.js';
import { renderCxr, renderCxrWithRegions } from './synthetic-cxr-render.js';

const dir = mkdtempSync(join(tmpdir(), 'tszoo-cxr-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** What Python (csv + PIL, independent of tszoo) sees in a generated set. */
function pythonView(
  root: string,
  csvName: string,
): { header: string[]; widths: number[]; modes: string[]; sizes: number[][]; rows: string[][] } {
  const script = `
import csv, json, os, sys
from PIL import Image
root, name = sys.argv[1], sys.argv[2]
rows = list(csv.reader(open(os.path.join(root, name))))
header, body = rows[0], rows[1:]
paths = {}
for d, _, files in os.walk(root):
    for f in files:
        if f.endswith('.png'):
            paths[f] = os.path.join(d, f)
imgs = [Image.open(paths[r[0]]) for r in body]
print(json.dumps({'header': header, 'widths': sorted({len(r) for r in body}), 'modes': sorted({i.mode for i in imgs}),
                  'sizes': sorted({i.size for i in imgs}), 'rows': body}))`;
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, root, csvName], { encoding: 'utf8' }));
}

describe('ChestX-ray14 layout and the synthetic generator', () => {
  it('writes the NIH layout (v2020 CSV) that Python reads as the real one, with a patient-wise split', async () => {
    const root = join(dir, 'v2020');
    const rows = await generateSyntheticCxr(root, { count: 40, size: 128, seed: 5 });
    const layout = findChestXray14(root);
    assert.equal(layout.csvVersion, '2020');
    assert.equal(layout.trainValList.length + layout.testList.length, 40);
    const trainPatients = new Set(layout.trainValList.map(cxr14PatientOf));
    assert.ok(
      layout.testList.every((f) => !trainPatients.has(cxr14PatientOf(f))),
      'no patient in both lists',
    );
    const py = pythonView(root, 'Data_Entry_2017_v2020.csv');
    assert.deepEqual(py.header.slice(7), ['OriginalImage[Width', 'Height]', 'OriginalImagePixelSpacing[x', 'y]']);
    assert.deepEqual(py.widths, [11]);
    assert.deepEqual(py.modes, ['L']);
    assert.deepEqual(py.sizes, [[128, 128]]);
    for (const [i, r] of py.rows.entries()) {
      const expected = rows[i]?.findings.length ? [...(rows[i]?.findings ?? [])].sort().join('|') : 'No Finding';
      assert.equal(r[1], expected);
      assert.deepEqual(
        cxr14MultiHot(r[1] as string),
        CXR14_LABELS.map((l) => (rows[i]?.findings.includes(l) ? 1 : 0)),
      );
    }
  });

  it('reads its labels through a DataFrame: multi-hot in CheXNet order, patient-wise split without leaks', async () => {
    const root = join(dir, 'frame');
    const rows = await generateSyntheticCxr(root, { count: 30, size: 32, seed: 8 });
    const entries = DataFrame.readCsv(findChestXray14(root).labelsCsv).multiHot('Finding Labels', CXR14_LABELS);
    assert.ok((await entries.columns()).includes('OriginalImage_Width'));
    const got = await entries.select('Image Index', 'labels').collect();
    assert.deepEqual(
      got.map((r) => [r['Image Index'], r.labels]),
      rows.map((r) => [r.imageIndex, CXR14_LABELS.map((l) => (r.findings.includes(l) ? 1 : 0))]),
    );
    const [train, val] = entries.splitByGroup('Patient ID', [0.8, 0.2], { seed: 1 });
    const ids = async (df: DataFrame) => new Set((await df.select('Patient ID').collect()).map((r) => r['Patient ID']));
    const [a, b] = [await ids(train as DataFrame), await ids(val as DataFrame)];
    assert.ok([...a].every((p) => !b.has(p)));
    assert.equal((await (train as DataFrame).count()) + (await (val as DataFrame).count()), 30);
  });

  it('writes the 2017 quirks (trailing comma, padded ids, 058Y ages) and images_00N/images folders', async () => {
    const root = join(dir, 'v2017');
    await generateSyntheticCxr(root, { count: 12, size: 64, seed: 2, csvVersion: '2017', imagesPerFolder: 5 });
    const layout = findChestXray14(root);
    assert.equal(layout.csvVersion, '2017');
    assert.ok([...layout.imagePaths.values()].some((p) => p.includes(join('images_003', 'images'))));
    const py = pythonView(root, 'Data_Entry_2017.csv');
    assert.equal(py.header.length, 12);
    assert.deepEqual(py.widths, [12]);
    assert.ok(py.rows.every((r) => /^\d{3}Y$/.test(r[4] as string) && /^\d{8}$/.test(r[3] as string)));
  });

  it('draws findings that follow the labels where it says it drew them (a measurable signal, not noise)', () => {
    // the same seed with and without the finding: same pose, so the difference inside the recorded box is the finding
    const size = 96;
    const lift = (label: Cxr14Label) => {
      let total = 0;
      for (let k = 0; k < 20; k++) {
        const withIt = renderCxrWithRegions(size, new Set([label]), seededRandom(300 + k));
        const without = renderCxr(size, new Set(), seededRandom(300 + k));
        const region = withIt.regions.find((r) => r.label === label);
        assert.ok(region && region.boxes.length > 0, `${label}: a region is recorded`);
        const [x0, y0, x1, y1] = (region.boxes[0] as number[]).map((v) => Math.round(v * size)) as number[];
        assert.ok((x0 as number) < (x1 as number) && (y0 as number) < (y1 as number), `${label}: a non-empty box`);
        let d = 0;
        for (let y = y0 as number; y < (y1 as number); y++) {
          for (let x = x0 as number; x < (x1 as number); x++) {
            d += (withIt.pixels[y * size + x] as number) - (without[y * size + x] as number);
          }
        }
        total += d / (((x1 as number) - (x0 as number)) * ((y1 as number) - (y0 as number)));
      }
      return total / 20;
    };
    assert.ok(lift('Cardiomegaly') > 0.03, 'a larger heart shadow');
    assert.ok(lift('Hernia') > 0.03, 'an opacity below the heart');
    assert.ok(lift('Mass') > 0.05, 'a mass is an opacity');
    assert.ok(lift('Pneumothorax') < -0.03, 'a pneumothorax is darker');
    assert.deepEqual(renderCxrWithRegions(32, new Set(), seededRandom(1)).regions, []);
  });

  it('names what is wrong with a broken layout', async () => {
    const root = join(dir, 'broken');
    await generateSyntheticCxr(root, { count: 6, size: 32, seed: 9 });
    const layout = findChestXray14(root);
    unlinkSync(layout.imagePaths.get(layout.trainValList[0] as string) as string);
    assert.throws(() => findChestXray14(root), /listed images are missing/);
    assert.throws(() => findChestXray14(join(dir, 'nowhere')), /neither .* nor .* exists/);
    assert.throws(() => cxr14MultiHot('Atelectasis|Flu'), /unknown finding 'Flu'/);
    assert.throws(() => cxr14PatientOf('x.png'), /not an image name/);
  });
});
