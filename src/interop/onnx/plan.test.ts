import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { torch } from '../../index.js';
import { blockedLayoutAvailable } from './blocked.js';
import type { OnnxGraph } from './graph.js';
import { importOnnxSync } from './import.js';
import { tinyModel } from './model.testutil.js';
import { maxAbsDiff } from './ort.testutil.js';
import { ExecutionPlans } from './plan.js';
import { prepackedConvAvailable } from './prepacked.js';

/** x -> Conv 'c' -> BatchNormalization 'bn' -> Relu 'r' -> Add(r, x) 'y' */
function convBnReluAdd(): OnnxGraph {
  const c = 2;
  return importOnnxSync(
    tinyModel({
      nodes: [
        { op: 'Conv', inputs: ['x', 'w'], name: 'c' },
        { op: 'BatchNormalization', inputs: ['c', 's', 'b', 'm', 'v'], name: 'bn' },
        { op: 'Relu', inputs: ['bn'], name: 'r' },
        { op: 'Add', inputs: ['r', 'x'], name: 'y' },
      ],
      inputs: { x: ['N', c, 4, 4] },
      outputs: ['y'],
      initializers: {
        w: { dims: [c, c, 1, 1], floats: [0.5, -1, 2, 0.25] },
        s: { dims: [c], floats: [1.5, 0.5] },
        b: { dims: [c], floats: [0.1, -0.2] },
        m: { dims: [c], floats: [0.3, -0.1] },
        v: { dims: [c], floats: [2, 0.5] },
      },
    }),
  );
}

const plansOf = (g: OnnxGraph) =>
  new ExecutionPlans(
    g.nodes,
    g.initializerEntries().map(([name]) => name),
    g.outputNames,
  );

describe('execution plans', () => {
  it('pick the mode from training, grad mode and blockedInference', () => {
    const g = convBnReluAdd();
    const plans = plansOf(g);
    const mode = (training: boolean, gradEnabled: boolean, blockedInference: boolean | 'auto') =>
      plans.modeFor({ training, gradEnabled, blockedInference });
    assert.equal(mode(true, true, true), 'standard');
    assert.equal(mode(true, false, true), 'standard');
    assert.equal(mode(false, true, true), 'standard');
    assert.equal(mode(false, false, false), 'inference');
    assert.equal(mode(false, false, true), blockedLayoutAvailable() ? 'blocked-inference' : 'inference');
    assert.equal(plans.blockedPays, true, 'the activations stay blocked to the end');
    assert.equal(mode(false, false, 'auto'), mode(false, false, true));
    g.dispose();
  });

  it('are built once per mode and say what each node does', () => {
    const g = convBnReluAdd();
    const plans = plansOf(g);
    const inference = plans.get('inference');
    assert.equal(plans.get('inference'), inference, 'cached');
    // the batch norm runs with its convolution, whose outputs take the batch norm's name; with pre-packed
    // convolutions the Relu runs with it too (its outputs are then the Relu's)
    const packed = prepackedConvAvailable();
    assert.equal(inference.prepacked, packed);
    assert.deepEqual(
      inference.steps.map((s) => [s.node.label.name, s.outputs, s.inPlace, s.fold?.params ?? null, s.relu]),
      packed
        ? [
            ['c', ['r'], null, ['s', 'b', 'm', 'v'], true],
            ['y', ['y'], 'Add', null, false],
          ]
        : [
            ['c', ['bn'], null, ['s', 'b', 'm', 'v'], false],
            ['r', ['r'], 'Relu', null, false],
            ['y', ['y'], 'Add', null, false],
          ],
    );
    assert.deepEqual(
      inference.steps.map((s) => s.release),
      packed ? [['w'], ['r', 'x']] : [['w'], ['bn'], ['r', 'x']],
      'released after their last reader; the output never',
    );
    assert.ok(
      plans.get('blocked-inference').steps.every((s) => !s.relu),
      'the blocked plan keeps its Relu steps',
    );
    const standard = plans.get('standard');
    assert.deepEqual(
      standard.steps.map((s) => [s.node.label.name, s.inPlace, s.fold, s.fresh]),
      [
        ['c', null, null, false],
        ['bn', null, null, false],
        ['r', null, null, false],
        ['y', null, null, false],
      ],
    );
    assert.ok(
      plans.get('trace').steps.every((s) => s.release.length === 0),
      'a trace keeps every value',
    );
    g.dispose();
  });

  it('every mode gives the same outputs, in any order of modes, before and after loadStateDict', () => {
    const g = convBnReluAdd();
    const x = torch.keep(torch.randn([2, 2, 4, 4]));
    const passes = () => {
      g.eval();
      const fast = torch.noGrad(() => torch.scope(() => g.forward(x).toArray()));
      g.blockedInference = false;
      const dense = torch.noGrad(() => torch.scope(() => g.forward(x).toArray()));
      g.blockedInference = 'auto';
      const withGrad = torch.scope(() => g.forward(x).toArray());
      return [fast, dense, withGrad];
    };
    const [fast, dense, withGrad] = passes() as [number[], number[], number[]];
    assert.ok(maxAbsDiff(fast, withGrad) < 1e-5 && maxAbsDiff(dense, withGrad) < 1e-5);
    // new statistics and weights: the plans stay, the folded and reordered weights follow
    const state = g.stateDict();
    g.loadStateDict(
      torch.noGrad(() => ({ ...state, m: torch.keep(torch.tensor([1, 1])), w: torch.keep(state.w!.mul(-1)) })),
    );
    const after = passes() as [number[], number[], number[]];
    assert.ok(maxAbsDiff(after[0], withGrad) > 1e-2, 'the change shows');
    assert.ok(maxAbsDiff(after[0], after[2]) < 1e-5 && maxAbsDiff(after[1], after[2]) < 1e-5);
    g.dispose();
    x.dispose();
  });

  it('a cut graph plans for its own outputs: a value that became an output is never overwritten', () => {
    const g = convBnReluAdd().eval();
    const x = torch.keep(torch.abs(torch.randn([1, 2, 4, 4])));
    torch.noGrad(() => torch.scope(() => g.forward(x))); // g's plan lets Add write into 'r'
    const cut = g.cut(['r', 'y']).eval();
    const { r, y } = torch.noGrad(() =>
      torch.scope(() => {
        const out = cut.run([x]);
        return { r: out.r!.toArray(), y: out.y!.toArray() };
      }),
    );
    const want = torch.scope(() => cut.run([x]));
    assert.ok(maxAbsDiff(r, want.r!.toArray()) < 1e-6, "'r' kept its value");
    assert.ok(maxAbsDiff(y, want.y!.toArray()) < 1e-6);
    cut.dispose();
    x.dispose();
  });
});
