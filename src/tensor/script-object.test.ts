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
    });
  });
});
