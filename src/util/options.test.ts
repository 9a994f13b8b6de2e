import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkChoice, checkInt, checkOptions, closest, editDistance } from './options.js';

describe('options checks', () => {
  it('suggests the nearest known name for a typo, nothing for a different word', () => {
    assert.equal(editDistance('paddingg', 'padding'), 1);
    assert.equal(editDistance('labelColumn', 'labelCol'), 3);
    assert.equal(closest('paddingg', ['stride', 'padding']), 'padding');
    assert.equal(closest('labelColumn', ['labelCol', 'featuresCol']), 'labelCol');
    assert.equal(closest('zzz', ['stride', 'padding']), null);
  });

  it('names the caller, the option and what is allowed', () => {
    assert.throws(
      () => checkOptions('Conv2d', { paddingg: 1 }, ['stride', 'padding']),
      /^TypeError: Conv2d: unknown option 'paddingg' \(did you mean 'padding'\?\); options are: stride, padding$/,
    );
    assert.throws(() => checkOptions('X', 3, ['a']), /X: options must be an object, got 3/);
    assert.throws(() => checkOptions('X', undefined, ['a'], { required: true }), /X: options are required: \{ a \}/);
    checkOptions('X', undefined, ['a']);
    checkOptions('X', { a: 1 }, ['a']);
    assert.equal(checkChoice('X', 'mode', 'max', ['max', 'min']), 'max');
    assert.throws(
      () => checkChoice('X', 'mode', 'maxx', ['max', 'min']),
      /X: mode must be one of 'max', 'min', got 'maxx' \(did you mean 'max'\?\)/,
    );
    assert.equal(checkInt('X', 'n', 3, 1), 3);
    assert.throws(() => checkInt('X', 'n', 0, 1), /X: n must be an integer >= 1, got 0/);
    assert.throws(() => checkInt('X', 'n', 1.5), /X: n must be an integer >= 0, got 1.5/);
  });
});
