import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { python } from '../../data/image/oracle.testutil.js';
import { torch } from '../../index.js';
import { BCEWithLogitsLoss, Dropout, GlobalAvgPool2d, Linear, Sequential } from '../../nn/index.js';
import { Adam } from '../../optim/index.js';
import { exportOnnxBytes } from './export.js';
import { importOnnx } from './import.js';
import { closeEnough, maxAbsDiff, runOrt } from './ort.testutil.js';

const dir = mkdtempSync(join(tmpdir(), 'tszoo-onnx-torch-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** torchvision `arch` with random weights and batch-norm statistics, exported by torch.onnx at `opset`. */
const EXPORT = `
import sys, torch, torchvision
arch, out, size, opset = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
torch.manual_seed(0)
kw = {'num_classes': 10}
if arch == 'inception_v3': kw.update(aux_logits=False, init_weights=True)
m = getattr(torchvision.models, arch)(**kw).eval()
with torch.no_grad():
    for name, b in m.named_buffers():
        if name.endswith('running_mean'): b.normal_(0, 0.1)
        if name.endswith('running_var'): b.uniform_(0.5, 1.5)
x = torch.randn(2, 3, size, size)
with torch.no_grad(): y = m(x)
torch.onnx.export(m, x, out + '.onnx', input_names=['input'], output_names=['logits'],
                  dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}}, opset_version=opset)
x.numpy().tofile(out + '.input.bin')
y.numpy().tofile(out + '.output.bin')
`;

function floats(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

describe('ONNX files written by PyTorch (torch.onnx.export of torchvision models)', () => {
  // Different opsets per model, so the opset-dependent converters (Clip, Pad, Softmax, ...) are covered.
  const cases: [string, number, number][] = [
    ['resnet18', 64, 11],
    ['densenet121', 64, 13],
    ['mobilenet_v2', 64, 9],
    ['inception_v3', 80, 17],
    ['mobilenet_v3_large', 64, 13],
  ];
  for (const [arch, size, opset] of cases) {
    it(`${arch} (opset ${opset}) imports and matches PyTorch's outputs (1e-4)`, async () => {
      const base = join(dir, arch);
      python(EXPORT, arch, base, String(size), String(opset));
      const graph = (await importOnnx(`${base}.onnx`)).eval();
      assert.equal(graph.opset, opset);
      assert.deepEqual(graph.inputNames, ['input']);
      assert.deepEqual(graph.outputNames, ['logits']);
      torch.scope(() => {
        const x = torch.tensor(floats(`${base}.input.bin`), { shape: [2, 3, size, size] });
        const ours = torch.noGrad(() => graph.forward(x)).toArray();
        const check = closeEnough(ours, floats(`${base}.output.bin`));
        assert.ok(check.ok, check.message);
        // the whole graph ran as one native oneDNN plan, and the node-by-node path agrees with it
        assert.equal(graph.nativePlanReason(x.shape), null);
        graph.nativePlan = false;
        const nodeByNode = torch.noGrad(() => graph.forward(x)).toArray();
        const same = closeEnough(nodeByNode, ours);
        assert.ok(same.ok, `node by node against the native plan: ${same.message}`);
        // under bfloat16 autocast the plan computes in bfloat16 (AVX-512 CPUs; below, node by node)
        graph.nativePlan = true;
        const bf16 = torch.noGrad(() => torch.autocast({ dtype: 'bfloat16' }, () => graph.forward(x)));
        if (/avx512_core/.test(torch.backends.cpu.capability().onednnIsa ?? '')) {
          assert.equal(graph.nativePlanReason(x.shape, 'bfloat16'), null);
        }
        assert.equal(bf16.dtype, 'bfloat16');
        // 8 bits of mantissa through the whole network: 5% of the logits' scale
        const rounded = closeEnough(bf16.float().toArray(), floats(`${base}.output.bin`), 5e-2);
        assert.ok(rounded.ok, `bfloat16 against PyTorch's float32: ${rounded.message}`);
      });
      graph.dispose();
    });
  }
});

describe("the README's transfer-learning recipe on a PyTorch-exported file", () => {
  it('summary -> cut at the pool input -> freezeUpTo -> new head -> train -> export', async () => {
    const base = join(dir, 'resnet18');
    if (!existsSync(`${base}.onnx`)) python(EXPORT, 'resnet18', base, '64', '11');
    const resnet = await importOnnx(`${base}.onnx`);
    const nodes = resnet.summary([1, 3, 64, 64]);
    const pool = nodes.find((n) => n.opType === 'GlobalAveragePool');
    const layer3 = nodes.filter((n) => n.shapes[0]?.[1] === 256).at(-1); // ResNet-18's layer3 has 256 channels
    assert.ok(pool && layer3);
    const backbone = resnet.cut(pool.inputs[0] as string).freezeUpTo(layer3.name);
    assert.deepEqual(backbone.summary([1, 3, 64, 64]).at(-1)?.shapes, [[1, 512, 2, 2]]);
    const frozen = backbone.parameters().filter((p) => !p.requiresGrad);
    const trainable = backbone.parameters().filter((p) => p.requiresGrad);
    assert.ok(frozen.length > 0 && trainable.length > 0);
    const snapshot = frozen.map((p) => Buffer.from(p.data().buffer));
    torch.manualSeed(3);
    const model = new Sequential(backbone, new GlobalAvgPool2d(), new Dropout(0.2), new Linear(512, 4));
    const optimizer = new Adam(
      model.parameters().filter((p) => p.requiresGrad),
      { lr: 1e-3 },
    );
    const lossFn = new BCEWithLogitsLoss();
    const x = torch.keep(torch.randn([8, 3, 64, 64]));
    const y = torch.keep(torch.scope(() => torch.rand([8, 4]).gt(0.5).float()));
    model.train();
    const losses: number[] = [];
    for (let step = 0; step < 8; step++) {
      losses.push(
        torch.scope(() => {
          optimizer.zeroGrad();
          const loss = lossFn.forward(model.forward(x), y);
          loss.backward();
          optimizer.step();
          return loss.item() as number;
        }),
      );
    }
    assert.ok((losses.at(-1) as number) < (losses[0] as number) * 0.8, `losses ${losses.map((l) => l.toFixed(3))}`);
    frozen.forEach((p, i) => {
      assert.ok(Buffer.from(p.data().buffer).equals(snapshot[i] as Buffer), 'a frozen parameter changed');
    });
    // The fine-tuned model exports (at the imported graph's opset) and onnxruntime agrees.
    model.eval();
    const bytes = exportOnnxBytes(model, { inputShape: [3, 64, 64] });
    const ours = torch.noGrad(() => model.forward(x)).toArray();
    const { output } = await runOrt(bytes, { input: x });
    assert.ok(output && maxAbsDiff(output.data, ours) < 1e-4);
    model.dispose();
    x.dispose();
    y.dispose();
  });
});
