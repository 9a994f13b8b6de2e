import assert from 'node:assert/strict';
import { relative } from 'node:path';
import { describe, it } from 'node:test';
import { importCycles, importGraph, sourceDir } from './util/import-graph.testutil.js';

/**
 * The architecture's layers, lowest first: a folder may import only from folders of a lower layer (or
 * its own). Test fixtures, which build whole programs, may import the package root.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['util'],
  ['tensor'],
  ['nn', 'optim', 'data'],
  ['interop'],
  ['models'],
  ['distributed'],
  ['pipeline'],
  ['serving'],
  ['index'],
];
const layerOf = (folder: string) => LAYERS.findIndex((l) => l.includes(folder));

describe('layering of src/', () => {
  const src = sourceDir();
  const folderOf = (file: string) => (relative(src, file).split('/')[0] as string).replace(/\.ts$/, '');

  it('imports only downwards, between the folders that show the architecture', () => {
    const upward: string[] = [];
    for (const [file, targets] of importGraph(src)) {
      if (file.endsWith('.fixture.ts')) continue;
      const from = folderOf(file);
      assert.ok(layerOf(from) >= 0, `src/${from} is in no layer: add it to LAYERS`);
      for (const t of targets) {
        const to = folderOf(t);
        if (to !== from && layerOf(to) >= layerOf(from)) upward.push(`${relative(src, file)} -> ${relative(src, t)}`);
      }
    }
    assert.deepEqual(upward, []);
  });

  it('has no import cycle in src/pipeline, src/interop or anywhere else (type-only imports included)', () => {
    assert.deepEqual(importCycles(sourceDir('pipeline')), []);
    assert.deepEqual(importCycles(sourceDir('interop')), []);
    assert.deepEqual(importCycles(src), []);
  });
});
