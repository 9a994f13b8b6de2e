import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../tszoo.js', import.meta.url));
const tszoo = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

describe('tszoo cxr', () => {
  it('lists its commands, and each command its options', () => {
    const r = tszoo('cxr', '--help');
    assert.equal(r.status, 0, r.stderr);
    for (const c of ['prepare', 'train', 'evaluate', 'predict', 'explain', 'serve', 'review'])
      assert.match(r.stdout, new RegExp(`\\n  ${c} `));
    const t = tszoo('cxr', 'train', '--help');
    assert.equal(t.status, 0, t.stderr);
    assert.match(t.stdout, /--batch-size V\s+recipe batchSize \(default 32\)/);
    assert.match(t.stdout, /--split NAME/);
  });

  it('names the option that is wrong (exit 2) and reports a missing model without a stack trace (exit 1)', () => {
    const bad = tszoo('cxr', 'train', '--data', '/nowhere', '--backbone', 'vgg16');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /backbone must be one of small-cnn, resnet18/);
    const unknown = tszoo('cxr', 'evaluate', '--bogus');
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /bogus/);
    const missing = tszoo('cxr', 'predict', '--model', '/nowhere/model', bin);
    assert.equal(missing.status, 2, 'a .js file is not an image');
    const noModel = tszoo(
      'cxr',
      'explain',
      '--model',
      '/nowhere/model',
      fileURLToPath(new URL('./review-page', import.meta.url)),
    );
    assert.notEqual(noModel.status, 0);
    assert.doesNotMatch(noModel.stderr, /\n\s+at /, 'no stack trace');
  });
});
