/** Test helper: the error every reader must give for a file it cannot read. */
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { ImageDecodeError } from './errors.js';

/** Asserts that `decoding` rejects with an ImageDecodeError whose source is `path` and whose message names it. */
export async function rejectsNamingFile(decoding: Promise<unknown>, path: string): Promise<void> {
  await assert.rejects(decoding, (e: unknown) => {
    assert.ok(e instanceof ImageDecodeError, String(e));
    assert.equal(e.source, path);
    const name = basename(path).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    assert.match(e.message, new RegExp(`cannot decode .*${name}: .+`));
    return true;
  });
}
