import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { importCycles, importGraph } from './import-graph.testutil.js';

describe('importCycles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tszoo-import-graph-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  write('a.ts', "import { b } from './sub/b.js';\nexport const a = b;\n");
  write('sub/b.ts', "export { c as b } from '../c.js';\n");
  write('c.ts', "import type { A } from './a.js';\nexport const c = 1;\nexport type C = A;\n");
  write('d.ts', "import { a } from './a.js';\nimport fs from 'node:fs';\nexport const d = [a, fs];\n");
  write('e.ts', "const self = await import('./e.js');\nexport default self;\n");
  write('f.test.ts', "import { f } from './g.js';\n");
  write('g.ts', "import './f.test.js';\nexport const f = 1;\n");

  it('finds each cycle once, as a path from its first file back to it', () => {
    assert.deepEqual(importCycles(dir), [
      ['a.ts', 'sub/b.ts', 'c.ts', 'a.ts'],
      ['e.ts', 'e.ts'],
    ]);
  });

  it('can leave out type-only imports and include tests', () => {
    assert.deepEqual(importCycles(dir, { typeImports: false }), [['e.ts', 'e.ts']]);
    assert.deepEqual(importCycles(dir, { tests: true }).length, 3);
  });

  it('resolves relative imports to .ts files and keeps package imports out', () => {
    assert.deepEqual(importGraph(dir).get(join(dir, 'd.ts')), [join(dir, 'a.ts')]);
  });
});
