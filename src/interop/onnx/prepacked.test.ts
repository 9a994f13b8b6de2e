import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { torch } from '../../index.js';
import type { OnnxGraph } from './graph.js';
import { importOnnxSync } from './import.js';
import { init, type TinyModel, tinyModel, values } from './model.testutil.js';
import { maxAbsDiff } from './ort.testutil.js';
import { ExecutionPlans } from './plan.js';
import { prepackedConvAvailable } from './prepacked.js';
import { spyOnRunners } from './runner-spy.testutil.js';

/**
 * x [N, 4, 9, 9] -> Conv c1 (3x3, stride 2, pads 1, bias) -> BatchNormalization -> Relu r1
 * -> Conv c2 (depthwise, group 8, dilation 2, pads 2) -> Clip(0, 0.5) k -> Conv c3 (1x1)
 * -> c3 is read by Relu r3 and by Add(c3, r3) y: c3's Relu cannot be fused (two readers).
 */
function chain(): TinyModel {
  return {
    nodes: [
      {
        op: 'Conv',
        inputs: ['x', 'w1', 'b1'],
        name: 'c1',
        attrs: { strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] } },
      },
      { op: 'BatchNormalization', inputs: ['c1', 's', 'sh', 'm', 'v'], name: 'bn' },
      { op: 'Relu', inputs: ['bn'], name: 'r1' },
      {
        op: 'Conv',
        inputs: ['r1', 'w2'],
        name: 'c2',
        attrs: { group: { i: 8 }, dilations: { ints: [2, 2] }, pads: { ints: [2, 2, 2, 2] } },
      },
      { op: 'Clip', inputs: ['c2', 'lo', 'hi'], name: 'k' },
      { op: 'Conv', inputs: ['k', 'w3', 'b3'], name: 'c3' },
      { op: 'Relu', inputs: ['c3'], name: 'r3' },
      { op: 'Add', inputs: ['c3', 'r3'], name: 'y' },
    ],
    inputs: { x: ['N', 4, 9, 9] },
    outputs: ['y'],
    initializers: {
      w1: init([8, 4, 3, 3], 1),
      b1: init([8], 2),
      s: { dims: [8], floats: values(8, 3).map((v) => 1 + v / 2) },
      sh: init([8], 4),
      m: init([8], 5),
      v: { dims: [8], floats: values(8, 6).map((v) => 1.5 + v) },
      w2: init([8, 1, 3, 3], 7),
      w3: init([6, 8, 1, 1], 8),
      b3: init([6], 9),
      lo: { dims: [], floats: [0] },
      hi: { dims: [], floats: [0.5] },
    },
  };
}

/** Counts the convolutions the pre-packed runner took ('packed') or declined ('eager'). */
const spyOnPrepacked = (graph: OnnxGraph) => spyOnRunners(graph, 'prepacked', (_, took) => (took ? 'packed' : 'eager'));

/** The graph's output in the inference plan (eval, no gradients, dense) and in the standard plan (autograd on). */
function bothWays(graph: OnnxGraph, x: torch.Tensor): { fast: number[]; eager: number[] } {
  graph.eval();
  graph.blockedInference = false;
  graph.nativePlan = false;
  const fast = torch.noGrad(() => torch.scope(() => graph.forward(x).toArray())) as number[];
  const eager = torch.scope(() => graph.forward(x).toArray()) as number[];
  return { fast, eager };
}

describe('pre-packed convolutions (dense inference plan)', () => {
  it('are available in Debian LibTorch, and the plan fuses a Relu that is its convolution only reader', () => {
    assert.equal(prepackedConvAvailable(), true);
    const g = importOnnxSync(tinyModel(chain()));
    const plan = new ExecutionPlans(
      g.nodes,
      g.initializerEntries().map(([name]) => name),
      g.outputNames,
    ).get('inference');
    assert.deepEqual(
      plan.steps.map((s) => [s.node.label.name, s.outputs, s.relu, s.inPlace]),
      [
        ['c1', ['r1'], true, null],
        ['c2', ['c2'], false, null],
        ['k', ['k'], false, 'unary'],
        ['c3', ['c3'], false, null],
        ['r3', ['r3'], false, 'Relu'],
        ['y', ['y'], false, 'Add'],
      ],
    );
    g.dispose();
  });

  it('agree with the eager graph at several batch sizes (strides, groups, dilation, fused Relu, in-place Clip)', () => {
    const g = importOnnxSync(tinyModel(chain()));
    const counts = spyOnPrepacked(g);
    for (const n of [1, 3, 1, 2]) {
      const x = torch.keep(torch.randn([n, 4, 9, 9]));
      const { fast, eager } = bothWays(g, x);
      assert.equal(fast.length, n * 6 * 5 * 5);
      // float32 sums of at most 72 products of values below 4: a few ulps of the largest terms (one packed
      // context per node serves every batch size)
      assert.ok(maxAbsDiff(fast, eager) < 1e-5, `batch ${n}: ${maxAbsDiff(fast, eager)}`);
      assert.ok(eager.some((v) => v > 0.1) && eager.some((v) => v < -0.1), 'the output is not trivial');
      x.dispose();
    }
    assert.equal(counts.get('packed'), 12, 'three convolutions in each of four passes');
    assert.equal(counts.get('eager'), undefined);
    g.dispose();
  });

  it('follow weight changes (loadStateDict) and free their packed weights with the caches', () => {
    const g = importOnnxSync(tinyModel(chain()));
    const x = torch.keep(torch.randn([2, 4, 9, 9]));
    const before = bothWays(g, x);
    const state = g.stateDict();
    g.loadStateDict(torch.noGrad(() => ({ ...state, w3: torch.keep(state.w3!.mul(-2)) })));
    const after = bothWays(g, x);
    assert.ok(maxAbsDiff(after.fast, before.fast) > 1e-2, 'the change shows');
    assert.ok(maxAbsDiff(after.fast, after.eager) < 1e-5);
    g.dispose();
    x.dispose();
  });

  it('fall back to the eager convolution where they do not apply, still applying a fused Relu', () => {
    // a 1-d convolution followed by its Relu: the plan fuses the Relu, the packed kernel declines the call
    const g = importOnnxSync(
      tinyModel({
        nodes: [
          { op: 'Conv', inputs: ['x', 'w'], name: 'c', attrs: { pads: { ints: [1, 1] } } },
          { op: 'Relu', inputs: ['c'], name: 'r' },
        ],
        inputs: { x: ['N', 2, 7] },
        outputs: ['r'],
        initializers: { w: init([3, 2, 3], 11) },
      }),
    );
    const counts = spyOnPrepacked(g);
    const x = torch.keep(torch.randn([2, 2, 7]));
    const { fast, eager } = bothWays(g, x);
    assert.equal(counts.get('eager'), 1);
    assert.ok(Math.min(...fast) === 0 && maxAbsDiff(fast, eager) < 1e-6);
    // an empty batch goes the eager way too (oneDNN is not given empty tensors)
    const empty = torch.noGrad(() => torch.scope(() => g.forward(torch.zeros([0, 2, 7])).shape));
    assert.deepEqual(empty, [0, 3, 7]);
    g.dispose();
    x.dispose();
  });

  it('leave a zero stride to the eager convolution, which reports it (oneDNN would divide by it)', () => {
    const g = importOnnxSync(
      tinyModel({
        nodes: [{ op: 'Conv', inputs: ['x', 'w'], name: 'c', attrs: { strides: { ints: [0, 1] } } }],
        inputs: { x: ['N', 2, 5, 5] },
        outputs: ['c'],
        initializers: { w: init([3, 2, 1, 1], 12) },
      }),
    ).eval();
    g.blockedInference = false;
    assert.throws(
      () => torch.noGrad(() => torch.scope(() => g.forward(torch.randn([1, 2, 5, 5])))),
      (e: Error) => /'c'|\bc\b/.test(e.message) && /stride/.test(e.message),
    );
    g.dispose();
  });

  it('report a channel mismatch as the eager convolution does, naming the node', () => {
    const g = importOnnxSync(tinyModel(chain())).eval();
    g.blockedInference = false;
    assert.throws(
      () => torch.noGrad(() => torch.scope(() => g.forward(torch.randn([1, 5, 9, 9])))),
      (e: Error) => /c1/.test(e.message) && /channels/.test(e.message),
    );
    g.dispose();
  });
});
