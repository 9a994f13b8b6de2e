import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { Tensor } from '../tensor/index.js';
import { scope } from '../tensor/index.js';
import { DataFrame } from './dataframe/index.js';
import { CXR14_LABELS, findChestXray14 } from './datasets/chestxray14.js';
import { generateSyntheticCxr } from './datasets/synthetic-cxr.js';
import { FrameDataset } from './frame-dataset.js';
import { CenterCrop, chain, GreyToRGB, HFlip, RandomCrop, Resize, ToTensor } from './image/index.js';
import { DataLoader } from './loader.js';
import { readImages, readImagesDecoded } from './read-images.js';
import { SkippedSamplesError } from './sample-error.js';

const dir = mkdtempSync(join(tmpdir(), 'tszoo-frameds-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** 8x8 grey PNGs with distinct pixels. */
async function writePngs(folder: string, n: number): Promise<string[]> {
  const paths: string[] = [];
  for (let i = 0; i < n; i++) {
    const px = new Uint8Array(64).map((_, j) => (i * 31 + j * 7) % 251);
    const path = join(folder, `img${String(i).padStart(3, '0')}.png`);
    await sharp(px, { raw: { width: 8, height: 8, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toFile(path);
    paths.push(path);
  }
  return paths;
}

let pngs: string[];
before(async () => {
  pngs = await writePngs(dir, 12);
});

describe('FrameDataset', () => {
  it('runs the seed pipeline: labels CSV + image folder -> multi-hot join -> transformed batches', async () => {
    const root = join(dir, 'cxr');
    const rows = await generateSyntheticCxr(root, { count: 24, size: 64, seed: 4 });
    // A corrupt file in the folder: listed, then skipped and recorded when decoded.
    writeFileSync(join(root, 'images', '99999999_000.png'), Buffer.from('not a png'));
    const labels = DataFrame.readCsv(findChestXray14(root).labelsCsv).multiHot('Finding Labels', CXR14_LABELS);
    const images = readImages(join(root, 'images'));
    assert.equal(await images.count(), 25);
    const df = images.withColumnRenamed('fileName', 'Image Index').join(labels, { on: 'Image Index', how: 'left' });
    const transform = chain<Tensor>(Resize(40), CenterCrop(32), HFlip(0.5), GreyToRGB(), ToTensor());
    const frame = await df
      .withColumn('labels', 'coalesce(labels, [0,0,0,0,0,0,0,0,0,0,0,0,0,0]::FLOAT[])')
      .orderBy('origin');
    const dataset = await FrameDataset.fromFrame(frame, { features: 'origin', label: 'labels', transform, seed: 3 });
    let seen = 0;
    for await (const batch of new DataLoader(dataset, { batchSize: 8 }).epoch(0)) {
      const [x, y] = batch.tensors as [Tensor, Tensor];
      scope(() => {
        assert.deepEqual(x.shape.slice(1), [3, 32, 32]);
        assert.equal(y.size(1), 14);
        assert.equal(x.size(0), y.size(0));
        assert.ok(x.min().item() >= 0 && x.max().item() <= 1);
      });
      seen += x.size(0);
      batch.dispose();
    }
    assert.equal(seen, 24, 'every readable image once');
    assert.deepEqual(dataset.counts, { tried: 25, failed: 1 });
    assert.equal(dataset.errors.length, 1);
    assert.match(dataset.errors[0]?.origin ?? '', /99999999_000\.png$/);
    assert.match(dataset.errors[0]?.message ?? '', /99999999_000\.png/);
    // labels travel with their image
    const collected = await frame.collect();
    const k = collected.findIndex((r) => String(r.origin).endsWith(rows[3]?.imageIndex ?? '?'));
    const want = CXR14_LABELS.map((l) => (rows[3]?.findings.includes(l) ? 1 : 0));
    assert.deepEqual(Array.from(dataset.labels?.[k] as Float32Array), want);
  });

  it('reads image paths and Spark image-schema rows to the same tensors', async () => {
    const transform = chain<Tensor>(ToTensor());
    const frame = DataFrame.fromColumns({ origin: pngs, label: pngs.map((_, i) => i % 2) });
    const byPath = await FrameDataset.fromFrame(frame, { label: 'label', transform });
    assert.equal(byPath.options.labelKind, 'class', 'a number label is a class index');
    const { frame: decoded } = await readImagesDecoded(dir, { onError: 'skip' });
    const bySchema = await FrameDataset.fromFrame(decoded.filter("origin LIKE '%/img%'").orderBy('origin'), {
      features: 'data',
      transform,
    });
    const idx = Int32Array.from([0, 5, 9]);
    const a = await byPath.load(idx, { epoch: 0, batch: 0 });
    const b = await bySchema.load(idx, { epoch: 0, batch: 0 });
    assert.deepEqual(a.tensors[0]?.shape, [3, 1, 8, 8]);
    // the same decoder and the same elementwise conversion on both sides: bit-identical
    assert.deepEqual(a.tensors[0]?.toArray(), b.tensors[0]?.toArray());
    assert.deepEqual(a.tensors[1]?.toArray(), [0, 1, 1]);
    assert.equal(b.tensors.length, 1, 'no label column: features only');
    for (const t of [...a.tensors, ...b.tensors]) t.dispose();
  });

  it('draws each row its augmentation from (seed, epoch, row), whatever batch it lands in', async () => {
    const make = (seed: number) =>
      FrameDataset.fromRows(
        pngs.map((path) => ({ path })),
        { features: 'path', transform: chain<Tensor>(RandomCrop(5), HFlip(0.5), ToTensor()), seed },
      );
    const ds = make(9);
    const rowsOf = async (d: FrameDataset, indices: number[], epoch: number) => {
      const { tensors } = await d.load(Int32Array.from(indices), { epoch, batch: 0 });
      const x = tensors[0] as Tensor;
      const out = new Map(indices.map((row, k) => [row, scope(() => x.select(0, k).toArray())]));
      x.dispose();
      return out;
    };
    const whole = await rowsOf(ds, [0, 1, 2, 3, 4, 5, 6, 7], 2);
    const other = await rowsOf(ds, [7, 3, 5], 2); // another batch, another order, another position
    for (const row of [7, 3, 5]) assert.deepEqual(other.get(row), whole.get(row), `row ${row}`);
    const again = await rowsOf(make(9), [0, 1, 2, 3, 4, 5, 6, 7], 2);
    assert.deepEqual(again, whole, 'a new dataset (a resumed run) draws the same');
    const nextEpoch = await rowsOf(ds, [0, 1, 2, 3, 4, 5, 6, 7], 3);
    const changed = [...whole.keys()].filter((r) => JSON.stringify(whole.get(r)) !== JSON.stringify(nextEpoch.get(r)));
    assert.ok(changed.length >= 4, `the next epoch draws anew (${changed.length} of 8 rows changed)`);
    const otherSeed = await rowsOf(make(10), [0, 1, 2, 3, 4, 5, 6, 7], 2);
    assert.notDeepEqual(otherSeed, whole, 'another seed draws differently');
  });

  it('stops loading with a SkippedSamplesError past maxSkippedFraction, naming the counts and reasons', async () => {
    const broken = join(dir, 'broken.png');
    writeFileSync(broken, Buffer.from('not a png'));
    const rows = [...pngs.slice(0, 6), broken, broken, join(dir, 'missing.png')].map((path) => ({ path }));
    const transform = chain<Tensor>(ToTensor());
    const strict = FrameDataset.fromRows(rows, { features: 'path', transform, maxSkippedFraction: 0.2, name: 'fit' });
    // 9 rows < 100: the share is judged once every row was tried
    const first = await strict.load(Int32Array.from([0, 1, 2, 6, 7]));
    assert.equal(first.kept.length, 3);
    for (const t of first.tensors) t.dispose();
    await assert.rejects(strict.load(Int32Array.from([3, 4, 5, 8])), (e: unknown) => {
      assert.ok(e instanceof SkippedSamplesError);
      assert.equal(e.tried, 9);
      assert.equal(e.skipped, 3);
      assert.match(e.message, /^fit: 3 of 9 rows tried could not be read \(more than the 20% allowed/);
      assert.match(e.message, /\n {2}cannot decode \S+broken\.png: /);
      assert.match(e.message, /missing\.png/);
      return true;
    });
    const lenient = FrameDataset.fromRows(rows, { features: 'path', transform, maxSkippedFraction: 0.5 });
    const all = await lenient.load(Int32Array.from(rows.map((_, i) => i)));
    assert.equal(all.kept.length, 6);
    for (const t of all.tensors) t.dispose();
  });

  it('refuses image features without a transform, and names a featureShape that does not fit', async () => {
    assert.throws(
      () => FrameDataset.fromRows([{ origin: pngs[0] }], {}),
      /column 'origin' holds image paths \(row 0\); give a transform ending in ToTensor\(\)/,
    );
    const ds = FrameDataset.fromRows([{ x: [1, 2, 3, 4, 5, 6] }], { features: 'x', featureShape: [2, 2] });
    const { tensors } = await ds.load(Int32Array.from([0]));
    assert.equal(tensors.length, 0);
    assert.match(ds.errors[0]?.message ?? '', /row 0: feature has 6 values, featureShape \[2,2\] needs 4/);
  });
});
