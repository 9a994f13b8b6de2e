import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fsyncDir, writeFileAtomic } from './atomic-write.js';

describe('writeFileAtomic', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tszoo-atomic-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes bytes, and strings as UTF-8, replacing the old file and leaving no temporary file', () => {
    const path = join(dir, 'a.bin');
    writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    assert.deepEqual([...readFileSync(path)], [1, 2, 3]);
    writeFileAtomic(path, 'héllo\n');
    assert.equal(readFileSync(path, 'utf8'), 'héllo\n');
    assert.deepEqual(readdirSync(dir), ['a.bin']);
  });

  it('creates the parent folders with { mkdir: true }, and otherwise fails on a missing folder', () => {
    const nested = join(dir, 'x', 'y', 'report.html');
    assert.throws(() => writeFileAtomic(nested, 'no'), /ENOENT/);
    writeFileAtomic(nested, '<html>', { mkdir: true });
    assert.equal(readFileSync(nested, 'utf8'), '<html>');
  });

  it('leaves the target untouched and removes its temporary file when the rename fails', () => {
    const target = join(dir, 'occupied');
    mkdirSync(target);
    writeFileSync(join(target, 'inside'), 'old');
    assert.throws(() => writeFileAtomic(target, 'new'), /EISDIR|ENOTEMPTY|EEXIST/);
    assert.equal(readFileSync(join(target, 'inside'), 'utf8'), 'old');
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
    );
  });
});

describe('fsyncDir', () => {
  it('fsyncs an existing folder and throws for a missing one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tszoo-fsync-'));
    try {
      fsyncDir(dir);
      assert.throws(() => fsyncDir(join(dir, 'missing')), /ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
