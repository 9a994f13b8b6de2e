import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { torch } from '../../index.js';
import { importOnnx } from './import.js';
import { closeEnough, runOrt } from './ort.testutil.js';
import { decodeModel } from './proto.js';

const script = fileURLToPath(new URL('../../../../scripts/golden/onnx_coverage_models.py', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tszoo-onnx-coverage-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Exports scripts/golden/onnx_coverage_models.py's `name` with Debian's torch.onnx; returns the file and input shape. */
function exportModel(name: string, opset: number): { path: string; shape: number[] } {
  const path = join(dir, `${name}-${opset}.onnx`);
  const out = execFileSync('/usr/bin/python3', [script, name, String(opset), path], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return { path, shape: out.trim().split(' ').map(Number) };
}

function opTypes(bytes: Uint8Array): Set<string> {
  return new Set((decodeModel(bytes, 'test').model.graph?.node ?? []).map((n) => n.opType ?? ''));
}

describe('ONNX operator coverage: graphs exported by torch.onnx agree with onnxruntime', () => {
  // Each model is built to make the exporter emit particular operators; the list pins that it did.
  const cases: [string, number[], string[]][] = [
    ['mobilenet_v3_small', [11, 17], ['HardSigmoid', 'Mul', 'GlobalAveragePool', 'Gemm']],
    [
      'shape_arithmetic',
      [11, 13, 17],
      [
        'Shape',
        'Gather',
        'Slice',
        'Concat',
        'Split',
        'Transpose',
        'Cast',
        'Where',
        'Expand',
        'Tile',
        'Range',
        'ConstantOfShape',
      ],
    ],
    [
      'elementwise',
      [11, 13, 17],
      [
        'Pow',
        'Sqrt',
        'Erf',
        'Max',
        'Min',
        'Less',
        'Equal',
        'Not',
        'Or',
        'PRelu',
        'ReduceSum',
        'ReduceMax',
        'LogSoftmax',
        'Sigmoid',
      ],
    ],
    ['resizes', [11, 13, 17], ['Resize']],
  ];
  for (const [name, opsets, expectedOps] of cases) {
    for (const opset of opsets) {
      it(`${name} at opset ${opset}`, async () => {
        const { path, shape } = exportModel(name, opset);
        const bytes = new Uint8Array(readFileSync(path));
        const ops = opTypes(bytes);
        for (const op of expectedOps) assert.ok(ops.has(op), `the export has no ${op} (has ${[...ops].join(', ')})`);
        if (opset >= 17 && name === 'elementwise') assert.ok(ops.has('LayerNormalization'));
        if (opset >= 17 && name === 'mobilenet_v3_small') assert.ok(ops.has('HardSwish'));
        const graph = (await importOnnx(path)).eval();
        torch.manualSeed(opset);
        // batch 3, not the exported 2: the shape arithmetic must follow the input
        const x = torch.randn([3, ...shape.slice(1)]);
        try {
          const ours = torch.noGrad(() => graph.forward(x));
          const theirs = (await runOrt(bytes, { input: x })).output;
          assert.ok(theirs);
          assert.deepEqual(ours.shape, theirs.shape);
          const check = closeEnough(ours.toArray(), theirs.data, 1e-4);
          assert.ok(check.ok, check.message);
          ours.dispose();
        } finally {
          x.dispose();
          graph.dispose();
        }
      });
    }
  }

  it('an imported graph runs under bfloat16 autocast (node by node: dense plan, even with blockedInference; one native plan) near float32', async () => {
    const { path, shape } = exportModel('mobilenet_v3_small', 17);
    const graph = (await importOnnx(path)).eval();
    torch.manualSeed(1);
    const x = torch.randn(shape);
    try {
      const fp32 = torch.noGrad(() => graph.forward(x)).toArray();
      for (const [blocked, native] of [
        ['auto', false],
        [true, false],
        ['auto', true],
      ] as const) {
        graph.blockedInference = blocked;
        graph.nativePlan = native;
        const y = torch.noGrad(() => torch.autocast({ dtype: 'bfloat16' }, () => graph.forward(x)));
        assert.equal(y.dtype, 'bfloat16');
        // bfloat16 keeps 8 significant bits through ~50 layers: a few per cent of the logits' scale
        const check = closeEnough(y.float().toArray(), fp32, 0.05);
        assert.ok(check.ok, `blockedInference ${blocked}, nativePlan ${native}: ${check.message}`);
        y.dispose();
      }
      // the last pass ran as one bfloat16 plan where oneDNN has bfloat16 kernels (AVX-512)
      if (/avx512_core/.test(torch.backends.cpu.capability().onednnIsa ?? ''))
        assert.equal(graph.nativePlanReason(shape, 'bfloat16'), null);
      // the convolutions themselves run in bfloat16 (aten::convolution is not on autocast's list)
      const conv = graph.nodes.find((n) => n.label.opType === 'Conv');
      assert.ok(conv);
      const stem = graph.cut(conv.outputs[0] as string).eval();
      stem.nativePlan = false;
      const out = torch.noGrad(() => torch.autocast({}, () => stem.forward(x)));
      assert.equal(out.dtype, 'bfloat16');
      out.dispose();
    } finally {
      x.dispose();
      graph.dispose();
    }
  });

  it('an unsupported operator keeps its clear error naming node and op', async () => {
    const { path } = exportModel('unsupported', 13);
    await assert.rejects(importOnnx(path), /node '[^']+' \(Einsum, opset 13\): unsupported op type/);
  });
});
