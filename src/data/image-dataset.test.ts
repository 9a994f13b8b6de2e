import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { scope } from '../index.js';
import type { Tensor } from '../tensor/index.js';
import { DataFrame } from './dataframe/index.js';
import { CXR14_LABELS, findChestXray14 } from './datasets/chestxray14.js';
import { generateSyntheticCxr } from './datasets/synthetic-cxr.js';
import { CenterCrop, chain, decodeImage, GreyToRGB, HFlip, Resize, ToTensor } from './image/index.js';
import { ImageDataset, readImages, readImagesDecoded } from './image-dataset.js';
import { DataLoader } from './loader.js';

const dir = mkdtempSync(join(tmpdir(), 'tszoo-imgds-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('images from a folder to batches', () => {
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
    const dataset = await ImageDataset.fromDataFrame(
      await df.withColumn('labels', 'coalesce(labels, [0,0,0,0,0,0,0,0,0,0,0,0,0,0]::FLOAT[])').orderBy('origin'),
      { path: 'origin', label: 'labels' },
      { transform, seed: 3 },
    );
    const loader = new DataLoader(dataset, { batchSize: 8 });
    let seen = 0;
    for await (const batch of loader.epoch(0)) {
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
    assert.equal(dataset.errors.length, 1);
    assert.match(dataset.errors[0]?.path ?? '', /99999999_000\.png$/);
    // Labels travel with their image.
    const byName = new Map(rows.map((r) => [r.imageIndex, CXR14_LABELS.map((l) => (r.findings.includes(l) ? 1 : 0))]));
    const sample = dataset.samples.find((s) => s.path.endsWith(rows[3]?.imageIndex ?? ''));
    assert.deepEqual(sample?.label, byName.get(rows[3]?.imageIndex ?? ''));
  });

  it('decodes a folder into the Spark image schema, with error rows or skips for unreadable files', async () => {
    const root = join(dir, 'schema');
    await generateSyntheticCxr(root, { count: 5, size: 40, seed: 2 });
    writeFileSync(join(root, 'images', 'broken.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]));
    const { frame } = await readImagesDecoded(join(root, 'images'));
    const rows = await frame.orderBy('origin').collect();
    assert.equal(rows.length, 6);
    const bad = rows.filter((r) => r.error !== null);
    assert.equal(bad.length, 1);
    assert.match(String(bad[0]?.origin), /broken\.png$/);
    assert.match(String(bad[0]?.error), /broken\.png/);
    const good = rows.filter((r) => r.error === null);
    for (const r of good) {
      assert.deepEqual([r.height, r.width, r.nChannels, r.mode], [40, 40, 1, 0]);
      assert.equal((r.data as Uint8Array).byteLength, 40 * 40);
    }
    const decoded = await decodeImage(String(good[0]?.origin));
    assert.deepEqual(new Uint8Array(good[0]?.data as Uint8Array), decoded.data);
    const skipping = await readImagesDecoded(join(root, 'images'), { onError: 'skip' });
    assert.equal(skipping.skipped, 1);
    assert.equal(await skipping.frame.count(), 5);
  });

  it('draws the same augmentations for the same seed and call order', async () => {
    const root = join(dir, 'aug');
    await generateSyntheticCxr(root, { count: 6, size: 32, seed: 1 });
    const samples = (await readImages(join(root, 'images')).collect()).map((r) => ({
      path: r.origin as string,
      label: 0,
    }));
    const make = () => new ImageDataset(samples, { transform: chain<Tensor>(HFlip(0.5), ToTensor()), seed: 9 });
    const [a, b] = [make(), make()];
    const idx = Int32Array.from([0, 1, 2, 3, 4, 5]);
    const [xa] = await a.getBatch(idx);
    const [xb] = await b.getBatch(idx);
    const [xa2] = await a.getBatch(idx);
    scope(() => {
      assert.ok(xa?.equal(xb as Tensor), 'same seed, same draws');
      assert.ok(!xa?.equal(xa2 as Tensor), 'the next call draws anew');
    });
    for (const t of [xa, xb, xa2]) t?.dispose();
  });
});
