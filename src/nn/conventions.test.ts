import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import * as torch from '../tensor/index.js';
import { BatchNorm1d, BatchNorm2d, Conv2d, Linear, MSELoss } from './index.js';

describe('PyTorch conventions', () => {
  it('BatchNorm1d refuses one value per channel in training, as PyTorch does; eval takes it', () => {
    const bn = new BatchNorm1d(3);
    assert.throws(
      () => bn.forward(torch.randn([1, 3])),
      /BatchNorm1d: expected more than 1 value per channel when training, got input size \[1, 3\]/,
    );
    assert.deepEqual(bn.forward(torch.randn([2, 3])).shape, [2, 3]);
    bn.eval();
    assert.deepEqual(bn.forward(torch.randn([1, 3])).shape, [1, 3]);
    // 2-d: one image still has H*W values per channel
    assert.deepEqual(new BatchNorm2d(2).forward(torch.randn([1, 2, 3, 3])).shape, [1, 2, 3, 3]);
  });

  it('MSELoss warns once when target and input shapes differ and broadcasting pairs them up', async () => {
    const warning = once(process, 'warning');
    const loss = new MSELoss().forward(torch.zeros([4, 1]), torch.ones([4]));
    assert.equal(loss.item(), 1);
    const [w] = (await warning) as [Error & { code?: string }];
    assert.match(w.message, /MSELoss: using a target size \(\[4\]\) that is different to the input size \(\[4, 1\]\)/);
    assert.equal(w.code, 'TSZOO_MSELOSS_BROADCAST');
  });

  it('zero-sized layers initialise (a no-op, as PyTorch) and bad sizes are named', () => {
    assert.deepEqual(new Linear(0, 3).weight.shape, [3, 0]);
    assert.throws(() => new Linear(-1, 3), /Linear: inFeatures must be an integer >= 0, got -1/);
    assert.throws(
      () => new Conv2d(1, 2, 3, { paddingg: 1 } as never),
      /Conv2d: unknown option 'paddingg' \(did you mean 'padding'\?\)/,
    );
    assert.throws(
      () => new Conv2d(1, 2, 3, { padding: 'foo' as never }),
      /Conv2d: padding must be one of 'same', 'valid', got 'foo'/,
    );
    assert.throws(
      () => new Linear(2, 2).to('float17'),
      /Linear\.to: 'float17' is neither a floating-point dtype .* \(did you mean 'float16'\?\)/,
    );
    assert.throws(
      () => torch.randn([2]).to('float17' as never),
      /argument 'device' \(Device\) must be a device such as 'cpu', got 'float17'$/,
    );
  });
});
