import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tensor } from '../tensor/index.js';
import * as torch from '../tensor/index.js';
import {
  AdaptiveAvgPool2d,
  BatchNorm2d,
  Conv2d,
  Flatten,
  Linear,
  MaxPool2d,
  type Module,
  ReLU,
  Sequential,
} from './index.js';

function smallCnn(): Module {
  return new Sequential(
    new Conv2d(3, 8, 3, { padding: 1 }),
    new BatchNorm2d(8),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(8, 8, 3, { padding: 1, groups: 8 }),
    new ReLU(),
    new AdaptiveAvgPool2d([1, 1]),
    new Flatten(),
    new Linear(8, 4),
  );
}

function maxAbsDiff(a: number[], b: number[]): number {
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - (b[i] as number))), 0);
}

describe('channels-last memory format', () => {
  it('contiguous({ memoryFormat }) keeps values and shape, changes strides', () => {
    torch.scope(() => {
      const x = torch.randn([2, 3, 4, 5]);
      const cl = x.contiguous({ memoryFormat: 'channelsLast' });
      assert.deepEqual(cl.shape, [2, 3, 4, 5]);
      assert.deepEqual(cl.strides, [60, 1, 15, 3]);
      assert.equal(cl.isContiguous({ memoryFormat: 'channelsLast' }), true);
      assert.equal(cl.isContiguous(), false);
      assert.equal(x.isContiguous({ memoryFormat: 'channelsLast' }), false);
      assert.deepEqual(cl.toArray(), x.toArray());
      const x5 = torch.randn([1, 2, 3, 4, 5]).contiguous({ memoryFormat: 'channelsLast3d' });
      assert.equal(x5.isContiguous({ memoryFormat: 'channelsLast3d' }), true);
      assert.throws(
        () => x.isContiguous({ memoryFormat: 'nhwc' as 'channelsLast' }),
        /isContiguous: memoryFormat must be 'contiguous', 'channelsLast' or 'channelsLast3d', got 'nhwc'/,
      );
      assert.throws(
        () => x.contiguous({ memoryFormat: 'channels_last' as 'channelsLast' }),
        /must be 'contiguous', 'preserve', 'channelsLast' or 'channelsLast3d'/,
      );
    });
  });

  it("module.to({ memoryFormat: 'channelsLast' }) matches NCHW forward and backward (1e-5)", () => {
    torch.manualSeed(5);
    const a = smallCnn();
    const b = smallCnn();
    b.loadStateDict(a.stateDict());
    const objects = b.parameters();
    b.to({ memoryFormat: 'channelsLast' });
    assert.ok(
      b.parameters().every((p, i) => p === objects[i]),
      'same Tensor objects',
    );
    for (const [name, p] of b.namedParameters()) {
      if (p.dim() === 4) assert.ok(p.isContiguous({ memoryFormat: 'channelsLast' }), `${name} is channels-last`);
      else assert.ok(p.isContiguous(), `${name} untouched`);
      assert.ok(p.requiresGrad && p.isLeaf, `${name} still a trainable leaf`);
    }
    torch.scope(() => {
      const x = torch.randn([2, 3, 16, 16]);
      const ya = a.forward(x);
      const yb = b.forward(x.contiguous({ memoryFormat: 'channelsLast' }));
      assert.ok(maxAbsDiff(ya.toArray(), yb.toArray()) < 1e-5);
      ya.square().sum().backward();
      yb.square().sum().backward();
      const ga = a.parameters().map((p) => (p.grad as Tensor).toArray());
      const gb = b.parameters().map((p) => (p.grad as Tensor).toArray());
      for (let i = 0; i < ga.length; i++) {
        const scale = Math.max(1, ...(ga[i] as number[]).map(Math.abs));
        assert.ok(maxAbsDiff(ga[i] as number[], gb[i] as number[]) < 1e-4 * scale, `gradient ${i}`);
      }
      // The state dict reads NCHW values whatever the layout (running statistics summed in another order).
      const sa = a.stateDict();
      const sb = b.stateDict();
      for (const k of Object.keys(sa)) {
        assert.deepEqual((sb[k] as Tensor).shape, (sa[k] as Tensor).shape, k);
        assert.ok(maxAbsDiff((sb[k] as Tensor).toArray(), (sa[k] as Tensor).toArray()) < 1e-6, k);
      }
    });
    b.to({ memoryFormat: 'contiguous' });
    assert.ok(b.parameters().every((p) => p.isContiguous()));
    assert.throws(() => b.to({ dtype: 'int64' }), /to: dtype must be a floating dtype, got 'int64'/);
    a.dispose();
    b.dispose();
  });
});
