import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CXR14_LABELS } from '../datasets/chestxray14.js';
import { DataFrame, Session } from './index.js';

const fixtures = fileURLToPath(new URL('../../../../test/fixtures/dataframe/', import.meta.url));
const session = new Session();
after(() => session.close());

const labels = () =>
  DataFrame.fromRows(
    [
      { id: 0, f: 'Effusion|Atelectasis' },
      { id: 1, f: 'No Finding' },
      { id: 2, f: ' Mass | Nodule ' },
      { id: 3, f: null },
      { id: 4, f: '' },
    ],
    { session },
  );

describe('multiHot', () => {
  it('encodes in the given label order; No Finding, NULL and empty are all zeros', async () => {
    const rows = await labels().multiHot('f', ['Atelectasis', 'Mass', 'Effusion', 'Nodule']).collect();
    assert.deepEqual(
      rows.map((r) => r.labels),
      [
        [1, 0, 1, 0],
        [0, 0, 0, 0],
        [0, 1, 0, 1],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
      ],
    );
    assert.equal(rows[0]!.f, 'Effusion|Atelectasis');
  });

  it('No Finding as a label is encoded like any other', async () => {
    const rows = await labels().multiHot('f', ['No Finding', 'Mass'], { unknown: 'ignore' }).collect();
    assert.deepEqual(rows[1]!.labels, [1, 0]);
    assert.deepEqual(rows[0]!.labels, [0, 0]);
  });

  it('one column per label, custom output, dropping the source', async () => {
    const df = labels().multiHot('f', ['Mass', 'Nodule'], {
      asColumns: true,
      prefix: 'y_',
      unknown: 'ignore',
      keepSource: false,
    });
    assert.deepEqual(await df.columns(), ['id', 'y_Mass', 'y_Nodule']);
    assert.deepEqual((await df.collect())[2], { id: 2, y_Mass: 1, y_Nodule: 1 });
    const named = labels().multiHot('f', ['Mass'], { outputColumn: 'y', unknown: 'ignore' });
    assert.deepEqual(await named.columns(), ['id', 'f', 'y']);
  });

  it('unknown labels fail naming the label, or are ignored', async () => {
    await assert.rejects(labels().multiHot('f', ['Mass', 'Nodule']).collect(), /unknown label.*"f".*Effusion/);
    assert.equal(await labels().multiHot('f', ['Mass'], { unknown: 'ignore' }).count(), 5);
    await assert.rejects(labels().multiHot('nope', ['Mass']).collect(), /column "nope" not found/);
  });

  it('ChestX-ray14 fixture in CheXNet order', async () => {
    const df = DataFrame.readCsv(`${fixtures}cxr14_v2020.csv`, { session }).multiHot('Finding Labels', CXR14_LABELS);
    const rows = await df.select('Finding Labels', 'labels').collect();
    const vec = (...idx: number[]) => CXR14_LABELS.map((_, i) => (idx.includes(i) ? 1 : 0));
    assert.deepEqual(rows[1]!.labels, vec(1, 10)); // Cardiomegaly|Emphysema
    assert.deepEqual(rows[2]!.labels, vec(1, 2)); // Cardiomegaly|Effusion
    assert.deepEqual(rows[3]!.labels, vec()); // No Finding
    assert.deepEqual(rows[4]!.labels, vec(13)); // Hernia
    assert.deepEqual(rows[6]!.labels, vec(4, 5)); // Mass|Nodule
    const [train, test] = DataFrame.readCsv(`${fixtures}cxr14_2017.csv`, { session }).splitByGroup(
      'Patient ID',
      [0.7, 0.3],
      { seed: 0 },
    );
    const a = new Set((await train!.collect()).map((r) => r['Patient ID']));
    const b = (await test!.collect()).map((r) => r['Patient ID']);
    assert.ok(b.every((p) => !a.has(p)));
    assert.equal(a.size + new Set(b).size, 7);
  });
});
