import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { generateSyntheticCxr } from './datasets/synthetic-cxr.js';
import { decodeImage } from './image/index.js';
import { readImagesDecoded } from './read-images.js';

const dir = mkdtempSync(join(tmpdir(), 'tszoo-imgds-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('readImagesDecoded', () => {
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
});
