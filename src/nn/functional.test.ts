import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as torch from '../tensor/index.js';
import { crossEntropy, interpolate, pad } from './functional.js';
import * as nn from './index.js';

describe('nn.functional', () => {
  it('is the namespace nn.functional, and torch keeps only the raw ATen ops', () => {
    assert.equal(nn.functional.crossEntropy, crossEntropy);
    assert.equal((torch as Record<string, unknown>).crossEntropy, undefined);
    assert.equal((torch as Record<string, unknown>).interpolate, undefined);
    assert.equal(typeof torch.crossEntropyLoss, 'function');
  });

  it('pad fills the last dimensions with the value: [left, right, top, bottom]', () => {
    torch.scope(() => {
      const y = pad(torch.tensor([[1, 2]]), [1, 0, 0, 1], 9);
      assert.deepEqual(y.shape, [2, 3]);
      assert.deepEqual(y.tolist(), [
        [9, 1, 2],
        [9, 9, 9],
      ]);
    });
  });

  it('crossEntropy with label smoothing is the smoothed negative log-likelihood', () => {
    torch.scope(() => {
      const logits = torch.tensor([[2, 0, -1]], { dtype: 'float64' });
      const logp = [2, 0, -1].map((v, _i, a) => v - Math.log(a.reduce((s, x) => s + Math.exp(x), 0)));
      const eps = 0.1;
      const expected = -((1 - eps) * (logp[0] as number) + (eps / 3) * logp.reduce((s, v) => s + v, 0));
      const got = crossEntropy(logits, torch.tensor([0], { dtype: 'int64' }), { labelSmoothing: eps }).item();
      assert.ok(Math.abs(got - expected) < 1e-12, `${got} vs ${expected}`);
    });
  });

  it('interpolate takes exactly one of size and scaleFactor', () => {
    torch.scope(() => {
      const x = torch.ones([1, 1, 2, 2]);
      assert.deepEqual(interpolate(x, { scaleFactor: 2 }).shape, [1, 1, 4, 4]);
      assert.throws(() => interpolate(x, { size: 4, scaleFactor: 2 }), /exactly one of size and scaleFactor/);
    });
  });
});
