import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as torch from '../tensor/index.js';
import { stackSamples } from './collate.js';

describe('stackSamples', () => {
  it('equals torch.stack for float32, uint8 and int64 samples', () => {
    torch.scope(() => {
      for (const dtype of ['float32', 'uint8', 'int64'] as const) {
        const xs = [0, 1, 2].map((i) =>
          torch
            .arange(i * 12, i * 12 + 12)
            .reshape([1, 3, 4])
            .to(dtype),
        );
        const mine = stackSamples(xs);
        const ref = torch.stack(xs);
        assert.deepEqual(mine.shape, [3, 1, 3, 4]);
        assert.equal(mine.dtype, dtype);
        assert.deepEqual(mine.toArray(), ref.toArray(), dtype);
      }
    });
  });

  it('stacks non-contiguous samples through torch.stack, and rejects mismatched shapes as it does', () => {
    torch.scope(() => {
      const a = torch.arange(0, 6).reshape([2, 3]).to('float32');
      const t = a.t();
      assert.equal(t.isContiguous(), false);
      assert.deepEqual(stackSamples([t, t]).toArray(), torch.stack([t, t]).toArray());
      assert.throws(() => stackSamples([a, torch.zeros([3, 2])]));
      assert.throws(() => stackSamples([]), /no tensors/);
    });
  });

  it('keeps autograd for samples that require grad', () => {
    torch.scope(() => {
      const w = torch.ones([2]).requiresGrad_();
      const s = stackSamples([w, w]);
      s.sum().backward();
      assert.deepEqual(w.grad?.toArray(), [2, 2]);
    });
  });
});
