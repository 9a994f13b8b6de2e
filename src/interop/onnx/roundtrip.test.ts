import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { torch } from '../../index.js';
import {
  densenet121,
  densenet169,
  inceptionV3,
  mobilenetV2,
  resnet18,
  resnet34,
  resnet50,
  resnet101,
  resnet152,
} from '../../models/index.js';
import { functional, GlobalAvgPool2d, Linear, type Module, Sequential } from '../../nn/index.js';
import { Adam } from '../../optim/index.js';
import { exportOnnxBytes } from './export.js';
import { importOnnxSync } from './import.js';
import { closeEnough, runOrt } from './ort.testutil.js';

/** Non-trivial batch-norm statistics, so that eval mode is really exercised. */
function randomizeStats(model: Module): void {
  torch.noGrad(() => {
    for (const [name, b] of model.namedBuffers()) {
      if (name.endsWith('running_mean')) b.normal_(0, 0.1);
      if (name.endsWith('running_var')) b.uniform_(0.5, 1.5);
    }
  });
}

describe('tszoo model zoo -> ONNX -> onnxruntime and back', () => {
  // [name, model, image size, batch sizes run through the one file]
  const cases: [string, () => Module, number, number[]][] = [
    ['resnet18', () => resnet18({ numClasses: 7 }), 64, [2, 3]],
    ['resnet34', () => resnet34({ numClasses: 7 }), 32, [1]],
    ['resnet50', () => resnet50({ numClasses: 7 }), 64, [2, 3]],
    ['resnet101', () => resnet101({ numClasses: 7 }), 32, [1]],
    ['resnet152', () => resnet152({ numClasses: 7 }), 32, [1]],
    ['densenet121', () => densenet121({ numClasses: 7 }), 64, [2, 3]],
    ['densenet169', () => densenet169({ numClasses: 7 }), 32, [1]],
    ['mobilenetV2', () => mobilenetV2({ numClasses: 7 }), 64, [2, 3]],
    ['inceptionV3', () => inceptionV3({ numClasses: 7 }), 80, [2, 3]],
  ];
  for (const [name, build, size, batches] of cases) {
    it(`${name}: onnxruntime and the re-imported graph give tszoo's outputs (1e-4), with a dynamic batch`, async () => {
      torch.manualSeed(11);
      const model = build().eval();
      randomizeStats(model);
      const bytes = exportOnnxBytes(model, { inputShape: [3, size, size] });
      // Two batch sizes through one file: the batch dimension is symbolic.
      for (const batch of batches) {
        await torch.scope(async () => {
          const x = torch.randn([batch, 3, size, size]);
          const ours = torch.noGrad(() => model.forward(x)).toArray();
          const ort = (await runOrt(bytes, { input: x })).output;
          assert.ok(ort);
          assert.deepEqual(ort.shape, [batch, 7]);
          const viaOrt = closeEnough(ort.data, ours);
          assert.ok(viaOrt.ok, `onnxruntime: ${viaOrt.message}`);
          const graph = importOnnxSync(bytes).eval();
          const again = torch.noGrad(() => graph.forward(x)).toArray();
          const viaImport = closeEnough(again, ours);
          assert.ok(viaImport.ok, `re-imported: ${viaImport.message}`);
          graph.dispose();
        });
      }
      // Same state dict keys as the model (ONNX has no num_batches_tracked; AuxLogits is training-only).
      const graph = importOnnxSync(bytes);
      const expected = Object.keys(model.stateDict()).filter(
        (k) => !k.endsWith('num_batches_tracked') && !k.startsWith('AuxLogits'),
      );
      assert.deepEqual(Object.keys(graph.stateDict()).sort(), expected.sort());
      graph.dispose();
      model.dispose();
    });
  }
});

describe('a re-imported graph fine-tunes', () => {
  it('after cut + new head + freezeUpTo: the loss falls and frozen parameters stay bit for bit', () => {
    torch.manualSeed(5);
    const source = resnet18({ numClasses: 10 }).eval();
    const graph = importOnnxSync(exportOnnxBytes(source, { inputShape: [3, 32, 32] }));
    source.dispose();
    const backbone = graph.cut('layer4');
    assert.equal(backbone.outputNames.length, 1);
    assert.ok(!backbone.nodes.some((n) => n.label.name === 'fc'), 'the classifier is cut off');
    backbone.freezeUpTo('layer3');
    const model = new Sequential(backbone, new GlobalAvgPool2d(), new Linear(512, 3)).train();
    const frozen = backbone.namedParameters().filter(([, p]) => !p.requiresGrad);
    const trainable = backbone.namedParameters().filter(([, p]) => p.requiresGrad);
    assert.ok(frozen.some(([n]) => n === 'conv1.weight') && frozen.some(([n]) => n.startsWith('layer3.')));
    assert.ok(trainable.length > 0 && trainable.every(([n]) => n.startsWith('layer4.')));
    const before = new Map(frozen.map(([n, p]) => [n, Buffer.from(p.data().buffer)]));
    const layer4Before = (trainable[0] as [string, torch.Tensor])[1].toArray();

    const x = torch.keep(torch.randn([8, 3, 32, 32]));
    const y = torch.keep(torch.randint(0, 3, [8]));
    const optimizer = new Adam(
      model.parameters().filter((p) => p.requiresGrad),
      { lr: 1e-3 },
    );
    const losses: number[] = [];
    for (let step = 0; step < 8; step++) {
      losses.push(
        torch.scope(() => {
          optimizer.zeroGrad();
          const loss = functional.crossEntropy(model.forward(x), y);
          loss.backward();
          optimizer.step();
          return loss.item() as number;
        }),
      );
    }
    assert.ok(
      (losses.at(-1) as number) < (losses[0] as number) * 0.7,
      `losses ${losses.map((l) => l.toFixed(3)).join(', ')}`,
    );
    for (const [n, p] of frozen)
      assert.ok(Buffer.from(p.data().buffer).equals(before.get(n) as Buffer), `${n} changed`);
    assert.notDeepEqual((trainable[0] as [string, torch.Tensor])[1].toArray(), layer4Before);
    model.dispose();
    graph.dispose();
    x.dispose();
    y.dispose();
  });
});
