// Autograd against central finite differences in float64: an oracle independent of PyTorch.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crossEntropy, interpolate } from '../nn/functional.js';
import * as torch from './index.js';
import { noGrad, scope, type Tensor } from './index.js';

const EPS = 1e-6;
const RTOL = 1e-4;
const ATOL = 1e-6;

const randn = (shape: number[]) => torch.randn(shape, { dtype: 'float64' });
/** Values in [0.5, 2.5): inside the domain of log, sqrt and pow, away from 0 for divisors. */
const positive = (shape: number[]) => torch.add(torch.mul(torch.rand(shape, { dtype: 'float64' }), 2), 0.5);
/** Distinct values 0.1 apart in random order, so max pooling has no near-ties within EPS. */
const distinct = (shape: number[]) =>
  torch
    .mul(
      torch.randperm(
        shape.reduce((a, b) => a * b, 1),
        { dtype: 'float64' },
      ),
      0.1,
    )
    .reshape(shape);
/** Normal values moved at least 0.1 away from 0, for ops with a kink there. */
const awayFromZero = (shape: number[]) => {
  const x = randn(shape);
  return torch.add(x, torch.mul(torch.sign(x), 0.1));
};

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    if (!(Math.abs(a - e) <= ATOL + RTOL * Math.abs(e))) {
      assert.fail(`${what}: element ${i} is ${a} by autograd, ${e} by finite differences`);
    }
  }
}

/** The value of a scalar-valued computation, without recording it for autograd. */
const evaluate = (fn: () => Tensor): number => noGrad(() => scope(() => fn().item() as number));

/** Central differences of fn with respect to every element of x (contiguous float64), changed in place. */
function numericGrad(fn: () => number, x: Tensor): Float64Array {
  const data = x.dataView() as Float64Array;
  const grad = new Float64Array(data.length);
  for (let j = 0; j < data.length; j++) {
    const v = data[j] as number;
    data[j] = v + EPS;
    const up = fn();
    data[j] = v - EPS;
    const down = fn();
    data[j] = v;
    grad[j] = (up - down) / (2 * EPS);
  }
  return grad;
}

/**
 * Checks autograd's gradients of f at `inputs` against finite differences. Outputs of any shape are
 * reduced to sum(f(...) * w) with fixed positive random weights w, so every element counts.
 */
function gradcheck(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): void {
  scope(() => {
    const xs = inputs.map((x) => x.detach().clone().requiresGrad_());
    const weights = noGrad(() => torch.add(torch.randLike(f(...xs)), 0.5));
    const loss = () => torch.sum(torch.mul(f(...xs), weights));
    const analytic = torch.grad(loss(), xs);
    xs.forEach((x, i) => {
      const g = analytic[i];
      assert.ok(g, `input ${i} has a gradient`);
      assert.deepEqual(g.shape, x.shape, `input ${i}: gradient shape`);
      assertClose(
        g.toArray(),
        numericGrad(() => evaluate(loss), x),
        `input ${i}`,
      );
    });
  });
}

const check = (f: (...xs: Tensor[]) => Tensor, makeInputs: () => Tensor[]) => () =>
  scope(() => gradcheck(f, makeInputs()));

describe('gradients match finite differences', () => {
  torch.manualSeed(0);

  it(
    'conv2d with stride, padding, groups and bias',
    check(
      (x, w, b) => torch.conv2d(x, w, { bias: b, stride: 2, padding: 1, groups: 2 }),
      () => [randn([1, 2, 5, 5]), randn([4, 1, 3, 3]), randn([4])],
    ),
  );
  it(
    'conv2d with dilation and asymmetric padding',
    check(
      (x, w) => torch.conv2d(x, w, null, 1, [1, 0], 2),
      () => [randn([1, 1, 5, 5]), randn([2, 1, 2, 2])],
    ),
  );
  it(
    'linear',
    check(
      (x, w, b) => torch.linear(x, w, b),
      () => [randn([3, 4]), randn([2, 4]), randn([2])],
    ),
  );
  it(
    'maxPool2d',
    check(
      (x) => torch.maxPool2d(x, 2),
      () => [distinct([1, 2, 4, 4])],
    ),
  );
  it(
    'maxPool2d with overlapping windows and padding',
    check(
      (x) => torch.maxPool2d(x, 3, 2, 1),
      () => [distinct([1, 1, 5, 5])],
    ),
  );
  it(
    'avgPool2d with padding, ceilMode and countIncludePad false',
    check(
      (x) => torch.avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
      () => [randn([1, 2, 5, 5])],
    ),
  );
  it(
    'adaptiveAvgPool2d with uneven bins',
    check(
      (x) => torch.adaptiveAvgPool2d(x, [2, 3]),
      () => [randn([1, 1, 5, 7])],
    ),
  );
  it('batchNorm in training mode', () =>
    scope(() => {
      const runningMean = torch.zeros([3], { dtype: 'float64' });
      const runningVar = torch.ones([3], { dtype: 'float64' });
      gradcheck(
        (x, w, b) => torch.batchNorm(x, w, b, runningMean, runningVar, true, 0.1, 1e-5, false),
        [torch.add(torch.mul(randn([4, 3, 2, 2]), 2), 1), randn([3]), randn([3])],
      );
    }));
  it(
    'relu away from 0',
    check(
      (x) => torch.relu(x),
      () => [awayFromZero([3, 5])],
    ),
  );
  it(
    'sigmoid',
    check(
      (x) => torch.sigmoid(x),
      () => [torch.mul(randn([3, 5]), 3)],
    ),
  );
  it(
    'tanh',
    check(
      (x) => torch.tanh(x),
      () => [torch.mul(randn([3, 5]), 2)],
    ),
  );
  it(
    'gelu',
    check(
      (x) => torch.gelu(x),
      () => [torch.mul(randn([3, 5]), 2)],
    ),
  );
  it(
    "gelu with approximate 'tanh'",
    check(
      (x) => torch.gelu(x, { approximate: 'tanh' }),
      () => [torch.mul(randn([3, 5]), 2)],
    ),
  );
  it(
    'softmax',
    check(
      (x) => torch.softmax(x, 1),
      () => [randn([3, 5])],
    ),
  );
  it(
    'logSoftmax',
    check(
      (x) => torch.logSoftmax(x, -1),
      () => [randn([3, 5])],
    ),
  );
  for (const alignCorners of [false, true]) {
    it(
      `interpolate bilinear, alignCorners ${alignCorners}`,
      check(
        (x) => interpolate(x, { size: [5, 7], mode: 'bilinear', alignCorners }),
        () => [randn([1, 2, 3, 4])],
      ),
    );
  }
  it(
    'interpolate bilinear by scaleFactor',
    check(
      (x) => interpolate(x, { scaleFactor: 1.7, mode: 'bilinear' }),
      () => [randn([1, 1, 4, 3])],
    ),
  );
  it('binaryCrossEntropyWithLogits with weight and posWeight', () =>
    scope(() => {
      const weight = positive([3, 4]);
      const posWeight = positive([4]);
      for (const reduction of ['none', 'mean', 'sum'] as const) {
        gradcheck(
          (x, target) => torch.binaryCrossEntropyWithLogits(x, target, weight, posWeight, reduction),
          [torch.mul(randn([3, 4]), 2), torch.rand([3, 4], { dtype: 'float64' })],
        );
      }
    }));
  it('crossEntropy with labelSmoothing and weight', () =>
    scope(() => {
      const target = torch.tensor([1, 0, 4, 2], { dtype: 'int64' });
      const weight = positive([5]);
      gradcheck((x) => crossEntropy(x, target, { labelSmoothing: 0.1, weight }), [randn([4, 5])]);
      gradcheck((x) => crossEntropy(x, target, { labelSmoothing: 0.2, reduction: 'sum' }), [randn([4, 5])]);
    }));
  it('crossEntropy with probabilities as target', () =>
    scope(() => {
      gradcheck((x, p) => crossEntropy(x, p), [randn([3, 4]), torch.softmax(randn([3, 4]), 1)]);
    }));
  it(
    'mseLoss',
    check(
      (a, b) => torch.mseLoss(a, b),
      () => [randn([3, 4]), randn([3, 4])],
    ),
  );
  it('nllLoss with weight and ignoreIndex', () =>
    scope(() => {
      const target = torch.tensor([1, 0, 4, 2, 3], { dtype: 'int64' });
      const weight = positive([5]);
      gradcheck((x) => torch.nllLoss(x, target, weight), [randn([5, 5])]);
      gradcheck((x) => torch.nllLoss(x, target, { reduction: 'sum', ignoreIndex: 4 }), [randn([5, 5])]);
    }));
  it(
    'matmul with batch broadcasting',
    check(
      (a, b) => torch.matmul(a, b),
      () => [randn([2, 1, 2, 3]), randn([2, 3, 2])],
    ),
  );
  it(
    'matmul of vectors and matrices',
    check(
      (v, m, w) => torch.matmul(torch.matmul(v, m), w),
      () => [randn([3]), randn([3, 4]), randn([4])],
    ),
  );
  it(
    'div',
    check(
      (a, b) => torch.div(a, b),
      () => [randn([2, 3]), torch.mul(positive([3]), torch.tensor([1, -1, 1], { dtype: 'float64' }))],
    ),
  );
  it(
    'pow with tensor and scalar exponents',
    check(
      (x, y) => torch.add(torch.pow(x, y), torch.pow(x, -1.5)),
      () => [positive([2, 3]), randn([3])],
    ),
  );
  it(
    'sqrt',
    check(
      (x) => torch.sqrt(x),
      () => [positive([8])],
    ),
  );
  it(
    'exp',
    check(
      (x) => torch.exp(x),
      () => [randn([8])],
    ),
  );
  it(
    'log',
    check(
      (x) => torch.log(x),
      () => [positive([8])],
    ),
  );

  it('second order: gradient of a gradient (createGraph)', () =>
    scope(() => {
      const x = randn([6]).requiresGrad_();
      const y = randn([6]).requiresGrad_();
      const v = randn([6]);
      const f = () => torch.sum(torch.mul(torch.tanh(torch.mul(x, y)), x));
      // h(x, y) = <df/dx, v>; its gradient is a Hessian-vector product
      const [g] = torch.grad(f(), x, { createGraph: true });
      assert.ok(g?.requiresGrad, 'the first gradient is differentiable');
      torch.sum(torch.mul(g, v)).backward();
      const h = () => evaluateWithGrad(() => torch.sum(torch.mul(torch.grad(f(), x)[0] as Tensor, v)));
      assertClose((x.grad as Tensor).toArray(), numericGrad(h, x), 'd/dx of <df/dx, v>');
      assertClose((y.grad as Tensor).toArray(), numericGrad(h, y), 'd/dy of <df/dx, v>');
    }));
});

/** Like evaluate(), with autograd on: the computation itself takes a gradient. */
function evaluateWithGrad(fn: () => Tensor): number {
  return scope(() => fn().item() as number);
}
