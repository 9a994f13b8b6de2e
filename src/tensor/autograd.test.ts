import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { torch } from '../index.js';

describe('autograd', () => {
  it('accumulates gradients into leaves and records grad_fn names', () => {
    torch.scope(() => {
      const x = torch.tensor([1, 2, 3], { dtype: 'float64' }).requiresGrad_();
      const y = x.mul(x).sum();
      assert.equal(y.gradFn, 'SumBackward0');
      assert.equal(x.isLeaf, true);
      assert.equal(y.isLeaf, false);
      y.backward();
      assert.deepEqual(x.grad?.toArray(), [2, 4, 6]);
      x.mul(3).sum().backward();
      assert.deepEqual(x.grad?.toArray(), [5, 7, 9], 'gradients accumulate');
      x.grad = null;
      assert.equal(x.grad, null);
    });
  });

  it('takes an explicit gradient for non-scalar outputs and retains the graph on request', () => {
    torch.scope(() => {
      const x = torch.tensor([1, 2], { dtype: 'float32' }).requiresGrad_();
      const y = x.mul(3);
      y.backward(torch.tensor([1, 10], { dtype: 'float32' }), { retainGraph: true });
      y.backward(torch.tensor([1, 1], { dtype: 'float32' }));
      assert.deepEqual(x.grad?.toArray(), [6, 33]);
    });
  });

  it('computes higher-order gradients with grad(createGraph)', () => {
    torch.scope(() => {
      const x = torch.tensor([0.5, -1], { dtype: 'float64' }).requiresGrad_();
      const y = x.pow(3).sum();
      const [dy] = torch.grad(y, x, { createGraph: true });
      assert.deepEqual(dy?.toArray(), [0.75, 3]);
      const [d2y] = torch.grad((dy as torch.Tensor).sum(), x);
      assert.deepEqual(d2y?.toArray(), [3, -6]);
      const z = torch.ones([1], { dtype: 'float64' }).requiresGrad_();
      assert.deepEqual(torch.grad(y, [x, z], { allowUnused: true, retainGraph: true })[1], null);
    });
  });

  it('retains gradients of non-leaf tensors on request', () => {
    torch.scope(() => {
      const x = torch.ones([2]).requiresGrad_();
      const h = x.mul(2).retainGrad();
      h.mul(h).sum().backward();
      assert.deepEqual(h.grad?.toArray(), [4, 4]);
      assert.deepEqual(x.grad?.toArray(), [8, 8]);
    });
  });

  it('stops recording under noGrad, also across await, and restores the mode', async () => {
    const x = torch.ones([2]).requiresGrad_();
    const y = torch.noGrad(() => x.mul(2));
    assert.equal(y.requiresGrad, false);
    assert.equal(torch.isGradEnabled(), true);
    const z = await torch.noGrad(async () => {
      await new Promise((r) => setTimeout(r, 1));
      return x.mul(2);
    });
    assert.equal(z.requiresGrad, false);
    assert.equal(torch.isGradEnabled(), true);
    const w = torch.noGrad(() => torch.enableGrad(() => x.mul(2)));
    assert.equal(w.requiresGrad, true);
    assert.throws(() =>
      torch.noGrad(() => {
        throw new Error('boom');
      }),
    );
    assert.equal(torch.isGradEnabled(), true, 'restored after a throw');
    for (const t of [x, y, z, w]) t.dispose();
  });

  it('runs inference mode and marks its tensors', () => {
    const x = torch.ones([2]).requiresGrad_();
    const y = torch.inferenceMode(() => {
      assert.equal(torch.isInferenceMode(), true);
      return x.mul(2);
    });
    assert.equal(torch.isInferenceMode(), false);
    assert.equal(y.requiresGrad, false);
    assert.throws(() => torch.inferenceMode(async () => 1), /must be synchronous/);
    assert.equal(torch.isInferenceMode(), false);
    x.dispose();
    y.dispose();
  });

  it('detaches tensors from the graph', () => {
    torch.scope(() => {
      const x = torch.ones([2]).requiresGrad_();
      const d = x.mul(2).detach();
      assert.equal(d.requiresGrad, false);
      assert.equal(d.gradFn, null);
    });
  });
});
