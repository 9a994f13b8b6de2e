// Gradient clipping against torch.nn.utils.clip_grad_norm_ / clip_grad_value_ (test/golden/optim.json).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tensor } from '../tensor/index.js';
import * as torch from '../tensor/index.js';
import { clipGradNorm, clipGradValue } from './index.js';
import { assertClose, type EncodedTensor, float64, golden } from './optim-golden.fixture.js';

const TOLERANCE = 1e-12;

/** Zero parameters shaped as the golden case says, with the golden gradients (none for 'none'). */
function paramsWithGrads(names: string[]): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const name of names) {
    const p = torch.zeros(golden.clip.shapes[name] as number[], { dtype: 'float64' }).requiresGrad_();
    const g = golden.clip.grads[name];
    if (g !== undefined) p.grad = float64(g);
    out[name] = p;
  }
  return out;
}

describe('clipGradNorm / clipGradValue against torch.nn.utils', () => {
  for (const c of golden.clip.cases) {
    it(c.name, () => {
      torch.scope(() => {
        const params = paramsWithGrads(c.params);
        const list = c.params.map((n) => params[n] as Tensor);
        if (c.fn === 'clipGradNorm') {
          const total = clipGradNorm(list, c.maxNorm as number, c.normType);
          assertClose([total], [c.totalNorm as number], TOLERANCE, `${c.name}: total norm`);
        } else {
          clipGradValue(list, c.clipValue as number);
        }
        for (const [name, expected] of Object.entries(c.clipped)) {
          const grad = params[name]?.grad as Tensor;
          assertClose(grad.data() as Float64Array, (expected as EncodedTensor).data, TOLERANCE, `${c.name}: ${name}`);
        }
        assert.equal(params.none?.grad ?? null, null, 'a parameter without a gradient keeps none');
      });
    });
  }
});

describe('clipping edge cases and errors', () => {
  it('returns 0 and changes nothing when no parameter has a gradient', () => {
    torch.scope(() => {
      const p = torch.ones([3]).requiresGrad_();
      assert.equal(clipGradNorm([p], 1), 0);
      clipGradValue(p, 0.1);
      assert.equal(p.grad, null);
    });
  });

  it('accepts a single tensor and Infinity for the max norm', () => {
    torch.scope(() => {
      const p = torch.zeros([2], { dtype: 'float64' }).requiresGrad_();
      p.grad = torch.tensor([3, -4], { dtype: 'float64' });
      assert.equal(clipGradNorm(p, 1, Number.POSITIVE_INFINITY), 4);
      assert.ok(Math.abs((p.grad?.data()[1] as number) + 1) < 1e-6, 'scaled so that the max norm is 1 (+1e-6 slack)');
    });
  });

  it('throws on a non-finite norm when asked to, and leaves the gradients alone', () => {
    torch.scope(() => {
      const p = torch.zeros([2], { dtype: 'float64' }).requiresGrad_();
      p.grad = torch.tensor([Number.NaN, 1], { dtype: 'float64' });
      assert.throws(() => clipGradNorm([p], 1, 2, { errorIfNonfinite: true }), /total norm of order 2 .* is NaN/);
      assert.equal(p.grad?.data()[1], 1);
    });
  });

  it('rejects bad arguments with errors that name them', () => {
    torch.scope(() => {
      const p = torch.zeros([2]).requiresGrad_();
      assert.throws(() => clipGradNorm([p], Number.NaN), /maxNorm must be a number/);
      assert.throws(() => clipGradNorm([p], 1, 'fro' as 'inf'), /normType must be a number or 'inf'/);
      assert.throws(() => clipGradNorm([p, 3 as unknown as Tensor], 1), /parameter 1 is not a Tensor/);
      assert.throws(() => clipGradValue([p], -1), /clipValue must be a number >= 0/);
    });
  });
});
