import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { torch } from '../index.js';

describe('operator dispatch', () => {
  it('resolves overloads from argument types', () => {
    torch.scope(() => {
      const a = torch.tensor(
        [
          [1, 5],
          [3, 2],
        ],
        { dtype: 'float32' },
      );
      assert.deepEqual(torch.add(a, a).toArray(), [2, 10, 6, 4]);
      assert.deepEqual(torch.add(a, 1).toArray(), [2, 6, 4, 3]);
      assert.equal(torch.max(a).item(), 5);
      const [values, indices] = torch.max(a, 1);
      assert.deepEqual(values.toArray(), [5, 3]);
      assert.deepEqual(indices.toArray(), [1, 0]);
      assert.deepEqual(torch.max(a, torch.full([2, 2], 4)).toArray(), [4, 5, 4, 4]);
      assert.deepEqual(torch.arange(2, 8, 3).toArray(), [2, 5]);
    });
  });

  it('takes defaulted and keyword arguments positionally or by name', () => {
    torch.scope(() => {
      const a = torch.tensor([1, 2], { dtype: 'float32' });
      assert.deepEqual(torch.add(a, a, { alpha: 3 }).toArray(), [4, 8]);
      assert.deepEqual(torch.sum(torch.ones([2, 3]), 1, true).shape, [2, 1]);
      assert.deepEqual(torch.sum(torch.ones([2, 3]), { dim: 1, keepdim: true }).shape, [2, 1]);
      assert.deepEqual(torch.sum(torch.ones([2, 3]), { dim: [0, 1] }).shape, []);
      assert.deepEqual(torch.div(torch.tensor([7, -7]), 2, { roundingMode: 'floor' }).toArray(), [3, -4]);
      const x = torch.ones([1, 1, 5, 5]);
      const w = torch.ones([1, 1, 3, 3]);
      assert.deepEqual(torch.conv2d(x, w, { padding: 1 }).shape, [1, 1, 5, 5]);
      assert.deepEqual(torch.conv2d(x, w, null, 2).shape, [1, 1, 2, 2]);
      assert.deepEqual((torch.ops.aten.add.Tensor(a, a, { alpha: 2 }) as torch.Tensor).toArray(), [3, 6]);
      assert.deepEqual((torch.ops.aten.add(a, a, { alpha: 2 }) as torch.Tensor).toArray(), [3, 6]);
    });
  });

  it('maps loss reductions from strings', () => {
    torch.scope(() => {
      const p = torch.tensor([0.5, 1.5]);
      const t = torch.tensor([0, 0], { dtype: 'float32' });
      assert.equal(torch.mseLoss(p, t).item(), 1.25);
      assert.equal(torch.mseLoss(p, t, { reduction: 'sum' }).item(), 2.5);
      assert.deepEqual(torch.mseLoss(p, t, { reduction: 'none' }).toArray(), [0.25, 2.25]);
      assert.throws(() => torch.mseLoss(p, t, { reduction: 'avg' as 'mean' }), /reduction must be/);
    });
  });

  it('returns the same Tensor object from in-place ops', () => {
    torch.scope(() => {
      const a = torch.zeros([3]);
      assert.equal(a.add_(2), a);
      assert.equal(a.mul_(torch.full([3], 3)), a);
      assert.deepEqual(a.toArray(), [6, 6, 6]);
      assert.equal(a.zero_(), a);
      assert.deepEqual(a.toArray(), [0, 0, 0]);
    });
  });

  it('reaches every registered operator through ops', () => {
    torch.scope(() => {
      assert.ok(torch.allSchemas().length > 2000);
      const y = torch.ops.aten.addmv(torch.zeros([2]), torch.ones([2, 3]), torch.ones([3]));
      assert.deepEqual((y as torch.Tensor).toArray(), [3, 3]);
      const s = torch.ops.aten.sigmoid.default(torch.zeros([1])) as torch.Tensor;
      assert.equal(s.item(), 0.5);
    });
  });

  it('names the operator, the argument and the overloads when arguments do not fit', () => {
    torch.scope(() => {
      const a = torch.ones([2]);
      assert.throws(
        () => torch.add(a, 'x' as unknown as number),
        /aten::add: no overload accepts \(Tensor\[2\] float32, string\)/,
      );
      assert.throws(() => torch.add(a, a, { beta: 1 } as never), /no overload accepts/);
      assert.throws(() => torch.ops.aten.add.Tensor(a, a, { beta: 1 }), /unknown option 'beta'/);
      assert.throws(() => torch.ops.aten.noSuchOp, /unknown operator aten::noSuchOp/);
      assert.throws(() => torch.ops.aten.add.NoSuchOverload(a), /unknown operator aten::add.NoSuchOverload/);
      assert.throws(
        () => torch.reshape(a, [1.5]),
        /aten::reshape: argument 'shape' \(SymInt\[\]\) must be an integer, got 1.5/,
      );
    });
  });
});
