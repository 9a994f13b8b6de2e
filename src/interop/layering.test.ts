import assert from 'node:assert/strict';
import { relative } from 'node:path';
import { describe, it } from 'node:test';
import { importCycles, importGraph, sourceDir } from '../util/import-graph.testutil.js';

// interop sits below the model zoo: models implement `toOnnx` (OnnxExportable) and the exporter finds
// it on the module, so interop never needs to know the architectures. Tests may use the zoo.
describe('layering of src/interop', () => {
  it('imports nothing from src/models', () => {
    const models = sourceDir('models');
    const reaching = [...importGraph(sourceDir('interop'))].flatMap(([file, targets]) =>
      targets
        .filter((t) => t.startsWith(models))
        .map((t) => `${relative(sourceDir(), file)} -> ${relative(sourceDir(), t)}`),
    );
    assert.deepEqual(reaching, []);
  });

  it('has no import cycle (type-only imports included)', () => {
    assert.deepEqual(importCycles(sourceDir('interop')), []);
  });
});
