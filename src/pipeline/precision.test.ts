import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { nn, torch } from '../index.js';
import { exportOnnxBytes, importOnnxSync } from '../interop/onnx/index.js';
import { loadSafetensors } from '../interop/safetensors.js';
import { sgd } from '../optim/index.js';
import { latestCheckpoint } from './checkpoint.js';
import { blobFrame } from './estimator.fixture.js';
import { Estimator } from './estimator.js';
import type { TrainingEvent } from './events.js';
import { Model } from './model.js';
import { bf16PaysFor, choosePrecision, hasAmxBf16 } from './precision.js';
import { progressListener } from './progress-listener.js';
import { everyEpoch } from './triggers.js';

const tmp = mkdtempSync(join(tmpdir(), 'tszoo-precision-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const flags = { avx2: true, avx512f: true, avx512Bf16: true, amxBf16: true };
const amxCpu = { flags, onednnIsa: 'cpu_isa_avx512_core_amx', nativeBf16: true, summary: 'amx' };
const avx2Cpu = {
  flags: { ...flags, avx512f: false, avx512Bf16: false, amxBf16: false },
  onednnIsa: 'cpu_isa_avx2',
  nativeBf16: false,
  summary: 'avx2',
};

/** A model whose forward has the ops autocast lowers (linear); the blobs' 4 features in, 3 classes out. */
function blobNet(): nn.Sequential {
  return new nn.Sequential(new nn.Linear(4, 16), new nn.ReLU(), new nn.Linear(16, 3));
}

describe('precision', () => {
  it("'auto' picks bf16 only on CPUs with native bfloat16; explicit choices are kept", () => {
    assert.equal(choosePrecision('auto', amxCpu).used, 'bf16');
    assert.equal(choosePrecision('auto', avx2Cpu).used, 'fp32');
    assert.match(choosePrecision('auto', avx2Cpu).reason, /^fp32 \(auto: no native bfloat16 on this CPU; avx2\)$/);
    assert.equal(choosePrecision('fp32', amxCpu).used, 'fp32');
    assert.equal(choosePrecision('bf16', avx2Cpu).used, 'bf16');
    assert.match(choosePrecision('bf16', avx2Cpu).reason, /emulated/);
    assert.throws(
      () => choosePrecision('fp16' as 'bf16', amxCpu),
      /precision must be 'auto', 'fp32' or 'bf16', got 'fp16'/,
    );
    assert.throws(() => new Estimator(blobNet(), { precision: 'half' as 'bf16' }).resolve(), /Estimator: precision/);
    const onThisCpu = choosePrecision('auto');
    assert.equal(onThisCpu.used, torch.backends.cpu.capability().nativeBf16 ? 'bf16' : 'fp32');
  });

  it("'auto' for imported-graph inference picks bf16 only with AMX (AVX512-BF16 alone was slower than fp32)", () => {
    const avx512Bf16Cpu = {
      flags: { ...flags, amxBf16: false },
      onednnIsa: 'cpu_isa_avx512_core_bf16',
      nativeBf16: true,
      summary: 'avx512_bf16',
    };
    // AMX in the flags but oneDNN capped below it (ONEDNN_MAX_CPU_ISA=AVX512_CORE_BF16): no AMX tiles in use
    const cappedAmxCpu = { ...amxCpu, onednnIsa: 'cpu_isa_avx512_core_bf16' };
    const graph = 'imported-graph-inference';
    assert.deepEqual(
      [amxCpu, avx512Bf16Cpu, cappedAmxCpu, avx2Cpu].map((cpu) => [hasAmxBf16(cpu), bf16PaysFor(cpu, graph)]),
      [
        [true, true],
        [false, false],
        [false, false],
        [false, false],
      ],
    );
    assert.equal(bf16PaysFor(avx512Bf16Cpu), true, 'other workloads keep AVX512-BF16');
    assert.equal(choosePrecision('auto', amxCpu, graph).used, 'bf16');
    assert.match(choosePrecision('auto', amxCpu, graph).reason, /^bf16 \(auto: the CPU runs bfloat16 on AMX; amx\)$/);
    const noAmx = choosePrecision('auto', avx512Bf16Cpu, graph);
    assert.equal(noAmx.used, 'fp32');
    assert.match(noAmx.reason, /only with AMX; this CPU has AVX512-BF16 without it/);
    assert.equal(choosePrecision('auto', avx512Bf16Cpu).used, 'bf16');
    assert.equal(choosePrecision('bf16', avx512Bf16Cpu, graph).used, 'bf16', 'an explicit bf16 is kept');
    assert.equal(choosePrecision('auto', avx2Cpu, graph).used, 'fp32');

    // Model picks the imported-graph rule when its module holds an OnnxGraph (directly or nested)
    const cpu = torch.backends.cpu.capability();
    const net = blobNet();
    const imported = importOnnxSync(exportOnnxBytes(net, { inputShape: [4] }));
    const nested = new nn.Sequential(importOnnxSync(exportOnnxBytes(net, { inputShape: [4] })), new nn.ReLU());
    const auto = { task: 'multi-class' as const, precision: 'auto' as const };
    assert.equal(new Model(net, auto).precision.used, cpu.nativeBf16 ? 'bf16' : 'fp32');
    assert.equal(new Model(imported, auto).precision.used, hasAmxBf16(cpu) ? 'bf16' : 'fp32');
    assert.equal(new Model(nested, auto).precision.used, hasAmxBf16(cpu) ? 'bf16' : 'fp32');
    for (const m of [net, imported, nested]) m.dispose();
  });

  it("'auto' for a graph the native plan takes picks bf16 wherever bfloat16 is native (the plan runs it blocked)", () => {
    const avx512Bf16Cpu = { ...amxCpu, flags: { ...flags, amxBf16: false }, onednnIsa: 'cpu_isa_avx512_core_bf16' };
    const plan = 'native-plan-inference';
    assert.deepEqual(
      [amxCpu, avx512Bf16Cpu, avx2Cpu].map((cpu) => bf16PaysFor(cpu, plan)),
      [true, true, false],
    );
    assert.match(
      choosePrecision('auto', avx512Bf16Cpu, plan).reason,
      /^bf16 \(auto: the CPU runs bfloat16 natively, the graph as one oneDNN plan; amx\)$/,
    );
    assert.equal(choosePrecision('auto', avx2Cpu, plan).used, 'fp32');

    // Model asks its graphs: a convolutional one goes to the plan, the MLP (2-d input) does not
    const cpu = torch.backends.cpu.capability();
    const convNet = new nn.Sequential(
      new nn.Conv2d(3, 4, 3, { padding: 1 }),
      new nn.ReLU(),
      new nn.GlobalAvgPool2d(),
      new nn.Flatten(),
      new nn.Linear(4, 2),
    ).eval();
    const graph = importOnnxSync(exportOnnxBytes(convNet, { inputShape: [3, 8, 8] }));
    assert.equal(graph.nativePlanReason(), null);
    const auto = { task: 'multi-class' as const, precision: 'auto' as const };
    const model = new Model(graph, auto);
    assert.equal(model.precision.used, cpu.nativeBf16 ? 'bf16' : 'fp32');
    const mlp = importOnnxSync(exportOnnxBytes(blobNet(), { inputShape: [4] }));
    assert.equal(new Model(new nn.Sequential(graph, new nn.ReLU()), auto).precision.used, model.precision.used);
    assert.equal(
      new Model(new nn.Sequential(graph, mlp), auto).precision.used,
      hasAmxBf16(cpu) ? 'bf16' : 'fp32',
      'every graph must go to the plan',
    );
    // predictions at the chosen precision stay near float32's
    const x = torch.randn([2, 3, 8, 8]);
    const fp32 = new Model(graph, { task: 'multi-class' }).predict(x);
    const chosen = model.predict(x);
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 2; j++)
        assert.ok(Math.abs((chosen[i] as Float32Array)[j]! - (fp32[i] as Float32Array)[j]!) < 2e-2);
    for (const m of [convNet, graph, mlp]) m.dispose();
  });

  it('bf16 training: forward under autocast, float32 weights, loss and checkpoints; shown and recorded', async () => {
    torch.manualSeed(2);
    const model = blobNet();
    const events: TrainingEvent[] = [];
    let printed = '';
    const sink = new Writable({
      write(chunk, _enc, done) {
        printed += String(chunk);
        done();
      },
    });
    const progress = progressListener(sink);
    const seenDtypes = new Set<string>();
    const probe = model.forward.bind(model);
    model.forward = (x) => {
      const y = probe(x);
      seenDtypes.add(`${torch.isAutocastEnabled()}:${y.dtype}`);
      return y;
    };
    const dir = join(tmp, 'ckpt');
    const fitted = await new Estimator(model, {
      task: 'multi-class',
      featuresCol: 'features',
      batchSize: 16,
      maxEpoch: 6,
      optimizer: sgd({ lr: 0.05, momentum: 0.9 }),
      validation: { trigger: everyEpoch(), frame: blobFrame(60, 8) },
      checkpoint: { dir },
      precision: 'bf16',
      progress: false,
    })
      .onEvent((e) => {
        events.push(e);
        progress(e);
      })
      .fit(blobFrame(240, 3));
    // every forward pass (training and validation) ran under autocast and gave bfloat16
    assert.deepEqual([...seenDtypes], ['true:bfloat16']);
    const start = events[0];
    assert.equal(start?.type, 'start');
    assert.equal(start?.type === 'start' && start.precision, 'bf16');
    assert.match(printed, /^training in bf16 \(requested/);
    assert.equal(fitted.history?.precision?.used, 'bf16');
    assert.equal(fitted.settings.precision, 'bf16');
    // float32 master weights, and float32 checkpoints
    for (const p of model.parameters()) assert.equal(p.dtype, 'float32');
    const ckpt = latestCheckpoint(dir) as string;
    const saved = loadSafetensors(join(ckpt, 'model.safetensors')).tensors;
    for (const [k, t] of Object.entries(saved)) assert.equal(t.dtype, 'float32', k);
    // it learned (the loss is computed in float32 from the bfloat16 logits)
    const vals = events.filter((e) => e.type === 'validation');
    const epochLoss = events.flatMap((e) => (e.type === 'epoch' ? [e.loss] : []));
    assert.ok((epochLoss.at(-1) as number) < (epochLoss[0] as number) * 0.5, `epoch losses ${epochLoss}`);
    assert.equal(vals.length, 6);

    // predictions follow the model's precision and agree with float32 within bfloat16 error
    model.forward = probe;
    const x = torch.tensor([
      [1.5, 0, 0, 1],
      [-1.5, 1, 0, 0],
      [0, -1.5, 1, -1],
    ]);
    const bf16 = fitted.predict(x);
    const fp32 = new Model(model, { task: 'multi-class' }).predict(x);
    assert.equal(new Model(model, { task: 'multi-class' }).precision.used, 'fp32');
    let gap = 0;
    bf16.forEach((row, i) => {
      row.forEach((v, j) => {
        gap = Math.max(gap, Math.abs(v - (fp32[i]?.[j] as number)));
      });
    });
    assert.ok(gap > 0 && gap < 0.03, `bf16 vs fp32 probability gap ${gap}`);

    // saved and reloaded, the setting stays; the report shows what ran
    await fitted.save(join(tmp, 'model'));
    const meta = JSON.parse(readFileSync(join(tmp, 'model', 'model.json'), 'utf8'));
    assert.equal(meta.precision, 'bf16');
    assert.equal(meta.history.precision.used, 'bf16');
    const again = await Model.load(join(tmp, 'model'), { module: blobNet() });
    assert.equal(again.precision.used, 'bf16');
    assert.equal(again.setPrecision('fp32').precision.used, 'fp32');
    const html = readFileSync(fitted.writeReport(join(tmp, 'report.html'), { title: 'bf16 run' }), 'utf8');
    assert.match(html, /bf16 \(requested/);
    x.dispose();
  });

  it("memoryFormat 'channelsLast' trains the same weights as NCHW (1e-4) with NHWC convolution weights", async () => {
    const convNet = () =>
      new nn.Sequential(new nn.Conv2d(1, 4, 2, { padding: 1 }), new nn.ReLU(), new nn.Flatten(), new nn.Linear(36, 3));
    const fit = async (memoryFormat: 'contiguous' | 'channelsLast') => {
      torch.manualSeed(4);
      const model = convNet();
      const fitted = await new Estimator(model, {
        task: 'multi-class',
        featuresCol: 'features',
        featureShape: [1, 2, 2],
        batchSize: 16,
        maxEpoch: 2,
        optimizer: sgd({ lr: 0.05 }),
        shuffle: false,
        memoryFormat,
        progress: false,
      }).fit(blobFrame(64, 3));
      return { model, fitted };
    };
    const nchw = await fit('contiguous');
    const nhwc = await fit('channelsLast');
    const weight = nhwc.model.parameters()[0] as torch.Tensor;
    assert.ok(weight.isContiguous({ memoryFormat: 'channelsLast' }));
    assert.equal(nhwc.fitted.settings.memoryFormat, 'channelsLast');
    const a = nchw.model.parameters().map((p) => p.toArray());
    const b = nhwc.model.parameters().map((p) => p.toArray());
    a.forEach((values, i) => {
      const gap = Math.max(...values.map((v, j) => Math.abs(v - (b[i]?.[j] as number))));
      assert.ok(gap < 1e-4, `parameter ${i}: ${gap}`);
    });
    const x = torch.randn([5, 1, 2, 2]);
    const pa = nchw.fitted.predict(x);
    const pb = nhwc.fitted.predict(x);
    pa.forEach((row, i) => {
      row.forEach((v, j) => {
        assert.ok(Math.abs(v - (pb[i]?.[j] as number)) < 1e-5);
      });
    });
    x.dispose();
  });
});
