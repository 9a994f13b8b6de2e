import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { torch } from '../../index.js';
import { densenet121, mobilenetV2, resnet18 } from '../../models/index.js';
import type { Module } from '../../nn/index.js';
import { blockedLayoutAvailable } from './blocked.js';
import { exportOnnxBytes } from './export.js';
import type { OnnxGraph } from './graph.js';
import { importOnnxSync } from './import.js';
import { tinyModel } from './model.testutil.js';
import { closeEnough } from './ort.testutil.js';
import { spyOnRunners } from './runner-spy.testutil.js';

/** Counts, per op type, the calls whose blocked runner took the node ('blocked') or declined it ('dense'). */
const spyOnBlocked = (graph: OnnxGraph) =>
  spyOnRunners(graph, 'blocked', (node, took) => `${node.label.opType} ${took ? 'blocked' : 'dense'}`);

const infer = (graph: OnnxGraph, x: torch.Tensor, blocked: boolean) =>
  torch.noGrad(() => {
    graph.blockedInference = blocked;
    graph.nativePlan = false;
    return torch.scope(() => graph.forward(x).toArray());
  });

describe("inference on oneDNN's blocked layout", () => {
  it('is available in Debian LibTorch', () => {
    assert.equal(blockedLayoutAvailable(), true);
  });

  const cases: [string, () => Module, number][] = [
    ['resnet18', () => resnet18({ numClasses: 5 }), 64],
    ['mobilenetV2 (Clip runs dense between blocked convolutions)', () => mobilenetV2({ numClasses: 5 }), 64],
    ['densenet121 (Concat runs dense)', () => densenet121({ numClasses: 5 }), 32],
  ];
  for (const [name, build, size] of cases) {
    it(`${name}: gives the dense path's outputs and frees what it makes`, () => {
      torch.manualSeed(3);
      const model = build().eval();
      const graph = importOnnxSync(exportOnnxBytes(model, { inputShape: [3, size, size] })).eval();
      model.dispose();
      const counts = spyOnBlocked(graph);
      const x = torch.keep(torch.randn([2, 3, size, size]));
      const dense = infer(graph, x, false);
      assert.equal(counts.size, 0, 'the dense path never asks the blocked runners');
      const blocked = infer(graph, x, true);
      const near = closeEnough(blocked, dense);
      assert.ok(near.ok, near.message);
      assert.ok((counts.get('Conv blocked') ?? 0) > 10, `convolutions ran blocked: ${[...counts]}`);
      assert.equal(counts.get('Conv dense'), undefined);
      // steady state: a second pass makes nothing that outlives it (weights are cached from the first)
      const before = torch.memory().tensors;
      infer(graph, x, true);
      assert.equal(torch.memory().tensors, before);
      graph.dispose();
      x.dispose();
    });
  }

  it("'auto' takes it for ResNets only: DenseNet's Concat and MobileNetV2's Clip would convert back and forth", () => {
    const uses = (build: () => Module, size: number) => {
      torch.manualSeed(8);
      const model = build().eval();
      const graph = importOnnxSync(exportOnnxBytes(model, { inputShape: [3, size, size] })).eval();
      model.dispose();
      assert.equal(graph.blockedInference, 'auto');
      const counts = spyOnBlocked(graph);
      torch.noGrad(() => torch.scope(() => graph.forward(torch.randn([1, 3, size, size]))));
      // a cut at layer4 ends on blocked activations: one conversion at the end, still worth it
      const cut = (graph.nodes.some((n) => n.label.name.startsWith('layer4')) ? graph.cut('layer4') : null)?.eval();
      const cutCounts = cut ? spyOnBlocked(cut) : new Map();
      if (cut) torch.noGrad(() => torch.scope(() => cut.forward(torch.randn([1, 3, size, size]))));
      graph.dispose();
      return [(counts.get('Conv blocked') ?? 0) > 0, (cutCounts.get('Conv blocked') ?? 0) > 0];
    };
    assert.deepEqual(
      uses(() => resnet18({ numClasses: 3 }), 32),
      [true, true],
    );
    assert.deepEqual(
      uses(() => densenet121({ numClasses: 3 }), 32),
      [false, false],
    );
    assert.deepEqual(
      uses(() => mobilenetV2({ numClasses: 3 }), 32),
      [false, false],
    );
  });

  it('runs an empty batch on the dense path (oneDNN would divide by zero)', () => {
    torch.manualSeed(6);
    const model = resnet18({ numClasses: 3 }).eval();
    const graph = importOnnxSync(exportOnnxBytes(model, { inputShape: [3, 32, 32] })).eval();
    model.dispose();
    const counts = spyOnBlocked(graph);
    const shape = torch.noGrad(() => torch.scope(() => graph.forward(torch.zeros([0, 3, 32, 32])).shape));
    assert.deepEqual(shape, [0, 3]);
    assert.equal(counts.get('Conv blocked'), undefined);
    graph.dispose();
  });

  it('re-reads a weight changed in place (optimizer step, loadStateDict)', () => {
    torch.manualSeed(4);
    const model = resnet18({ numClasses: 3 }).eval();
    const graph = importOnnxSync(exportOnnxBytes(model, { inputShape: [3, 32, 32] })).eval();
    model.dispose();
    const x = torch.keep(torch.randn([1, 3, 32, 32]));
    const first = infer(graph, x, true);
    const [, conv1] = graph.namedParameters().find(([n]) => n === 'conv1.weight') as [string, torch.Tensor];
    torch.noGrad(() => torch.scope(() => conv1.mul_(-1.5)));
    const blocked = infer(graph, x, true);
    const dense = infer(graph, x, false);
    assert.ok(closeEnough(blocked, dense).ok, closeEnough(blocked, dense).message);
    assert.ok(!closeEnough(blocked, first).ok, 'the output changed with the weight');
    graph.dispose();
    x.dispose();
  });

  it('runs under inferenceMode from the first pass (its caches then hold inference tensors, without version counters)', () => {
    torch.manualSeed(5);
    const model = resnet18({ numClasses: 3 }).eval();
    const graph = importOnnxSync(exportOnnxBytes(model, { inputShape: [3, 32, 32] })).eval();
    model.dispose();
    const x = torch.keep(torch.randn([1, 3, 32, 32]));
    const inInferenceMode = () =>
      torch.inferenceMode(() => {
        graph.blockedInference = true;
        graph.nativePlan = false;
        return torch.scope(() => graph.forward(x).toArray());
      });
    const first = inInferenceMode();
    assert.deepEqual(infer(graph, x, true), first, 'a no-grad pass on the same caches gives the same outputs');
    // a weight changed in place is still noticed: its fold and reordered copy are made again
    const [, conv1] = graph.namedParameters().find(([n]) => n === 'conv1.weight') as [string, torch.Tensor];
    torch.noGrad(() => torch.scope(() => conv1.mul_(-1.5)));
    const changed = inInferenceMode();
    const dense = infer(graph, x, false);
    assert.ok(closeEnough(changed, dense).ok, closeEnough(changed, dense).message);
    assert.ok(!closeEnough(changed, first).ok, 'the output changed with the weight');
    graph.dispose();
    x.dispose();
  });

  it('leaves to the dense path what oneDNN cannot take: asymmetric padding, broadcasting, float64', () => {
    torch.manualSeed(5);
    const w = Array.from({ length: 4 * 2 * 3 * 3 }, () => Math.random() - 0.5);
    const bytes = tinyModel({
      nodes: [
        // SAME_UPPER with stride 2 on an even size pads one more at the end
        {
          op: 'Conv',
          inputs: ['x', 'w'],
          name: 'same',
          attrs: { auto_pad: { s: 'SAME_UPPER' }, strides: { ints: [2, 2] } },
        },
        {
          op: 'Conv',
          inputs: ['x', 'w'],
          name: 'plain',
          attrs: { pads: { ints: [1, 1, 1, 1] }, strides: { ints: [2, 2] } },
        },
        { op: 'Add', inputs: ['same', 'plain'], name: 'sum' },
        { op: 'Mul', inputs: ['sum', 'scale'], name: 'scaled' }, // [1, 4, 1, 1] broadcasts
        { op: 'Relu', inputs: ['scaled'], name: 'y' },
      ],
      inputs: { x: ['N', 2, 8, 8] },
      outputs: ['y'],
      initializers: { w: { dims: [4, 2, 3, 3], floats: w }, scale: { dims: [1, 4, 1, 1], floats: [1, -2, 3, 0.5] } },
    });
    const graph = importOnnxSync(bytes).eval();
    const counts = spyOnBlocked(graph);
    const x = torch.keep(torch.randn([2, 2, 8, 8]));
    const dense = infer(graph, x, false);
    const blocked = infer(graph, x, true);
    assert.ok(closeEnough(blocked, dense).ok, closeEnough(blocked, dense).message);
    assert.deepEqual(
      [...counts].sort(),
      [
        ['Add blocked', 1], // 'plain' went blocked, 'same' is converted to it
        ['Conv blocked', 1],
        ['Conv dense', 1],
        ['Mul dense', 1],
      ].sort(),
    );
    const x64 = torch.keep(torch.randn([2, 2, 8, 8], { dtype: 'float64' }));
    graph.to('float64');
    counts.clear();
    const out64 = torch.noGrad(() => torch.scope(() => graph.forward(x64).dtype));
    assert.equal(out64, 'float64');
    assert.equal(counts.get('Conv blocked'), undefined);
    graph.dispose();
    x.dispose();
    x64.dispose();
  });
});
