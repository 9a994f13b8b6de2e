// Optimizer behaviour beyond the update rules: memory, gradients, learning rates, groups, validation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tensor } from '../tensor/index.js';
import * as torch from '../tensor/index.js';
import {
  Adagrad,
  Adam,
  AdamW,
  adagrad,
  adam,
  adamW,
  clipGradNorm,
  type Optimizer,
  type OptimizerFactory,
  RMSprop,
  rmsprop,
  SGD,
  sgd,
  Warmup,
} from './index.js';
import { Problem } from './optim-golden.fixture.js';

const gc = (globalThis as { gc?: () => void }).gc;

function collect(): void {
  assert.ok(gc, 'run with --expose-gc');
  gc();
  gc();
}

/** Collects garbage and lets FinalizationRegistry callbacks run. */
async function settleGarbage(): Promise<void> {
  for (let i = 0; i < 2; i++) {
    collect();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const KINDS: [string, (params: Tensor[]) => Optimizer][] = [
  ['SGD (nesterov, weight decay)', (p) => new SGD(p, { lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 1e-3 })],
  ['Adam (amsgrad, weight decay)', (p) => new Adam(p, { lr: 0.01, amsgrad: true, weightDecay: 0.01 })],
  ['AdamW', (p) => new AdamW(p, { lr: 0.01, schedule: new Warmup(1e-4) })],
  ['RMSprop (centered, momentum)', (p) => new RMSprop(p, { lr: 0.001, centered: true, momentum: 0.9 })],
  ['Adagrad (lr decay)', (p) => new Adagrad(p, { lr: 0.1, lrDecay: 0.01 })],
];

describe('optimizer memory', () => {
  for (const [name, make] of KINDS) {
    it(`${name}: 100 steps after the first leave the live tensor count unchanged`, async () => {
      const problem = new Problem();
      const optimizer = make(problem.ordered);
      const iteration = () => {
        torch.scope(() => {
          optimizer.zeroGrad();
          problem.loss().backward();
        });
        // outside any scope: step, clipping and stateDict must clean up after themselves
        clipGradNorm(problem.ordered, 10);
        optimizer.step();
        optimizer.stateDict();
      };
      iteration(); // creates the per-parameter state
      collect();
      torch.detectLeaks({ stacks: true });
      const leakedBefore = torch.leakReport().leaked;
      const before = torch.memory();
      for (let i = 0; i < 100; i++) iteration();
      // counted before any collection: a forgotten tensor would still be alive here
      const after = torch.memory();
      assert.equal(after.tensors, before.tensors);
      assert.equal(after.bytes, before.bytes);
      // and none was left for the garbage collector to free
      await settleGarbage();
      const report = torch.leakReport();
      torch.detectLeaks(false);
      assert.equal(report.leaked - leakedBefore, 0, report.stacks.join('\n'));
      optimizer.zeroGrad();
      optimizer.dispose();
      problem.dispose();
    });
  }

  it('keeps its state when step() runs inside the caller scope, and frees it on dispose()', () => {
    const problem = new Problem();
    const optimizer = new Adam(problem.ordered);
    torch.scope(() => {
      problem.loss().backward();
      optimizer.step();
    });
    const moments = optimizer.stateOf(problem.params.w as Tensor)?.tensors;
    assert.ok(moments?.exp_avg && !moments.exp_avg.isDisposed, 'exp_avg survived the scope');
    assert.equal(optimizer.stateOf(problem.params.w as Tensor)?.step, 1);
    optimizer.dispose();
    assert.equal(moments?.exp_avg?.isDisposed, true);
    assert.throws(() => optimizer.step(), /Adam: the optimizer was disposed/);
    problem.dispose();
  });
});

describe('gradients and learning rates', () => {
  it('zeroGrad() sets gradients to null; { setToNone: false } zeroes them in place', () => {
    const problem = new Problem();
    const optimizer = new SGD(problem.ordered, { lr: 0.1 });
    torch.scope(() => problem.loss().backward());
    optimizer.zeroGrad({ setToNone: false });
    torch.scope(() => {
      const g = problem.params.w?.grad as Tensor;
      assert.deepEqual(g.toArray(), new Array(12).fill(0));
    });
    optimizer.zeroGrad();
    assert.equal(problem.params.w?.grad, null);
    optimizer.dispose();
    problem.dispose();
  });

  it('skips parameters without a gradient and counts steps per parameter', () => {
    const problem = new Problem();
    const optimizer = new Adam(problem.ordered);
    const u = problem.params.u as Tensor;
    const before = u.toArray();
    for (let i = 0; i < 3; i++) {
      torch.scope(() => {
        optimizer.zeroGrad();
        problem.loss().backward();
        optimizer.step();
      });
    }
    assert.deepEqual(u.toArray(), before);
    assert.equal(optimizer.stateOf(u), undefined);
    assert.equal(optimizer.stateOf(problem.params.q as Tensor)?.step, 3);
    assert.equal(optimizer.iteration, 3);
    optimizer.dispose();
    problem.dispose();
  });

  it('lr reads the rate of the last step and sets every group', () => {
    const problem = new Problem();
    const optimizer = new SGD(
      [{ params: problem.ordered.slice(0, 2), lr: 0.5 }, { params: problem.ordered.slice(2) }],
      { lr: 0.1, schedule: new Warmup(0.01) },
    );
    assert.equal(optimizer.lr, 0.5);
    assert.deepEqual(optimizer.lrs, [0.5, 0.1]);
    optimizer.step();
    optimizer.step();
    assert.deepEqual(optimizer.lrs, [0.5 + 0.01, 0.1 + 0.01], 'the second step used base + delta');
    optimizer.lr = 0.2;
    assert.deepEqual(
      optimizer.paramGroups.map((g) => g.lr),
      [0.2, 0.2],
    );
    optimizer.step();
    assert.deepEqual(optimizer.lrs, [0.2 + 0.01 * 2, 0.2 + 0.01 * 2]);
    assert.throws(() => {
      optimizer.lr = -1;
    }, /lr must be >= 0/);
    optimizer.dispose();
    problem.dispose();
  });

  it('endEpoch() advances the epoch and checks its metrics', () => {
    const problem = new Problem();
    const optimizer = new SGD(problem.ordered, { lr: 0.1 });
    assert.equal(optimizer.epoch, 1);
    optimizer.endEpoch({ loss: 0.5, score: 0.9 });
    optimizer.endEpoch();
    assert.equal(optimizer.epoch, 3);
    assert.deepEqual(optimizer.stateDict().meta.metrics, { loss: 0.5, score: 0.9 });
    assert.throws(() => optimizer.endEpoch({ accuracy: 1 } as never), /unknown metric 'accuracy'/);
    optimizer.dispose();
    problem.dispose();
  });
});

describe('parameter groups and options', () => {
  it('group values override the defaults; the rest come from the options', () => {
    const problem = new Problem();
    const [w, v, q, u] = problem.ordered as [Tensor, Tensor, Tensor, Tensor];
    const optimizer = new Adam([{ params: [w, v], lr: 0.1, betas: [0.5, 0.6] }, { params: [q, u] }], {
      lr: 0.01,
      weightDecay: 0.1,
    });
    const [a, b] = optimizer.paramGroups;
    assert.deepEqual([a?.lr, a?.betas, a?.weightDecay, a?.eps], [0.1, [0.5, 0.6], 0.1, 1e-8]);
    assert.deepEqual([b?.lr, b?.betas, b?.weightDecay, b?.amsgrad], [0.01, [0.9, 0.999], 0.1, false]);
    assert.notEqual(a?.betas, b?.betas, 'groups do not share arrays');
    optimizer.dispose();
    problem.dispose();
  });

  it('rejects bad parameter lists and options with errors that name them', () => {
    const problem = new Problem();
    const [w, v] = problem.ordered as [Tensor, Tensor];
    assert.throws(() => new Adam([]), /Adam: got an empty parameter list/);
    assert.throws(() => new Adam([w, w]), /parameter 1 appears more than once/);
    assert.throws(
      () => new Adam([{ params: [w] }, { params: [v, w] }]),
      /parameter group 1: parameter 1 appears more than once/,
    );
    torch.scope(() => {
      assert.throws(() => new Adam([w.mul(2)]), /can't optimize a non-leaf tensor/);
    });
    assert.throws(() => new Adam([{ params: [w], lrr: 1 } as never]), /unknown option 'lrr'/);
    assert.throws(() => new Adam([w], { momentum: 0.9 } as never), /Adam: unknown option 'momentum'/);
    assert.throws(() => new Adam([w, { params: [v] }] as never), /expected tensors or parameter groups/);
    assert.throws(() => new Adam(3 as never), /parameters must be an iterable/);
    assert.throws(() => new Adam([w], { lr: -0.1 }), /Adam: lr must be >= 0/);
    assert.throws(() => new Adam([w], { betas: [0.9, 1] }), /betas\[1\] must be in \[0, 1\)/);
    assert.throws(() => new Adam([{ params: [w], eps: Number.NaN }, { params: [v] }]), /parameter group 0: eps/);
    assert.throws(() => new SGD([w], {} as never), /SGD: lr is required/);
    assert.throws(
      () => new SGD([w], { lr: 0.1, nesterov: true }),
      /Nesterov momentum requires a momentum and zero dampening/,
    );
    assert.throws(() => new SGD([w], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }), /zero dampening/);
    assert.throws(() => new RMSprop([w], { alpha: -1 }), /alpha must be >= 0/);
    assert.throws(() => new Adagrad([w], { initialAccumulatorValue: -1 }), /initialAccumulatorValue must be >= 0/);
    problem.dispose();
  });

  it('factories build the optimizer when given the parameters', () => {
    const problem = new Problem();
    const factories: [OptimizerFactory, string][] = [
      [sgd({ lr: 0.1, momentum: 0.9 }), 'SGD'],
      [adam({ lr: 1e-3 }), 'Adam'],
      [adamW(), 'AdamW'],
      [rmsprop({ centered: true }), 'RMSprop'],
      [adagrad({ lrDecay: 0.1 }), 'Adagrad'],
    ];
    for (const [factory, name] of factories) {
      const optimizer = factory(problem.ordered);
      assert.equal(optimizer.name, name);
      assert.equal(optimizer.paramGroups[0]?.params.length, 4);
      optimizer.dispose();
    }
    const built = sgd({ lr: 0.1, momentum: 0.9 })(problem.ordered);
    assert.ok(built instanceof SGD);
    assert.equal(built.paramGroups[0]?.momentum, 0.9);
    assert.equal(adamW()(problem.ordered).paramGroups[0]?.weightDecay, 1e-2, "AdamW's default weight decay");
    problem.dispose();
  });
});
