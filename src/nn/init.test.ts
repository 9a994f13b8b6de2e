// Initialisation against torch.nn.init: gains and fans exactly, and the distributions drawn by the init
// functions and by each layer's default initialisation (bounds and standard deviations computed by
// scripts/golden/make_nn_goldens.py with torch.nn.init's helpers, which also checked them against torch).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as torch from '../tensor/index.js';
import { scope, type Tensor } from '../tensor/index.js';
import { Embedding, init, type Module } from './index.js';
import { build, type InitFunctionCase, loadGolden } from './testing.js';

const golden = loadGolden().init;

const closeTo = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= 1e-15 * Math.abs(expected), `${what}: ${actual} vs ${expected}`);

/** Largest |t|, standard deviation and mean of a tensor. */
function stats(t: Tensor): { maxAbs: number; std: number; mean: number; n: number } {
  return scope(() => ({
    maxAbs: t.abs().max().item() as number,
    std: t.std().item() as number,
    mean: t.mean().item() as number,
    n: t.numel(),
  }));
}

/**
 * U(-bound, bound): no value beyond the bound, the largest within ~bound/n of it, and the standard
 * deviation (bound/sqrt(3)) and mean (0) within 5 standard errors.
 */
function assertUniform(t: Tensor, bound: number, what: string): void {
  const s = stats(t);
  assert.ok(s.maxAbs <= bound * (1 + 1e-6), `${what}: max |w| ${s.maxAbs} exceeds the bound ${bound}`);
  assert.ok(s.maxAbs >= bound * (1 - 10 / s.n), `${what}: max |w| ${s.maxAbs} far below the bound ${bound}`);
  const std = bound / Math.sqrt(3);
  assert.ok(Math.abs(s.std / std - 1) < 5 * Math.sqrt(0.2 / s.n), `${what}: std ${s.std}, expected ${std}`);
  assert.ok(Math.abs(s.mean) < (5 * std) / Math.sqrt(s.n), `${what}: mean ${s.mean}`);
}

/** N(0, std): standard deviation and mean within 5 standard errors. */
function assertNormal(t: Tensor, std: number, what: string): void {
  const s = stats(t);
  assert.ok(Math.abs(s.std / std - 1) < 5 / Math.sqrt(2 * s.n), `${what}: std ${s.std}, expected ${std}`);
  assert.ok(Math.abs(s.mean) < (5 * std) / Math.sqrt(s.n), `${what}: mean ${s.mean}`);
}

function applyInit(c: InitFunctionCase, t: Tensor): Tensor {
  const { gain, ...kaiming } = c.options;
  switch (c.fn) {
    case 'kaimingUniform_':
      return init.kaimingUniform_(t, kaiming);
    case 'kaimingNormal_':
      return init.kaimingNormal_(t, kaiming);
    case 'xavierUniform_':
      return init.xavierUniform_(t, gain);
    case 'xavierNormal_':
      return init.xavierNormal_(t, gain);
  }
}

describe('nn.init matches torch.nn.init', () => {
  torch.manualSeed(0);
  const before = torch.memory().tensors;

  it('calculateGain', () => {
    for (const g of golden.gains) {
      closeTo(init.calculateGain(g.nonlinearity, g.param ?? undefined), g.gain, `${g.nonlinearity}(${g.param})`);
    }
  });

  it('fan in and fan out', () => {
    for (const f of golden.fans) {
      scope(() => assert.deepEqual(init.fans(torch.empty(f.shape)), [f.fanIn, f.fanOut], `[${f.shape}]`));
    }
  });

  it('fans need at least 2 dimensions', () => {
    scope(() => assert.throws(() => init.fans(torch.empty([5])), /at least 2 dimensions/));
  });

  for (const c of golden.functions) {
    const what = `${c.fn}([${c.shape}], ${JSON.stringify(c.options)})`;
    it(what, () =>
      scope(() => {
        const t = applyInit(c, torch.empty(c.shape));
        if (c.bound !== null) assertUniform(t, c.bound, what);
        else assertNormal(t, c.std, what);
        // and close to what torch.nn.init drew for the same shape (two samples: sqrt(2) x the error)
        const s = stats(t);
        const tol = 5 * Math.SQRT2 * (c.bound !== null ? Math.sqrt(0.2 / s.n) : 1 / Math.sqrt(2 * s.n));
        assert.ok(Math.abs(s.std / c.torchStd - 1) < tol, `${what}: std ${s.std}, torch drew ${c.torchStd}`);
      }),
    );
  }

  it('init functions work in place, without recording a gradient', () =>
    scope(() => {
      const w = torch.zeros([4, 3]).requiresGrad_();
      assert.equal(init.kaimingUniform_(w), w);
      assert.equal(init.zeros_(w), w);
      assert.ok(w.eq(0).all().item());
      init.constant_(w, 0.5);
      assert.ok(w.eq(0.5).all().item());
      init.ones_(w);
      assert.ok(w.isLeaf && w.gradFn === null && w.eq(1).all().item());
    }));

  for (const d of golden.defaults) {
    const what = `default initialisation of ${d.module.type}(${d.module.args})`;
    it(what, () => {
      const m = build(d.module) as Module;
      try {
        const params = m.namedParameters();
        assert.deepEqual(params.map(([n]) => n).sort(), Object.keys(d.params).sort(), 'parameter names');
        for (const [name, p] of params) {
          const e = d.params[name];
          assert.ok(e);
          if (e.dist === 'uniform') assertUniform(p, e.value, `${what}: ${name}`);
          else if (e.dist === 'normal') assertNormal(p, e.value, `${what}: ${name}`);
          else scope(() => assert.ok(p.eq(e.value).all().item(), `${what}: ${name} == ${e.value}`));
        }
      } finally {
        m.dispose();
      }
    });
  }

  it('Embedding zeroes the padding row at initialisation', () => {
    const e = new Embedding(20, 8, { paddingIdx: -3 });
    try {
      assert.equal(e.paddingIdx, 17);
      scope(() => {
        assert.ok(e.weight.select(0, 17).eq(0).all().item());
        assert.equal(e.weight.eq(0).sum().item(), 8, 'only that row');
      });
    } finally {
      e.dispose();
    }
  });

  it('frees every tensor', () => {
    assert.equal(torch.memory().tensors, before);
  });
});
