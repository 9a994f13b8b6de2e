import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { torch } from '../index.js';
import { native } from './native.js';

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

describe('grad mode across await', () => {
  /** Yields to the event loop, so that other tasks run in between. */
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
  /** Whether an op run now is recorded, and what isGradEnabled says. */
  const probe = (x: torch.Tensor) => {
    const y = x.mul(2);
    const recorded = y.requiresGrad;
    y.dispose();
    return { recorded, enabled: torch.isGradEnabled() };
  };

  it('gives concurrent noGrad and grad-enabled tasks each their own mode as they interleave', async () => {
    const x = torch.ones([2]).requiresGrad_();
    const order: string[] = [];
    const task = (name: string, steps: number) => async () => {
      const seen = [];
      for (let i = 0; i < steps; i++) {
        await tick();
        order.push(name);
        seen.push(probe(x));
      }
      return seen;
    };
    // a long no-grad task, a short one that ends first, a task with gradients, and one under enableGrad
    const [slow, quick, plain, enabled] = await Promise.all([
      torch.noGrad(task('slow', 6)),
      torch.noGrad(task('quick', 2)),
      task('plain', 6)(),
      torch.noGrad(() => torch.enableGrad(task('enabled', 4))),
    ]);
    assert.deepEqual(order.slice(0, 4), ['slow', 'quick', 'plain', 'enabled'], 'the tasks interleave');
    const off = { recorded: false, enabled: false };
    const on = { recorded: true, enabled: true };
    assert.deepEqual(slow, Array(6).fill(off), 'still off after the quick task ended');
    assert.deepEqual(quick, Array(2).fill(off));
    assert.deepEqual(plain, Array(6).fill(on), 'no-grad tasks do not leak into it');
    assert.deepEqual(enabled, Array(4).fill(on));
    assert.deepEqual(probe(x), on, 'on again after all of them');
    x.dispose();
  });

  it('keeps the mode of the code around an async noGrad while it is pending', async () => {
    const x = torch.ones([2]).requiresGrad_();
    const pending = torch.noGrad(async () => {
      const before = probe(x);
      await tick();
      return [before, probe(x)];
    });
    assert.deepEqual(probe(x), { recorded: true, enabled: true }, 'right after the call, before it settles');
    await tick();
    assert.deepEqual(probe(x), { recorded: true, enabled: true }, 'between its awaits');
    assert.deepEqual(await pending, Array(2).fill({ recorded: false, enabled: false }));
    x.dispose();
  });

  it('nests sync and async forms inside an async noGrad, and restores after a rejection', async () => {
    const x = torch.ones([2]).requiresGrad_();
    const other = (async () => {
      const seen = [];
      for (let i = 0; i < 4; i++) {
        await tick();
        seen.push(probe(x).recorded);
      }
      return seen;
    })();
    const inner = await torch.noGrad(async () => {
      await tick();
      const syncOn = torch.enableGrad(() => probe(x));
      const afterSync = probe(x);
      const asyncOn = await torch.enableGrad(async () => {
        await tick();
        return probe(x);
      });
      await tick();
      return { syncOn, afterSync, asyncOn, last: probe(x) };
    });
    assert.deepEqual(inner, {
      syncOn: { recorded: true, enabled: true },
      afterSync: { recorded: false, enabled: false },
      asyncOn: { recorded: true, enabled: true },
      last: { recorded: false, enabled: false },
    });
    assert.deepEqual(await other, [true, true, true, true]);
    await assert.rejects(
      torch.noGrad(async () => {
        await tick();
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.deepEqual(probe(x), { recorded: true, enabled: true }, 'restored after the rejection');
    x.dispose();
  });

  it('turns grad mode off in inferenceMode, also while an async grad-enabled task is pending', async () => {
    const x = torch.ones([2]).requiresGrad_();
    const pending = torch.enableGrad(async () => {
      await tick();
      return probe(x);
    });
    const [y, enabledInside] = torch.inferenceMode(() => [x.mul(2), torch.isGradEnabled()] as const);
    assert.equal(enabledInside, false, 'grad mode is off in inference mode, as in PyTorch');
    assert.equal(y.requiresGrad, false);
    assert.equal(native.isInferenceTensor(y.handle), true);
    assert.deepEqual(probe(x), { recorded: true, enabled: true });
    assert.deepEqual(await pending, { recorded: true, enabled: true });
    x.dispose();
    y.dispose();
  });

  it('setGradEnabled inside an async noGrad changes that callback only', async () => {
    const x = torch.ones([2]).requiresGrad_();
    const other = (async () => {
      await tick();
      await tick();
      return probe(x);
    })();
    const seen = await torch.noGrad(async () => {
      assert.equal(torch.setGradEnabled(true), false, 'returns the previous mode');
      await tick();
      await tick();
      return probe(x);
    });
    assert.deepEqual(seen, { recorded: true, enabled: true });
    assert.deepEqual(await other, { recorded: true, enabled: true });
    assert.equal(torch.setGradEnabled(false), true);
    assert.deepEqual(probe(x), { recorded: false, enabled: false });
    assert.equal(torch.setGradEnabled(true), false);
    x.dispose();
  });
});
