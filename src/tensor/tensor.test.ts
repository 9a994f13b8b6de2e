import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { torch } from '../index.js';

describe('tensor creation and data', () => {
  it('infers dtypes from JS values: numbers the default dtype, bigints int64, booleans bool', () => {
    torch.scope(() => {
      // JS cannot tell 2.0 from 2: whole numbers are float32 too (torch.tensor([1.0, 2.0]) in Python)
      assert.equal(torch.tensor([1, 2, 3]).dtype, 'float32');
      assert.equal(torch.tensor([[0, 0]]).dtype, 'float32');
      assert.equal(torch.tensor([1.5, 2]).dtype, 'float32');
      assert.equal(torch.tensor([1n, 2n]).dtype, 'int64');
      assert.deepEqual(torch.tensor([2n ** 62n]).data(), BigInt64Array.of(2n ** 62n));
      assert.equal(torch.tensor([1, 2], { dtype: 'int64' }).dtype, 'int64');
      assert.equal(torch.tensor(Int32Array.of(1, 2)).dtype, 'int32');
      assert.throws(() => torch.tensor([1n, 2.5]), /bigints mixed with 2.5; give a dtype/);
      assert.equal(torch.full([3], 2).dtype, 'float32');
      assert.equal(torch.full([3], 2n).dtype, 'int64');
      assert.equal(torch.full([3], true).dtype, 'bool');
      assert.equal(torch.full([3], 2, { dtype: 'int32' }).dtype, 'int32');
      assert.equal(torch.arange(5).dtype, 'float32');
      assert.equal(torch.arange(5n).dtype, 'int64');
      assert.equal(torch.arange(0, 1, 0.25).dtype, 'float32');
      assert.deepEqual(torch.arange(1, 7, { step: 2 }).toArray(), [1, 3, 5]);
      assert.equal(torch.arange(5, { dtype: 'int64' }).dtype, 'int64');
      // what used to follow from int64 inference now works: a float matmul and a mean
      assert.deepEqual(torch.tensor([[1, 2]]).matmul(torch.randn([2, 3])).shape, [1, 3]);
      assert.equal(torch.tensor([1, 2]).mean().item(), 1.5);
      torch.setDefaultDtype('float64');
      try {
        assert.equal(torch.tensor([1, 2]).dtype, 'float64');
        assert.equal(torch.full([1], 1).dtype, 'float64');
        assert.equal(torch.zeros([1]).dtype, 'float64');
        assert.equal(torch.getDefaultDtype(), 'float64');
      } finally {
        torch.setDefaultDtype('float32');
      }
      assert.throws(() => torch.setDefaultDtype('int64' as never), /only 'float32' or 'float64'/);
      assert.equal(torch.tensor([true, false]).dtype, 'bool');
      assert.deepEqual(
        torch.tensor([
          [1, 2],
          [3, 4],
        ]).shape,
        [2, 2],
      );
      assert.deepEqual(torch.tensor(3.5).shape, []);
    });
  });

  it('round-trips every dtype through typed arrays', () => {
    torch.scope(() => {
      const cases: [torch.DType, ArrayBufferView][] = [
        ['float32', new Float32Array([1.5, -2, 3e-8])],
        ['float64', new Float64Array([Math.PI, -1e300, 0])],
        ['int64', new BigInt64Array([1n, -(2n ** 62n), 7n])],
        ['int32', new Int32Array([1, -2147483648, 2147483647])],
        ['int16', new Int16Array([1, -32768, 32767])],
        ['int8', new Int8Array([1, -128, 127])],
        ['uint8', new Uint8Array([0, 128, 255])],
      ];
      for (const [dtype, data] of cases) {
        const t = torch.tensor(data);
        assert.equal(t.dtype, dtype);
        assert.deepEqual(t.data(), data, dtype);
      }
    });
  });

  it('converts nested arrays to the requested dtype', () => {
    torch.scope(() => {
      const t = torch.tensor(
        [
          [1, 2],
          [3, 4],
        ],
        { dtype: 'float64' },
      );
      assert.equal(t.dtype, 'float64');
      assert.deepEqual(t.tolist(), [
        [1, 2],
        [3, 4],
      ]);
      assert.deepEqual(torch.tensor([0, 2, 0], { dtype: 'bool' }).tolist(), [false, true, false]);
      assert.deepEqual(torch.tensor(new Float32Array(6).fill(1), { shape: [2, 3] }).shape, [2, 3]);
    });
  });

  it('gives shape, strides, ndim, numel, size and item', () => {
    torch.scope(() => {
      const t = torch.zeros([2, 3, 4]);
      assert.deepEqual(t.shape, [2, 3, 4]);
      assert.deepEqual(t.strides, [12, 4, 1]);
      assert.equal(t.ndim, 3);
      assert.equal(t.numel(), 24);
      assert.equal(t.size(-1), 4);
      assert.equal(t.device, 'cpu');
      assert.equal(torch.tensor([7.25]).item(), 7.25);
      assert.equal(torch.tensor([true]).item(), true);
      assert.throws(() => t.size(3), /out of range/);
    });
  });

  it('shares storage between a tensor and its views, and copies on clone', () => {
    torch.scope(() => {
      const t = torch.arange(12, { dtype: 'float32' });
      const v = t.view([3, 4]);
      const tr = v.transpose(0, 1);
      assert.ok(v.sharesStorageWith(t));
      assert.ok(tr.sharesStorageWith(t));
      assert.equal(tr.isContiguous(), false);
      assert.deepEqual(tr.strides, [1, 4]);
      assert.deepEqual(tr.contiguous().toArray(), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
      t.add_(1);
      assert.equal(v.toArray()[0], 1, 'a write through the base shows in the view');
      assert.ok(!t.clone().sharesStorageWith(t));
    });
  });

  it('exposes contiguous memory without copying through dataView', () => {
    torch.scope(() => {
      const t = torch.zeros([4]);
      const view = t.dataView() as Float32Array;
      view[2] = 5;
      assert.deepEqual(t.toArray(), [0, 0, 5, 0]);
      t.mul_(2);
      assert.equal(view[2], 10);
      assert.throws(() => torch.zeros([2, 2]).t().dataView(), /contiguous/);
    });
  });

  it('converts between dtypes with to() and the shorthand methods', () => {
    torch.scope(() => {
      const t = torch.tensor([1.7, -2.2]);
      assert.equal(t.to('float64').dtype, 'float64');
      assert.deepEqual(t.long().toArray(), [1, -2]);
      assert.deepEqual(t.bool().tolist(), [true, true]);
      assert.equal(t.to('cpu').device, 'cpu');
      assert.equal(t.half().dtype, 'float16');
    });
  });

  it('prints shape, dtype and values', () => {
    torch.scope(() => {
      const s = String(torch.tensor([[1, 2]], { dtype: 'float32' }));
      assert.match(s, /Tensor\(shape=\[1, 2\], dtype=float32\)/);
      assert.match(s, /\[\[1,2\]\]/);
    });
  });

  it('is reproducible under manualSeed', () => {
    torch.scope(() => {
      torch.manualSeed(123);
      const a = torch.randn([5]).toArray();
      torch.manualSeed(123);
      const b = torch.randn([5]).toArray();
      assert.deepEqual(a, b);
      assert.notDeepEqual(a, torch.randn([5]).toArray());
    });
  });

  it('sets and reads intra-op threads', () => {
    const before = torch.getNumThreads();
    torch.setNumThreads(1);
    assert.equal(torch.getNumThreads(), 1);
    torch.setNumThreads(before);
    assert.equal(torch.getNumThreads(), before);
    assert.throws(() => torch.setNumThreads(0), RangeError);
    assert.match(torch.buildInfo().torchVersion, /^1\.13/);
  });

  it('sets OpenBLAS threads when LibTorch uses OpenBLAS, and says null otherwise', () => {
    // the oracle: whether the process mapped an OpenBLAS library (Linux)
    const maps = existsSync('/proc/self/maps') ? readFileSync('/proc/self/maps', 'utf8') : null;
    const before = torch.setBlasThreads(1);
    if (maps !== null && !/libopenblas/.test(maps)) {
      assert.equal(before, null);
      return;
    }
    if (maps === null && before === null) return; // not Linux: nothing to check against
    assert.ok(Number.isInteger(before) && (before as number) >= 1);
    assert.equal(torch.setBlasThreads(before as number), 1); // the 1 set above, read back
    assert.throws(() => torch.setBlasThreads(0), RangeError);
    const a = torch.tensor([
      [1, 2],
      [3, 4],
    ]);
    assert.deepEqual(a.matmul(a).tolist(), [
      [7, 10],
      [15, 22],
    ]);
  });

  it('refuses resize_ and set_ while a dataView of the memory lives (writes through it cannot reach freed memory)', () => {
    const t = torch.zeros([4]);
    const view = t.dataView() as Float32Array;
    assert.throws(
      () => torch.ops.aten.resize_.default(t, [10_000_000]),
      /aten::resize_: the tensor's memory is shared with a live dataView/,
    );
    assert.deepEqual(t.shape, [4]); // refused before the op ran: shape and memory unchanged
    assert.throws(
      () => torch.ops.aten.set_.source_Tensor(t, torch.ones([100])),
      /aten::set_\.source_Tensor: .*live dataView/,
    );
    view[0] = 5;
    assert.deepEqual(t.toArray(), [5, 0, 0, 0]);
    // without a view, resize_ works as in PyTorch
    const u = torch.zeros([2]);
    torch.ops.aten.resize_.default(u, [6]);
    assert.deepEqual(u.shape, [6]);
    t.dispose();
    view[1] = 7; // the view keeps its bytes after the tensor is disposed
    assert.equal(view[1], 7);
  });

  it('refuses to be posted to a worker with a message that says what to post instead', () => {
    const t = torch.ones([2]);
    const { port1, port2 } = new MessageChannel();
    try {
      assert.throws(
        () => port1.postMessage({ x: t }),
        /tszoo Tensor \(native memory\): post tensor\.data\(\) with its shape and dtype/,
      );
      assert.throws(() => structuredClone(t), /rebuild it with torch\.tensor\(data, \{ shape, dtype \}\)/);
    } finally {
      port1.close();
      port2.close();
    }
  });
});
