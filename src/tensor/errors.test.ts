import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { nn, torch } from '../index.js';
import { native } from './native.js';

/** Asserts that fn throws an Error whose message matches, and that the engine still works afterwards. */
function throwsAndSurvives(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof Error, 'a JS Error');
    assert.match(e.message, message);
    return true;
  });
  torch.scope(() => assert.equal(torch.ones([2]).add(1).sum().item(), 4));
}

describe('errors are JS errors that name the op and the cause', () => {
  it('mismatched shapes', () => {
    torch.scope(() => {
      throwsAndSurvives(
        () => torch.add(torch.ones([2, 3]), torch.ones([4])),
        /^aten::add\.Tensor: The size of tensor a \(3\) must match the size of tensor b \(4\)/,
      );
      throwsAndSurvives(
        () => torch.mm(torch.ones([2, 3]), torch.ones([2, 3])),
        /^aten::mm: mat1 and mat2 shapes cannot be multiplied/,
      );
      throwsAndSurvives(
        () => torch.conv2d(torch.ones([1, 2, 5, 5]), torch.ones([4, 3, 3, 3])),
        /^aten::conv2d: .*expected input.*to have 3 channels/,
      );
      throwsAndSurvives(
        () => torch.ones([6]).view([4, 2]),
        /^aten::view: shape '\[4, 2\]' is invalid for input of size 6/,
      );
      throwsAndSurvives(
        () => torch.cat([torch.ones([2, 2]), torch.ones([3, 3])], 0),
        /^aten::cat: Sizes of tensors must match/,
      );
      throwsAndSurvives(
        () => torch.ones([2]).narrow(0, 1, 5),
        /^aten::narrow: start \(1\) \+ length \(5\) exceeds dimension size \(2\)/,
      );
    });
  });

  it('wrong dtypes', () => {
    torch.scope(() => {
      throwsAndSurvives(
        () => torch.mm(torch.ones([2, 2]), torch.ones([2, 2], { dtype: 'float64' })),
        /^aten::mm: expected .*same dtype|^aten::mm: expected scalar type/,
      );
      throwsAndSurvives(
        () => nn.functional.crossEntropy(torch.randn([2, 3]), torch.tensor([0.5, 1.5])),
        /^aten::cross_entropy_loss: /,
      );
      throwsAndSurvives(
        () => torch.ones([2], { dtype: 'int64' }).requiresGrad_(),
        /^requiresGrad_: Only Tensors of floating point/,
      );
      throwsAndSurvives(() => torch.tensor([1], { dtype: 'float128' as torch.DType }), /unknown dtype 'float128'/);
      throwsAndSurvives(() => torch.indexSelect(torch.ones([3]), 0, torch.tensor([0.5])), /^aten::index_select: /);
    });
  });

  it('unknown operators and bad argument types', () => {
    torch.scope(() => {
      throwsAndSurvives(() => torch.ops.aten.frobnicate, /unknown operator aten::frobnicate/);
      throwsAndSurvives(() => native.findOp('aten::add', 'Nope'), /unknown operator aten::add\.Nope/);
      throwsAndSurvives(
        () => torch.zeros(['a'] as unknown as number[]),
        /aten::zeros: argument 'size' .* must be an integer/,
      );
      throwsAndSurvives(() => torch.zeros([2, Number.NaN]), /must be an integer, got NaN/);
      throwsAndSurvives(() => torch.zeros([-1]), /^aten::zeros: .*negative dimension -1/);
      throwsAndSurvives(() => torch.softmax(torch.ones([2]), 5), /^aten::softmax\.int: Dimension out of range/);
      throwsAndSurvives(
        () => torch.dropout(torch.ones([2]), 0.5, 1 as unknown as boolean),
        /^aten::dropout: argument 'train' \(bool\) must be a boolean/,
      );
      throwsAndSurvives(() => torch.zeros([2 ** 40, 2 ** 40]), /^aten::zeros: /);
      throwsAndSurvives(() => torch.ones([2]).expand([3, 3]), /^aten::expand: /);
    });
  });

  it('use after dispose', () => {
    const t = torch.ones([3]);
    t.dispose();
    t.dispose(); // idempotent
    assert.equal(t.isDisposed, true);
    throwsAndSurvives(() => t.add(1), /tensor was disposed/);
    throwsAndSurvives(() => t.shape, /tensor was disposed/);
    throwsAndSurvives(() => t.toArray(), /tensor was disposed/);
    throwsAndSurvives(() => torch.cat([t, t]), /tensor was disposed/);
    assert.equal(String(t), 'Tensor(disposed)');
  });

  it('malformed data for tensor()', () => {
    throwsAndSurvives(() => torch.tensor([[1, 2], [3]]), /ragged nested array/);
    throwsAndSurvives(
      () => torch.tensor(new Float32Array(5), { shape: [2, 3] }),
      /data has 20 bytes but shape and dtype float32 need 24/,
    );
    throwsAndSurvives(
      () => torch.tensor(['a'] as unknown as number[]),
      /elements must be numbers, bigints or booleans/,
    );
    throwsAndSurvives(() => native.fromBuffer(new Float32Array(1), 'float32', [1.5]), /invalid dimension 1.5/);
    throwsAndSurvives(() => native.fromBuffer(new Float32Array(1), 'float32', [2 ** 30, 2 ** 30]), /shape too large/);
  });

  it('foreign values passed where the addon expects handles', () => {
    const raw = createRequire(import.meta.url);
    assert.ok(raw);
    throwsAndSurvives(() => native.shape({} as never), /expected a Tensor/);
    throwsAndSurvives(() => native.dispose(42 as never), /expected a Tensor/);
    throwsAndSurvives(() => native.callOp({} as never), /expected an operator handle/);
    const op = native.findOp('aten::add', 'Tensor');
    throwsAndSurvives(() => native.callOp(op, op, op), /argument 'self' \(Tensor\) must be a Tensor/);
    throwsAndSurvives(() => native.shape(op as never), /expected a Tensor/);
    throwsAndSurvives(() => native.callOp(op, 1, 2, 3, 4), /takes 3 arguments, got 4/);
  });

  it('empty tensors in the mkldnn layout, which would make oneDNN divide by zero (SIGFPE)', () => {
    torch.scope(() => {
      const aten = torch.ops.aten as unknown as Record<string, (...a: unknown[]) => torch.Tensor>;
      const empty = (aten.to_mkldnn as (t: torch.Tensor) => torch.Tensor)(torch.zeros([1, 16, 0, 4]));
      throwsAndSurvives(
        () => torch.adaptiveAvgPool2d(empty, [1, 1]),
        /^aten::adaptive_avg_pool2d: an empty tensor in the mkldnn layout \(shape \[1, 16, 0, 4\]\)/,
      );
      throwsAndSurvives(() => torch.relu(empty), /^aten::relu: an empty tensor in the mkldnn layout/); // unboxed path
      throwsAndSurvives(() => torch.cat([empty, empty], 1), /^aten::cat: an empty tensor in the mkldnn layout/); // a list
      assert.deepEqual((aten.to_dense as (t: torch.Tensor) => torch.Tensor)(empty).shape, [1, 16, 0, 4]);
    });
  });

  it('autograd misuse', () => {
    torch.scope(() => {
      const x = torch.ones([2]).requiresGrad_();
      const y = x.mul(x).sum(); // saves x for backward, freed after the first pass
      y.backward();
      throwsAndSurvives(() => y.backward(), /^backward: Trying to backward through the graph a second time/);
      throwsAndSurvives(() => x.mul(2).backward(), /^backward: grad can be implicitly created only for scalar outputs/);
      throwsAndSurvives(() => torch.ones([2]).sum().backward(), /does not require grad/);
      throwsAndSurvives(() => {
        x.grad = torch.ones([3]);
      }, /gradient shape \[3\] does not match tensor shape \[2\]/);
    });
  });
});
