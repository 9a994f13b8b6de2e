import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { torch } from '../index.js';

type Fn = (...a: unknown[]) => unknown;
const prepack = torch.ops.mkldnn_prepacked.conv2d_prepack as unknown as Fn;
const run = torch.ops.mkldnn_prepacked.conv2d_run as unknown as (x: unknown, ctx: unknown) => torch.Tensor;

describe('TorchScript objects through operator dispatch', () => {
  it('an op returning a custom-class object gives a ScriptObject that another op takes', () => {
    torch.scope(() => {
      const w = torch.randn([6, 4, 3, 3]);
      const b = torch.randn([6]);
      const ctx = prepack(w, b, [1, 1], [1, 1], [1, 1], 1, [2, 4, 5, 5], 'relu') as torch.ScriptObject;
      assert.ok(ctx instanceof torch.ScriptObject);
      assert.equal(ctx.type, '__torch__.torch.classes.mkldnn.ConvOpContext');
      assert.equal(ctx.isDisposed, false);
      const x = torch.randn([2, 4, 5, 5]);
      const want = torch.relu(torch.conv2d(x, w, b, 1, 1));
      // the packed kernel and the eager convolution may sum in different orders: float32 rounding only
      assert.ok(torch.sub(run(x, ctx), want).abs().max().item() < 1e-5);
      ctx.dispose();
      ctx.dispose();
      assert.equal(ctx.isDisposed, true);
    });
  });

  it('refuses what is not a live object of the schema class, with errors naming op and argument', () => {
    torch.scope(() => {
      const ctx = prepack(torch.randn([2, 1, 1, 1]), null, [1, 1], [0, 0], [1, 1], 1, [1, 1, 2, 2], 'none');
      const x = torch.randn([1, 1, 2, 2]);
      assert.throws(() => run(x, torch.randn([2])), /conv2d_run: argument 'W_prepack' .* must be a script object/);
      assert.throws(() => run(x, {}), /W_prepack/);
      assert.throws(() => run(x.double(), ctx), /conv2d_run: .*float/);
      assert.throws(() => run(torch.randn([1, 3, 2, 2]), ctx), /conv2d_run/);
      (ctx as torch.ScriptObject).dispose();
      assert.throws(() => run(x, ctx), /W_prepack.*disposed script object/);
      assert.throws(() => prepack(torch.randn([2, 1, 1, 1]), null, [1, 1], [0, 0], [1, 1], 1, [1, 1, 2, 2], 'gelu'));
      // arguments oneDNN would divide by or misread (a zero stride raised SIGFPE): refused before the call
      const w = torch.randn([2, 1, 1, 1]);
      assert.throws(() => prepack(w, null, [0, 1], [0, 0], [1, 1], 1, [1, 1, 2, 2], 'none'), /stride must be >= 1/);
      assert.throws(() => prepack(w, null, [1, 1], [0, 0], [1, 0], 1, [1, 1, 2, 2], 'none'), /dilation must be >= 1/);
      assert.throws(() => prepack(w, null, [1, 1], [-1, 0], [1, 1], 1, [1, 1, 2, 2], 'none'), /padding must be >= 0/);
      assert.throws(() => prepack(w, null, [1, 1], [0, 0], [1, 1], 0, [1, 1, 2, 2], 'none'), /groups must be >= 1/);
      assert.throws(() => prepack(w, null, [1, 1], [0, 0], [1, 1], 1, [0, 1, 2, 2], 'none'), /input_size must be >= 1/);
      assert.throws(() => prepack(torch.randn([2, 1]), null, [1, 1], [0, 0], [1, 1], 1, [1, 1, 2, 2], 'none'), /4-d/);
      const live = prepack(w, null, [1, 1], [0, 0], [1, 1], 1, [1, 1, 2, 2], 'none') as torch.ScriptObject;
      assert.throws(() => run(torch.randn([1, 1, 2, 2, 2]), live), /conv2d_run: input must be 4-d, got 5-d/);
      assert.deepEqual(
        run(torch.randn([1, 1, 0, 2]), live).shape,
        [1, 2, 0, 2],
        'an empty input gives an empty output',
      );
      assert.throws(
        () => prepack(w, torch.randn([3]), [1, 1], [0, 0], [1, 1], 1, [1, 1, 2, 2], 'none'),
        /bias must be 1-d with one value per output channel \(2\)/,
      );
      live.dispose();
    });
  });
});
