import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { scope, type Tensor } from '../../tensor/index.js';
import { generateSyntheticCxr } from '../datasets/synthetic-cxr.js';
import { FrameDataset } from '../frame-dataset.js';
import { DataLoader } from '../loader.js';
import { rejectsNamingFile } from './decode-error.testutil.js';
import { decodeImageFile } from './decode-file.js';
import { DecodePool } from './decode-pool.js';
import { CenterCrop, ChannelNormalize, chain, HFlip, ToFloat, ToTensor } from './transforms.js';

const dir = mkdtempSync(join(tmpdir(), 'tszoo-decode-pool-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files: string[] = [];

before(async () => {
  const rows = await generateSyntheticCxr(join(dir, 'cxr'), { count: 12, size: 96, seed: 3 });
  files = rows.map((r) => join(dir, 'cxr', 'images', r.imageIndex));
  writeFileSync(join(dir, 'broken.png'), Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0]));
});

describe('DecodePool', () => {
  it('decodes in workers exactly as decodeImageFile does on this thread', async () => {
    const pool = new DecodePool(2);
    try {
      const options = { colour: 'grey', resize: 48 } as const;
      const got = await Promise.all(files.map((f) => pool.decode(f, options)));
      for (const [i, f] of files.entries()) {
        const ref = await decodeImageFile(f, options);
        const img = got[i];
        assert.ok(img);
        assert.deepEqual([img.height, img.width, img.channels, img.bitDepth], [ref.height, ref.width, 1, 8]);
        assert.ok(img.data instanceof Uint8Array);
        assert.deepEqual(img.data, ref.data, f);
      }
    } finally {
      await pool.close();
    }
  });

  it('rejects a broken file with an ImageDecodeError naming it, and keeps decoding the others', async () => {
    const pool = new DecodePool(1);
    try {
      const broken = join(dir, 'broken.png');
      await rejectsNamingFile(pool.decode(broken), broken);
      assert.equal((await pool.decode(files[0] as string)).width, 96);
    } finally {
      await pool.close();
    }
    await assert.rejects(pool.decode(files[0] as string), /closed/);
  });

  it('gives FrameDataset the same batches with workers as without', async () => {
    const transform = chain<Tensor>(CenterCrop(40), HFlip(0.5), ToFloat(), ChannelNormalize([0.5], [0.25]), ToTensor());
    const samples = [...files, join(dir, 'broken.png')].map((path, i) => ({ path, label: i % 3 }));
    const run = async (workers: number) => {
      const ds = FrameDataset.fromRows(samples, {
        features: 'path',
        label: 'label',
        transform,
        decode: { colour: 'grey', resize: 48 },
        seed: 5,
        workers,
      });
      const out: number[][] = [];
      for await (const batch of new DataLoader(ds, { batchSize: 5 }).epoch(0)) {
        scope(() => out.push(...batch.tensors.map((t) => t.toArray())));
        batch.dispose();
      }
      await ds.close();
      return { out, errors: ds.errors.map((e) => e.origin) };
    };
    const inProcess = await run(0);
    const inWorkers = await run(2);
    assert.deepEqual(inWorkers.errors, [join(dir, 'broken.png')]);
    assert.deepEqual(inWorkers, inProcess);
  });
});
