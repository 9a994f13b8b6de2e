import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { torch } from '../index.js';

const N = 200_000;

describe('random ops', () => {
  it('draw exactly what PyTorch draws after the same manual_seed (same generator and kernels)', () => {
    const script = `
import json, torch
torch.manual_seed(7)
out = {'rand': torch.rand(5).tolist(), 'randn': torch.randn(5).tolist(),
       'randint': torch.randint(0, 10, (6,)).tolist(), 'randperm': torch.randperm(8).tolist(),
       'normal': torch.normal(torch.zeros(3), torch.ones(3)).tolist()}
print(json.dumps(out))`;
    const py = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' }));
    // bit for bit: Python calls the same LibTorch on the same CPU, so both run literally the same kernels
    torch.scope(() => {
      torch.manualSeed(7);
      assert.deepEqual(torch.rand([5]).toArray(), py.rand);
      assert.deepEqual(torch.randn([5]).toArray(), py.randn);
      assert.deepEqual(torch.randint(0, 10, [6]).toArray(), py.randint);
      assert.deepEqual(torch.randperm(8).toArray(), py.randperm);
      assert.deepEqual(torch.normal(torch.zeros([3]), torch.ones([3])).toArray(), py.normal);
    });
  });

  it('have the right distributions', () => {
    torch.scope(() => {
      torch.manualSeed(1);
      const near = (x: number, want: number, tol: number, what: string) =>
        assert.ok(Math.abs(x - want) < tol, `${what}: ${x} vs ${want}`);
      const u = torch.rand([N], { dtype: 'float64' });
      assert.ok(u.min().item() >= 0 && u.max().item() < 1);
      near(u.mean().item(), 0.5, 0.005, 'rand mean');
      const g = torch.randn([N], { dtype: 'float64' });
      near(g.mean().item(), 0, 0.01, 'randn mean');
      near(g.std().item(), 1, 0.01, 'randn std');
      const k = torch.randint(3, 9, [N]);
      assert.equal(k.min().item(), 3);
      assert.equal(k.max().item(), 8);
      const p = torch.randperm(1000).sort()[0] as torch.Tensor;
      assert.ok(p.equal(torch.arange(1000)));
      near(
        torch
          .bernoulli(torch.full([N], 0.3))
          .mean()
          .item(),
        0.3,
        0.005,
        'bernoulli',
      );
      const n = torch.normal(torch.full([N], 2, { dtype: 'float64' }), torch.full([N], 3, { dtype: 'float64' }));
      near(n.mean().item(), 2, 0.05, 'normal mean');
      near(n.std().item(), 3, 0.05, 'normal std');
      const w = torch.empty([N]).uniform_(-1, 2);
      assert.ok(w.min().item() >= -1 && w.max().item() <= 2);
      near(w.mean().item(), 0.5, 0.01, 'uniform_ mean');
      const v = torch.empty([N]).normal_(-1, 0.5);
      near(v.std().item(), 0.5, 0.01, 'normal_ std');
      const like = torch.randnLike(torch.zeros([3, 4], { dtype: 'float64' }));
      assert.deepEqual([like.shape, like.dtype], [[3, 4], 'float64']);
      assert.deepEqual(torch.randLike(torch.zeros([2])).shape, [2]);
      const e = torch.emptyLike(torch.zeros([2, 5], { dtype: 'int32' }));
      assert.deepEqual([e.shape, e.dtype], [[2, 5], 'int32']);
      assert.deepEqual(torch.empty([0, 3]).shape, [0, 3]);
    });
  });
});
