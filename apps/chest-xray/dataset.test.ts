/**
 * The NIH layout's edge cases, on copies written by generateSyntheticCxr and edited the way real copies
 * differ: v2017 and v2020 CSVs, partly unpacked archives, a missing image, an RGBA PNG, an impossible
 * age, an unknown label (a clear error, or mapped by option); the official lists honoured exactly and no
 * patient in two parts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import sharp from 'sharp';
import { generateSyntheticCxr } from '../../src/data/datasets/synthetic-cxr.js';
import { decodeImageFile } from '../../src/data/image/decode-file.js';
import { assignSplits, type CxrRow, indexChestXray14 } from './dataset.js';

const dir = mkdtempSync(join(tmpdir(), 'tszoo-cxr-layout-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const lines = (path: string) => readFileSync(path, 'utf8').trim().split('\n');

describe('indexing a ChestX-ray14 copy', () => {
  it('v2020: honours the official lists exactly; validation is carved from train_val by patient', async () => {
    const root = join(dir, 'v2020');
    await generateSyntheticCxr(root, { count: 120, size: 16, seed: 4 });
    const index = indexChestXray14(root, { valFraction: 0.25, seed: 3 });
    assert.equal(index.csvVersion, '2020');
    const test = new Set(lines(join(root, 'test_list.txt')));
    const trainVal = new Set(lines(join(root, 'train_val_list.txt')));
    assert.deepEqual(new Set(index.rows.filter((r) => r.split === 'test').map((r) => r.imageIndex)), test);
    assert.deepEqual(new Set(index.rows.filter((r) => r.split !== 'test').map((r) => r.imageIndex)), trainVal);
    assert.ok(index.rows.some((r) => r.split === 'val') && index.rows.some((r) => r.split === 'train'));
    const sides = new Map<string, Set<string>>();
    for (const r of index.rows) sides.set(r.patientId, (sides.get(r.patientId) ?? new Set()).add(r.split));
    assert.ok(
      [...sides.values()].every((s) => s.size === 1),
      'no patient in two parts',
    );
    // the same seed gives the same carve-out, whatever the row order
    const again = indexChestXray14(root, { valFraction: 0.25, seed: 3 });
    assert.deepEqual(
      again.rows.map((r) => r.split),
      index.rows.map((r) => r.split),
    );
    assert.deepEqual(index.problems, []);
  });

  it('v2017 with images_NNN folders, a partly unpacked copy, a missing image, an impossible age', async () => {
    const root = join(dir, 'v2017');
    await generateSyntheticCxr(root, { count: 40, size: 16, seed: 5, csvVersion: '2017', imagesPerFolder: 10 });
    rmSync(join(root, 'images_004'), { recursive: true });
    const csvPath = join(root, 'Data_Entry_2017.csv');
    const csv = lines(csvPath);
    const victim = (csv[3] as string).split(',')[0] as string;
    unlinkSync(join(root, 'images_001', 'images', victim));
    csv[5] = (csv[5] as string).replace(/,(\d{3})Y,/, ',412Y,');
    writeFileSync(csvPath, `${csv.join('\n')}\n`);
    const index = indexChestXray14(root);
    assert.equal(index.csvVersion, '2017');
    assert.equal(index.imageFolders.length, 3);
    assert.equal(index.rows.length, 40 - 10 - 1);
    assert.equal(index.missing.trainVal + index.missing.test, 11);
    assert.ok(!index.rows.some((r) => r.imageIndex === victim));
    const bad = index.problems.filter((p) => p.kind === 'bad-age');
    assert.equal(bad.length, 1);
    assert.match(bad[0]?.detail ?? '', /impossible age '412Y'/);
    assert.ok(
      index.rows.every((r) => /^\d+$/.test(r.patientId) && !r.patientId.startsWith('0')),
      'ids unpadded',
    );
  });

  it('an unknown label is a clear problem, or mapped by option', async () => {
    const root = join(dir, 'labels');
    await generateSyntheticCxr(root, { count: 20, size: 16, seed: 6 });
    const csvPath = join(root, 'Data_Entry_2017_v2020.csv');
    const csv = lines(csvPath);
    const cells = (csv[2] as string).split(',');
    cells[1] = 'Infiltrate|Nodule';
    csv[2] = cells.join(',');
    writeFileSync(csvPath, `${csv.join('\n')}\n`);
    const strict = indexChestXray14(root);
    assert.deepEqual(
      strict.problems.map((p) => [p.kind, p.imageIndex, p.detail]),
      [['unknown-label', cells[0], "unknown label 'Infiltrate'"]],
    );
    assert.equal(strict.rows.length, 19);
    const mapped = indexChestXray14(root, { labelMap: { Infiltrate: 'Infiltration' } });
    assert.equal(mapped.rows.length, 20);
    const row = mapped.rows.find((r) => r.imageIndex === cells[0]) as CxrRow;
    assert.equal(row.labels[3], 1, 'Infiltration');
    assert.equal(row.labels[5], 1, 'Nodule');
  });

  it('an RGBA PNG is read as grey like the others', async () => {
    const root = join(dir, 'rgba');
    await generateSyntheticCxr(root, { count: 6, size: 16, seed: 7 });
    const index = indexChestXray14(root);
    const path = index.rows[0]?.path as string;
    const grey = await decodeImageFile(path, { colour: 'grey' });
    const rgba = await sharp(path).ensureAlpha().toColourspace('srgb').png().toBuffer();
    assert.equal((await sharp(rgba).metadata()).channels, 4);
    writeFileSync(path, rgba);
    const again = await decodeImageFile(path, { colour: 'grey', resize: [16, 16] });
    assert.equal(again.channels, 1);
    assert.deepEqual(Array.from(again.data), Array.from(grey.data));
  });

  it('random-patient splits 70/10/20 by patient; a list that splits a patient is refused', () => {
    const rows: CxrRow[] = Array.from({ length: 600 }, (_, i) => ({
      imageIndex: `${i}.png`,
      path: '',
      patientId: String(Math.floor(i / 3)),
      labels: [],
      split: 'train',
      age: null,
      sex: '',
      view: '',
    }));
    assignSplits(rows, { split: 'random-patient', seed: 1 });
    const share = (s: string) => rows.filter((r) => r.split === s).length / rows.length;
    assert.ok(
      Math.abs(share('train') - 0.7) < 0.08 && Math.abs(share('test') - 0.2) < 0.08,
      `${share('train')}, ${share('test')}`,
    );
    const leaky = rows.slice(0, 6).map((r) => ({ ...r, split: 'train' as const }));
    (leaky[1] as CxrRow).split = 'test';
    assert.throws(() => assignSplits(leaky, {}), /patient 0 is in .* the split must be by patient/);
  });
});
