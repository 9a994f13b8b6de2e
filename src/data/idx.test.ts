import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { torch } from '../index.js';
import { FASHION_MNIST_ROOT, loadFashionMnist } from './datasets/fashion-mnist.js';
import { decodeIdx, readIdx } from './idx.js';

const dir = mkdtempSync(join(tmpdir(), 'tszoo-idx-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Checksums of the Debian Fashion-MNIST files computed by an independent reader (Python + numpy). */
function pythonChecksums(): { n: number; pixelSum: number; first: number[]; labelCounts: number[] } {
  const script = `
import gzip, json, sys
import numpy as np
root = sys.argv[1]
img = np.frombuffer(gzip.open(root + '/train-images-idx3-ubyte.gz').read(), dtype=np.uint8, offset=16)
lab = np.frombuffer(gzip.open(root + '/train-labels-idx1-ubyte.gz').read(), dtype=np.uint8, offset=8)
print(json.dumps({'n': int(lab.size), 'pixelSum': int(img.astype(np.int64).sum()),
                  'first': img[:784].tolist(), 'labelCounts': np.bincount(lab, minlength=10).tolist()}))`;
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, FASHION_MNIST_ROOT], { encoding: 'utf8' }));
}

describe('IDX files and Fashion-MNIST', () => {
  it('reads the Debian Fashion-MNIST training set as an independent numpy reader does', async () => {
    const { images, labels } = await loadFashionMnist('train');
    const oracle = pythonChecksums();
    torch.scope(() => {
      assert.deepEqual(images.shape, [oracle.n, 1, 28, 28]);
      assert.equal(images.dtype, 'uint8');
      assert.equal(labels.dtype, 'int64');
      assert.equal(images.long().sum().item(), oracle.pixelSum);
      assert.deepEqual(images.select(0, 0).flatten().toArray(), oracle.first);
      assert.deepEqual(
        (torch.ops.aten.bincount.default(labels, null, 10) as torch.Tensor).toArray(),
        oracle.labelCounts,
      );
    });
    images.dispose();
    labels.dispose();
    const test = await loadFashionMnist('test');
    assert.deepEqual(test.images.shape, [10_000, 1, 28, 28]);
    test.images.dispose();
    test.labels.dispose();
  });

  it('decodes multi-byte big-endian element types', () => {
    const header = Buffer.from([0, 0, 0x0c, 2, 0, 0, 0, 2, 0, 0, 0, 2]);
    const data = Buffer.alloc(16);
    for (const [i, v] of [1, -2, 70000, -70000].entries()) data.writeInt32BE(v, i * 4);
    torch.scope(() => {
      const t = decodeIdx(Buffer.concat([header, data]));
      assert.equal(t.dtype, 'int32');
      assert.deepEqual(t.tolist(), [
        [1, -2],
        [70000, -70000],
      ]);
    });
  });

  it('rejects malformed files with errors that name the file', async () => {
    const cases: [string, Buffer, RegExp][] = [
      ['short', Buffer.from([0, 0]), /too short for an IDX header/],
      ['magic', Buffer.from([1, 2, 8, 1, 0, 0, 0, 1, 7]), /not an IDX file/],
      ['type', Buffer.from([0, 0, 0x42, 1, 0, 0, 0, 1, 7]), /unknown IDX element type 0x42/],
      ['truncated', Buffer.from([0, 0, 8, 2, 0, 0, 0, 9]), /truncated IDX header/],
      ['size', Buffer.from([0, 0, 8, 1, 0xff, 0xff, 0xff, 0xff, 1, 2]), /needs 4294967295 bytes of data, found 2/],
    ];
    for (const [name, bytes, message] of cases) {
      const path = join(dir, `${name}.idx`);
      writeFileSync(path, bytes);
      await assert.rejects(readIdx(path), (e: Error) => message.test(e.message) && e.message.includes(path));
    }
    const gz = join(dir, 'bad.gz');
    writeFileSync(gz, gzipSync(Buffer.from('hello')).subarray(0, 12));
    await assert.rejects(readIdx(gz), /corrupt gzip data/);
    await assert.rejects(readIdx(join(dir, 'missing.idx')), /ENOENT/);
  });
});
