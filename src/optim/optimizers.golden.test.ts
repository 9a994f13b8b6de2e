// Each optimizer's trajectory over 100 steps against torch.optim (test/golden/optim.json).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scope, type Tensor } from '../tensor/index.js';
import { clipGradNorm } from './index.js';
import { assertClose, buildOptimizer, golden, Problem } from './optim-golden.fixture.js';

// float64 and the same ATen kernels in the same order: the trajectories should agree to rounding. The golden
// file was written on another machine and X @ w goes through OpenBLAS, whose kernel depends on the CPU:
// measured bit-identical with its Haswell, SkylakeX, Cooperlake and Zen kernels (FMA); with pre-FMA kernels
// (OPENBLAS_CORETYPE=Sandybridge) 'rmsprop alpha momentum weight decay' drifts to 9e-8 in 100 steps.
const TOLERANCE = 1e-10;

describe('optimizers against torch.optim (float64, 100 steps)', () => {
  for (const c of golden.optimizers) {
    it(c.name, () => {
      const problem = new Problem();
      const optimizer = buildOptimizer(c, problem);
      for (let step = 1; step <= 100; step++) {
        scope(() => {
          optimizer.zeroGrad();
          problem.loss().backward();
          if (c.clipGradNorm !== undefined) clipGradNorm(problem.ordered, c.clipGradNorm);
          optimizer.step();
        });
        const expected = c.trajectory[String(step)];
        if (expected === undefined) continue;
        for (const [name, e] of Object.entries(expected)) {
          const p = problem.params[name] as Tensor;
          assert.deepEqual(p.shape, e.shape);
          assertClose(p.data() as Float64Array, e.data, TOLERANCE, `${c.name}: ${name} after step ${step}`);
        }
      }
      // u never takes part in the loss: its gradient stays null, so it has no state and never moves
      assert.equal(optimizer.stateOf(problem.params.u as Tensor), undefined);
      optimizer.dispose();
      problem.dispose();
    });
  }
});
