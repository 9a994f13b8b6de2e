// Replays the layer and loss cases of test/golden/nn.json (written by PyTorch,
// scripts/golden/make_nn_goldens.py): each tszoo module is built with the options of its torch twin,
// loads torch's state dict (strict), and must give the same outputs, input and parameter gradients and
// running statistics.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as torch from '../tensor/index.js';
import { noGrad, scope, type Tensor } from '../tensor/index.js';
import { Embedding, Module } from './index.js';
import { assertClose, build, decode, decodeDict, forward, type LayerCase, loadGolden } from './testing.js';

const cases = loadGolden().layers;

function runCase(c: LayerCase): void {
  const m = build(c.module);
  try {
    if (m instanceof Module) {
      assert.ok(c.stateDict, 'a module case has a state dict');
      m.loadStateDict(decodeDict(c.stateDict));
      m.train(c.train);
    }
    for (const w of c.warmup ?? []) scope(() => noGrad(() => forward(m, [decode(w)])));

    const inputs = c.inputs.map(decode);
    for (const i of Object.keys(c.inputGrads ?? {})) inputs[Number(i)]?.requiresGrad_();
    const outputs = forward(m, inputs);
    assert.equal(outputs.length, c.outputs.length, 'number of outputs');
    c.outputs.forEach((e, i) => {
      assertClose(outputs[i], e, `output ${i}`);
    });

    if (c.cotangents) {
      const terms = outputs.map((o, i) => torch.sum(torch.mul(o, decode(c.cotangents?.[i] as never))));
      terms.reduce((a, b) => torch.add(a, b)).backward();
      for (const [i, e] of Object.entries(c.inputGrads ?? {}))
        assertClose(inputs[Number(i)]?.grad, e, `grad of input ${i}`);
    }
    if (!(m instanceof Module)) return;
    const params = m.namedParameters();
    if (c.paramGrads) {
      assert.deepEqual(
        params.map(([n]) => n),
        Object.keys(c.paramGrads),
        'parameter names',
      );
      for (const [name, p] of params) assertClose(p.grad, c.paramGrads[name] as never, `grad of ${name}`);
    }
    const buffers = m.namedBuffers();
    const expected = c.buffersAfter ?? {};
    assert.deepEqual(
      buffers.map(([n]) => n),
      Object.keys(expected),
      'buffer names',
    );
    for (const [name, b] of buffers) assertClose(b, expected[name] as never, `buffer ${name} after the forward passes`);
    if (m instanceof Embedding && m.paddingIdx >= 0 && c.paramGrads) {
      const row = (m.weight.grad as Tensor).select(0, m.paddingIdx);
      assert.ok(row.eq(0).all().item(), 'the padding row gets no gradient');
    }
  } finally {
    if (m instanceof Module) m.dispose();
  }
}

describe('nn layers and losses match PyTorch golden values', () => {
  const before = torch.memory().tensors;

  it('has cases with unique names', () => {
    assert.ok(cases.length > 100, `only ${cases.length} cases`);
    assert.equal(new Set(cases.map((c) => c.name)).size, cases.length);
  });

  for (const c of cases) {
    it(c.note ? `${c.name} (${c.note})` : c.name, () => scope(() => runCase(c)));
  }

  it('frees every tensor the cases made', () => {
    assert.equal(torch.memory().tensors, before);
  });
});
