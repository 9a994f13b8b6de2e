import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { torch } from '../../index.js';
import { resnet18 } from '../../models/index.js';
import { GlobalAvgPool2d, Linear, ReLU, ReLU6, Sequential, Sigmoid } from '../../nn/index.js';
import { loadSafetensors, saveSafetensors } from '../safetensors.js';
import { exportOnnx, exportOnnxBytes } from './export.js';
import { importOnnx, importOnnxSync } from './import.js';
import { tinyModel } from './model.testutil.js';
import { maxAbsDiff, runOrt } from './ort.testutil.js';

const dir = mkdtempSync(join(tmpdir(), 'tszoo-onnx-surgery-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function smallResnet() {
  torch.manualSeed(21);
  const model = resnet18({ numClasses: 5 }).eval();
  return { model, graph: importOnnxSync(exportOnnxBytes(model, { inputShape: [3, 32, 32] })) };
}

describe('graph surgery on an imported ONNX graph', () => {
  it('summary lists every node with its output shape for an input shape, and leaves the mode alone', () => {
    const { model, graph } = smallResnet();
    graph.train();
    const rows = graph.summary([2, 3, 32, 32]);
    assert.equal(rows.length, graph.nodes.length);
    const byName = new Map(rows.map((r) => [r.name, r]));
    assert.deepEqual(byName.get('conv1')?.shapes, [[2, 64, 16, 16]]);
    assert.deepEqual(byName.get('layer4.1.relu_2')?.shapes, [[2, 512, 1, 1]]);
    assert.deepEqual(byName.get('flatten')?.shapes, [[2, 512]]);
    assert.equal(byName.get('conv1')?.parameters, 64 * 3 * 7 * 7);
    assert.equal(byName.get('fc')?.opType, 'Gemm');
    assert.equal(graph.training, true);
    // Without shapes: the declared ones (['batch', 3, 32, 32]), the symbolic batch set to 1.
    assert.deepEqual(graph.summary().find((r) => r.name === 'conv1')?.shapes, [[1, 64, 16, 16]]);
    assert.throws(() => graph.summary([1, 3, 8, 8], [1]), /summary needs 1 input shapes, got 2/);
    model.dispose();
    graph.dispose();
  });

  it('cut keeps the sub-graph up to a node, value or module path, sharing weights', () => {
    const { model, graph } = smallResnet();
    const x = torch.randn([2, 3, 32, 32]);
    for (const name of ['layer3', 'layer3.1.relu_2']) {
      const part = graph.cut(name).eval();
      assert.deepEqual(part.outputNames, ['layer3.1.relu_2']);
      assert.ok(!part.nodes.some((n) => n.label.name.startsWith('layer4')));
      assert.ok(!Object.keys(part.stateDict()).some((k) => k.startsWith('layer4') || k.startsWith('fc')));
      assert.equal(
        part.getSubmodule('conv1').namedParameters()[0]?.[1],
        graph.getSubmodule('conv1').namedParameters()[0]?.[1],
      );
      // The cut graph computes the tszoo model's layer3 output.
      const want = torch.noGrad(() =>
        torch.scope(() => {
          let h = model.maxpool.forward(model.relu.forward(model.bn1.forward(model.conv1.forward(x))));
          for (const l of [model.layer1, model.layer2, model.layer3]) h = l.forward(h);
          return h;
        }),
      );
      const got = torch.noGrad(() => part.forward(x));
      assert.deepEqual(got.shape, [2, 256, 2, 2]);
      assert.ok(maxAbsDiff(got.toArray(), want.toArray()) < 1e-5);
    }
    const two = graph.cut(['layer2', 'fc']);
    assert.deepEqual(Object.keys(two.run([x])), ['layer2.1.relu_2', 'output']);
    assert.throws(() => graph.cut('pool5'), /no node or value named 'pool5'.*see summary\(\)/);
    model.dispose();
    graph.dispose();
  });

  it('freezeUpTo freezes a node and everything before it; module paths still work', () => {
    const { model, graph } = smallResnet();
    graph.freezeUpTo('layer1.1.relu_2');
    const frozen = graph
      .namedParameters()
      .filter(([, p]) => !p.requiresGrad)
      .map(([n]) => n);
    assert.ok(
      frozen.includes('conv1.weight') && frozen.includes('bn1.bias') && frozen.includes('layer1.1.conv2.weight'),
    );
    assert.ok(!frozen.some((n) => n.startsWith('layer2') || n.startsWith('fc')));
    graph.unfreeze().freezeUpTo('layer2.0.bn1.weight'); // a parameter name: Module.freezeUpTo's order
    assert.ok(!graph.getSubmodule('layer2.0.bn1').namedParameters()[0]?.[1].requiresGrad);
    model.dispose();
    graph.dispose();
  });

  it('trains in training mode: gradients reach the initializers and batch-norm statistics update', () => {
    const { model, graph } = smallResnet();
    graph.train();
    const mean = graph
      .getSubmodule('bn1')
      .namedBuffers()
      .find(([n]) => n === 'running_mean')?.[1] as torch.Tensor;
    const before = mean.toArray();
    torch.scope(() => {
      const loss = graph
        .forward(torch.randn([4, 3, 32, 32]))
        .pow(2)
        .mean();
      loss.backward();
    });
    const grad = graph.getSubmodule('conv1').namedParameters()[0]?.[1].grad;
    assert.ok(grad && grad.abs().sum().item() > 0);
    assert.notDeepEqual(mean.toArray(), before);
    model.dispose();
    graph.dispose();
  });

  it('eval without gradients (folded batch norms, in-place ops) equals eval with gradients', () => {
    const { model, graph } = smallResnet();
    graph.eval();
    const x = torch.randn([2, 3, 32, 32]);
    const fast = torch.noGrad(() => graph.forward(x)).toArray();
    const slow = graph.forward(x).toArray();
    assert.ok(maxAbsDiff(fast, slow) < 1e-5, `max abs diff ${maxAbsDiff(fast, slow)}`);
    assert.ok(maxAbsDiff(fast, torch.noGrad(() => model.forward(x)).toArray()) < 1e-5);
    // The folded weights are cached: in-place changes to a weight or a statistic must refresh them.
    torch.noGrad(() => {
      graph.getSubmodule('layer1.0.conv1').namedParameters()[0]?.[1].mul_(2);
      graph
        .getSubmodule('layer2.0.bn2')
        .namedBuffers()
        .find(([n]) => n === 'running_var')?.[1]
        .add_(0.5);
    });
    const fastAfter = torch.noGrad(() => graph.forward(x)).toArray();
    const slowAfter = graph.forward(x).toArray();
    assert.ok(maxAbsDiff(fastAfter, fast) > 1e-3, 'the change shows');
    assert.ok(maxAbsDiff(fastAfter, slowAfter) < 1e-5, `after the change: ${maxAbsDiff(fastAfter, slowAfter)}`);
    model.dispose();
    graph.dispose();
  });

  it('state dict round-trips through safetensors, with the tszoo model names', () => {
    const { model, graph } = smallResnet();
    const path = join(dir, 'graph.safetensors');
    saveSafetensors(path, graph.stateDict());
    const fresh = importOnnxSync(exportOnnxBytes(resnet18({ numClasses: 5 }), { inputShape: [3, 32, 32] })).eval();
    fresh.loadStateDict(loadSafetensors(path).tensors);
    const x = torch.randn([1, 3, 32, 32]);
    assert.ok(
      maxAbsDiff(torch.noGrad(() => fresh.forward(x)).toArray(), torch.noGrad(() => model.forward(x)).toArray()) < 1e-5,
    );
    // torchvision-style state dicts load too (num_batches_tracked is not in ONNX: not strict).
    const result = fresh.loadStateDict(model.stateDict(), { strict: false });
    assert.ok(result.unexpectedKeys.every((k) => k.endsWith('num_batches_tracked')));
    assert.deepEqual(result.missingKeys, []);
    model.dispose();
    graph.dispose();
    fresh.dispose();
  });

  it('an imported backbone composed with new layers exports, runs in onnxruntime, and re-imports', async () => {
    const { model, graph } = smallResnet();
    const composed = new Sequential(
      graph.cut('layer4'),
      new GlobalAvgPool2d(),
      new Linear(512, 16),
      new ReLU(),
      new Linear(16, 3),
    ).eval();
    const path = join(dir, 'composed.onnx');
    await exportOnnx(composed, path, { inputShape: [3, 32, 32] });
    const x = torch.randn([2, 3, 32, 32]);
    const ours = torch.noGrad(() => composed.forward(x)).toArray();
    const { output } = await runOrt((await import('node:fs')).readFileSync(path), { input: x });
    assert.ok(output && maxAbsDiff(output.data, ours) < 1e-4);
    const again = (await importOnnx(path)).eval();
    assert.ok(maxAbsDiff(torch.noGrad(() => again.forward(x)).toArray(), ours) < 1e-5);
    assert.ok(Object.keys(again.stateDict()).includes('0.layer4.1.conv2.weight'));
    assert.ok(Object.keys(again.stateDict()).includes('2.weight'));
    model.dispose();
    composed.dispose();
    again.dispose();
  });

  it('a float64 model exports with float64 inputs and outputs', async () => {
    torch.manualSeed(8);
    // (onnxruntime's CPU kernels have no float64 Conv: a fully connected model)
    const model = new Sequential(new Linear(5, 4), new ReLU6(), new Linear(4, 2), new Sigmoid()).to('float64').eval();
    const x = torch.randn([3, 5], { dtype: 'float64' }).mul(3);
    const { output } = await runOrt(exportOnnxBytes(model, { inputShape: [5] }), { input: x });
    assert.ok(output && maxAbsDiff(output.data, torch.noGrad(() => model.forward(x)).toArray()) < 1e-12);
    model.dispose();
  });

  it("PyTorch's shared initializers (Identity) are untied unless asked to keep them", () => {
    const bytes = tinyModel({
      nodes: [
        { op: 'Identity', inputs: ['b'], outputs: ['b1'] },
        { op: 'Identity', inputs: ['b'], outputs: ['b2'] },
        { op: 'Conv', inputs: ['x', 'w', 'b1'], outputs: ['h'] },
        { op: 'Conv', inputs: ['h', 'w2', 'b2'], outputs: ['y'] },
      ],
      inputs: { x: [1, 2, 3, 3] },
      outputs: ['y'],
      initializers: {
        b: { dims: [2], floats: [0, 0] },
        w: { dims: [2, 2, 1, 1], floats: [1, 0, 0, 1] },
        w2: { dims: [2, 2, 1, 1], floats: [1, 1, 1, 1] },
      },
    });
    const untied = importOnnxSync(bytes);
    assert.deepEqual(Object.keys(untied.stateDict()).sort(), ['b1', 'b2', 'w', 'w2']);
    assert.equal(untied.parameters().length, 4);
    const tied = importOnnxSync(bytes, { untieIdentityInitializers: false });
    assert.deepEqual(Object.keys(tied.stateDict()).sort(), ['b', 'w', 'w2']);
    untied.dispose();
    tied.dispose();
  });
});
