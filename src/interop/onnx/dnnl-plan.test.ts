import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { torch } from '../../index.js';
import { dnnlPlanAvailable } from './dnnl-plan.js';
import type { OnnxGraph } from './graph.js';
import { importOnnxSync } from './import.js';
import { init, type TinyModel, type TinyNode, tinyModel, values } from './model.testutil.js';
import { maxAbsDiff } from './ort.testutil.js';

/**
 * x [N, 4, 10, 10] -> Conv 3x3 (pads 1) -> BatchNormalization (folded) -> Relu r0 -> MaxPool 2x2
 * -> Conv -> Relu -> Conv -> Add(., p) -> Relu (a residual block: add and ReLU fused into the convolution)
 * -> Conv 1x1 -> HardSigmoid(1/6, 0.5) -> Mul (HardSwish as opset 13 exports it) -> Clip(0, 6)
 * -> GlobalAveragePool -> Flatten -> Gemm (transB) -> y [N, 5]; `extra` nodes go before the pool.
 */
function net(extra: TinyNode[] = [], last = 'h'): TinyModel {
  return {
    opset: 13,
    nodes: [
      { op: 'Conv', inputs: ['x', 'w0', 'b0'], name: 'c0', attrs: { pads: { ints: [1, 1, 1, 1] } } },
      { op: 'BatchNormalization', inputs: ['c0', 's', 't', 'm', 'v'], name: 'bn' },
      { op: 'Relu', inputs: ['bn'], name: 'r0' },
      {
        op: 'MaxPool',
        inputs: ['r0'],
        name: 'p',
        attrs: { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } },
      },
      { op: 'Conv', inputs: ['p', 'w1', 'b1'], name: 'c1', attrs: { pads: { ints: [1, 1, 1, 1] } } },
      { op: 'Relu', inputs: ['c1'], name: 'r1' },
      { op: 'Conv', inputs: ['r1', 'w2', 'b2'], name: 'c2', attrs: { pads: { ints: [1, 1, 1, 1] } } },
      { op: 'Add', inputs: ['c2', 'p'], name: 'a' },
      { op: 'Relu', inputs: ['a'], name: 'r2' },
      { op: 'Conv', inputs: ['r2', 'w3', 'b3'], name: 'c3' },
      { op: 'HardSigmoid', inputs: ['c3'], name: 'hs', attrs: { alpha: { f: 1 / 6 }, beta: { f: 0.5 } } },
      { op: 'Mul', inputs: ['c3', 'hs'], name: 'sw' },
      { op: 'Clip', inputs: ['sw', 'lo', 'hi'], name: 'h' },
      ...extra,
      { op: 'GlobalAveragePool', inputs: [last], name: 'g' },
      { op: 'Flatten', inputs: ['g'], name: 'f' },
      { op: 'Gemm', inputs: ['f', 'wl', 'bl'], name: 'y', attrs: { transB: { i: 1 } } },
    ],
    inputs: { x: ['N', 4, 10, 10] },
    outputs: ['y'],
    initializers: {
      w0: init([8, 4, 3, 3], 1),
      b0: init([8], 2),
      s: { dims: [8], floats: values(8, 3).map((v) => 1 + v / 2) },
      t: init([8], 4),
      m: init([8], 5),
      v: { dims: [8], floats: values(8, 6).map((v) => 1.5 + v) },
      w1: init([8, 8, 3, 3], 7),
      b1: init([8], 8),
      w2: init([8, 8, 3, 3], 9),
      b2: init([8], 10),
      w3: init([12, 8, 1, 1], 11),
      b3: init([12], 12),
      lo: { dims: [], floats: [0] },
      hi: { dims: [], floats: [6] },
      wl: init([5, 12], 13),
      bl: init([5], 14),
    },
  };
}

/** A 3x3 convolution node (pads 1) reading `inputs` (x, weight, bias). */
const conv = (inputs: string[], name: string): TinyNode => ({
  op: 'Conv',
  inputs,
  name,
  attrs: { pads: { ints: [1, 1, 1, 1] } },
});

/** The graph's output for x, through the native plan or node by node. */
function run(graph: OnnxGraph, x: torch.Tensor, native: boolean): Float32Array {
  graph.nativePlan = native;
  return torch.scope(
    () =>
      torch
        .noGrad(() => graph.forward(x))
        .contiguous()
        .data() as Float32Array,
  );
}

function agree(graph: OnnxGraph, x: torch.Tensor, what: string): void {
  const dense = run(graph, x, false);
  const native = run(graph, x, true);
  const scale = Math.max(...dense.map(Math.abs));
  assert.ok(scale > 0.1, `${what}: outputs of size ${scale} would prove little`);
  // float32 through different kernels and summation orders: relative 1e-5 of the output's scale
  assert.ok(maxAbsDiff(native, dense) <= 1e-5 * scale, `${what}: max |native - dense| ${maxAbsDiff(native, dense)}`);
}

describe('the native oneDNN plan (whole-graph inference)', () => {
  it('is built into the addon', () => {
    assert.equal(dnnlPlanAvailable(), true);
  });

  it('runs a residual network with fused batch norm, ReLU, add, HardSwish and Clip, and agrees with the node-by-node path', () => {
    const graph = importOnnxSync(tinyModel(net())).eval();
    const x = torch.tensor(values(2 * 4 * 100, 21), { shape: [2, 4, 10, 10] });
    agree(graph, x, 'batch 2');
    assert.equal(graph.nativePlanReason([2, 4, 10, 10]), null);
    // another batch size: a plan of its own
    const x1 = torch.tensor(values(4 * 100, 22), { shape: [1, 4, 10, 10] });
    agree(graph, x1, 'batch 1');
    assert.equal(graph.nativePlanReason([1, 4, 10, 10]), null);
    graph.dispose();
  });

  it('rebuilds the plan when a weight changes in place (loadStateDict, an optimizer step)', () => {
    const graph = importOnnxSync(tinyModel(net())).eval();
    const x = torch.tensor(values(2 * 4 * 100, 23), { shape: [2, 4, 10, 10] });
    const before = run(graph, x, true);
    const key = [...graph.tensorKeys.values()].find((k) => k.startsWith('w1')) as string;
    torch.noGrad(() => graph.stateDict()[key]?.mul_(-2));
    const after = run(graph, x, true);
    assert.ok(maxAbsDiff(before, after) > 1e-3, 'the output did not change with the weight');
    agree(graph, x, 'after the change');
    graph.dispose();
  });

  it('a plan for another shape takes the weight copies of one built before, never stale ones', () => {
    const graph = importOnnxSync(tinyModel(net())).eval();
    const x2 = torch.tensor(values(2 * 4 * 100, 24), { shape: [2, 4, 10, 10] });
    const x1 = torch.tensor(values(4 * 100, 25), { shape: [1, 4, 10, 10] });
    agree(graph, x2, 'batch 2');
    assert.equal(graph.nativePlanMemory(x2.shape)?.sharedWeights, 0, 'the first plan has its own');
    agree(graph, x1, 'batch 1, beside batch 2');
    const beside = graph.nativePlanMemory(x1.shape);
    assert.ok(beside && beside.sharedWeights > 0 && beside.sharedWeights <= beside.weights, JSON.stringify(beside));
    // a weight changes in place: the batch-2 plan's copies are stale, and a new batch-3 plan must not take them
    const key = [...graph.tensorKeys.values()].find((k) => k.startsWith('w1')) as string;
    torch.noGrad(() => graph.stateDict()[key]?.mul_(-2));
    const x3 = torch.tensor(values(3 * 4 * 100, 26), { shape: [3, 4, 10, 10] });
    agree(graph, x3, 'batch 3, after the change');
    assert.equal(graph.nativePlanMemory(x3.shape)?.sharedWeights, 0, 'nothing taken from a stale plan');
    // and the batch-1 plan is rebuilt from the new weights too
    agree(graph, x1, 'batch 1, after the change');
    graph.dispose();
  });

  it('falls back to the node-by-node path, with the reason, for what it cannot take', () => {
    const cases: [TinyNode[], string, RegExp][] = [
      [[{ op: 'Sigmoid', inputs: ['h'], name: 'sg' }], 'sg', /op Sigmoid/],
      [
        [
          { op: 'Pad', inputs: ['h', 'pads'], name: 'pd' },
          { op: 'MaxPool', inputs: ['pd'], name: 'mp', attrs: { kernel_shape: { ints: [2, 2] } } },
        ],
        'mp',
        /Pad before MaxPool/,
      ],
    ];
    for (const [extra, last, reason] of cases) {
      const model = net(extra, last);
      (model.initializers as Record<string, unknown>).pads = { dims: [8], ints: [0, 0, 1, 1, 0, 0, 1, 1] };
      const graph = importOnnxSync(tinyModel(model)).eval();
      const x = torch.tensor(values(2 * 4 * 100, 24), { shape: [2, 4, 10, 10] });
      const dense = run(graph, x, false);
      const auto = run(graph, x, true);
      assert.match(graph.nativePlanReason([2, 4, 10, 10]) ?? '', reason);
      assert.deepEqual(auto, dense);
      graph.dispose();
    }
  });

  it('a residual read again after the add is not overwritten: that add runs on its own', () => {
    // p is read by the block's Add and again by a second Add after it, so the first cannot go into p's buffer
    const model = net();
    const at = model.nodes.findIndex((n) => n.name === 'r2');
    model.nodes.splice(at + 1, 0, { op: 'Add', inputs: ['r2', 'p'], name: 'a2' });
    const c3 = model.nodes.find((n) => n.name === 'c3') as TinyNode;
    c3.inputs = ['a2', 'w3', 'b3'];
    const graph = importOnnxSync(tinyModel(model)).eval();
    const x = torch.tensor(values(2 * 4 * 100, 25), { shape: [2, 4, 10, 10] });
    agree(graph, x, 'residual read twice');
    assert.equal(graph.nativePlanReason([2, 4, 10, 10]), null);
    graph.dispose();
  });

  it('never overwrites a value that is still read: residual sums and fused activations through aliases', () => {
    const w = {
      w0: init([16, 4, 3, 3], 1),
      b0: init([16], 2),
      w1: init([16, 16, 3, 3], 3),
      b1: init([16], 4),
      w2: init([16, 16, 3, 3], 5),
      b2: init([16], 6),
      w3: init([16, 4, 3, 3], 7),
    };
    const relu = (input: string, name: string): TinyNode => ({ op: 'Relu', inputs: [input], name });
    const add = (a: string, b: string, name: string): TinyNode => ({ op: 'Add', inputs: [a, b], name });
    const cases: [string, TinyNode[]][] = [
      // the convolution's own input is the added value
      [
        'r0 + Conv(r0)',
        [conv(['x', 'w0', 'b0'], 'c0'), relu('c0', 'r0'), conv(['r0', 'w1', 'b1'], 'c1'), add('c1', 'r0', 'y')],
      ],
      // r0 is read between the convolution and the Add
      [
        'a reader between the convolution and the Add',
        [
          conv(['x', 'w0', 'b0'], 'c0'),
          relu('c0', 'r0'),
          conv(['x', 'w3', 'b1'], 'c1'),
          conv(['r0', 'w2', 'b2'], 'z'),
          add('c1', 'r0', 'a'),
          add('a', 'z', 'y'),
        ],
      ],
      // a ReLU of an Identity of c, while c itself is read by the Add
      [
        'Relu(Identity(c)) + c',
        [
          conv(['x', 'w0', 'b0'], 'c'),
          { op: 'Identity', inputs: ['c'], name: 'i' },
          relu('i', 'r'),
          add('r', 'c', 'y'),
        ],
      ],
      // the same after a fused residual sum
      [
        'Relu(Identity(c1 + r0)) + (c1 + r0)',
        [
          conv(['x', 'w0', 'b0'], 'c0'),
          relu('c0', 'r0'),
          conv(['r0', 'w1', 'b1'], 'c1'),
          add('c1', 'r0', 's'),
          { op: 'Identity', inputs: ['s'], name: 'i' },
          relu('i', 'r'),
          add('r', 's', 'y'),
        ],
      ],
    ];
    for (const [what, nodes] of cases) {
      const graph = importOnnxSync(
        tinyModel({ nodes, inputs: { x: ['N', 4, 8, 8] }, outputs: ['y'], initializers: w }),
      ).eval();
      const x = torch.tensor(values(2 * 4 * 64, 31), { shape: [2, 4, 8, 8] });
      agree(graph, x, what);
      assert.equal(graph.nativePlanReason([2, 4, 8, 8]), null, what);
      graph.dispose();
    }
  });

  it('shares one arena among activations that are never needed at the same time', () => {
    // ten 16-channel 3x3 convolutions with ReLU and a residual add every second one: each activation in
    // nChw16c without padding, each read by the next step or two (the residual one, a step later)
    const w: Record<string, ReturnType<typeof init>> = { w0: init([16, 4, 3, 3], 61), b0: init([16], 62) };
    const nodes: TinyNode[] = [conv(['x', 'w0', 'b0'], 'c0'), { op: 'Relu', inputs: ['c0'], name: 'h0' }];
    for (let i = 1; i <= 10; i++) {
      w[`w${i}`] = init([16, 16, 3, 3], 62 + 2 * i);
      w[`b${i}`] = init([16], 63 + 2 * i);
      nodes.push(conv([`h${i - 1}`, `w${i}`, `b${i}`], `c${i}`));
      nodes.push(
        i % 2 === 0
          ? { op: 'Add', inputs: [`c${i}`, `h${i - 2}`], name: `h${i}` }
          : { op: 'Relu', inputs: [`c${i}`], name: `h${i}` },
      );
    }
    nodes.push({ op: 'Identity', inputs: ['h10'], name: 'y' });
    const graph = importOnnxSync(
      tinyModel({ nodes, inputs: { x: ['N', 4, 12, 12] }, outputs: ['y'], initializers: w }),
    ).eval();
    const shape = [2, 4, 12, 12];
    assert.equal(graph.nativePlanMemory(shape), null, 'no plan before a pass');
    const first = torch.tensor(values(2 * 4 * 144, 71), { shape });
    const firstOut = run(graph, first, true);
    agree(graph, first, 'first input');
    assert.equal(graph.nativePlanReason(shape), null);
    const memory = graph.nativePlanMemory(shape);
    assert.ok(memory, 'the plan reports its memory');
    const one = 2 * 16 * 12 * 12 * 4; // bytes of one activation
    assert.equal(memory.own, 0, 'nothing padded');
    // six activations (the stem and the odd convolutions; the even ones add into their residual in place),
    // plus the input's copy where oneDNN wants its 4 channels in another layout (on AVX2, not AVX-512)
    const input = 2 * 4 * 12 * 12 * 4;
    assert.ok(
      memory.activations === 6 * one || memory.activations === 6 * one + input,
      `activations ${memory.activations}`,
    );
    // two alive at a time: without sharing, the plan would hold all six
    assert.ok(memory.arena <= 3 * one, `arena ${memory.arena} bytes for ${memory.activations}`);
    // the arena is reused run after run: a second input, then the first again, give their own results
    agree(graph, torch.tensor(values(2 * 4 * 144, 72), { shape }), 'second input');
    assert.deepEqual(run(graph, first, true), firstOut);
    graph.dispose();
  });

  it('a value reordered for one reader and then overwritten by a fused residual sum is reordered again', () => {
    // r0 (8 channels: its readers may want it in another layout than the blocked one it is made in) is
    // read by ca, then b's sum writes into r0's buffer; s (that buffer) is then read by cc
    const nodes: TinyNode[] = [
      conv(['x', 'w0', 'b0'], 'c0'),
      { op: 'Relu', inputs: ['c0'], name: 'r0' },
      conv(['r0', 'wa', 'ba'], 'ca'),
      conv(['x', 'wb', 'bb'], 'b'),
      { op: 'Add', inputs: ['b', 'r0'], name: 's' },
      conv(['s', 'wc', 'bc'], 'cc'),
      { op: 'Add', inputs: ['ca', 'cc'], name: 'y' },
    ];
    const initializers = {
      w0: init([8, 4, 3, 3], 51),
      b0: init([8], 52),
      wa: init([16, 8, 3, 3], 53),
      ba: init([16], 54),
      wb: init([8, 4, 3, 3], 55),
      bb: init([8], 56),
      wc: init([16, 8, 3, 3], 57),
      bc: init([16], 58),
    };
    const graph = importOnnxSync(
      tinyModel({ nodes, inputs: { x: ['N', 4, 8, 8] }, outputs: ['y'], initializers }),
    ).eval();
    const x = torch.tensor(values(2 * 4 * 64, 59), { shape: [2, 4, 8, 8] });
    agree(graph, x, 'reordered, then overwritten');
    assert.equal(graph.nativePlanReason([2, 4, 8, 8]), null);
    graph.dispose();
  });

  it('concatenates channels: whole-block copies when every part is a multiple of 16 channels, oneDNN otherwise', () => {
    for (const [a, b] of [
      [16, 32],
      [8, 12],
    ] as const) {
      const nodes: TinyNode[] = [
        { op: 'Conv', inputs: ['x', 'wa', 'ba'], name: 'ca', attrs: { pads: { ints: [1, 1, 1, 1] } } },
        { op: 'Conv', inputs: ['x', 'wb', 'bb'], name: 'cb' },
        { op: 'Concat', inputs: ['ca', 'cb', 'ca'], name: 'cat', attrs: { axis: { i: 1 } } },
        { op: 'Relu', inputs: ['cat'], name: 'y' },
      ];
      const initializers = {
        wa: init([a, 4, 3, 3], 41),
        ba: init([a], 42),
        wb: init([b, 4, 1, 1], 43),
        bb: init([b], 44),
      };
      const graph = importOnnxSync(
        tinyModel({ nodes, inputs: { x: ['N', 4, 6, 6] }, outputs: ['y'], initializers }),
      ).eval();
      assert.equal(graph.nativePlanReason([3, 4, 6, 6]), 'not tried');
      const x = torch.tensor(values(3 * 4 * 36, 45), { shape: [3, 4, 6, 6] });
      agree(graph, x, `parts of ${a}, ${b} and ${a} channels`);
      assert.equal(graph.nativePlanReason([3, 4, 6, 6]), null);
      graph.dispose();
    }
  });

  it('under bfloat16 autocast computes in bfloat16 where oneDNN has bfloat16 kernels, and says why not elsewhere', () => {
    const graph = importOnnxSync(tinyModel(net())).eval();
    const shape = [2, 4, 10, 10];
    const x = torch.tensor(values(2 * 4 * 100, 27), { shape });
    const fp32 = run(graph, x, true);
    const underAutocast = (native: boolean) => {
      graph.nativePlan = native;
      return torch.scope(() => {
        const y = torch.noGrad(() => torch.autocast({ dtype: 'bfloat16' }, () => graph.forward(x)));
        return { dtype: y.dtype, data: y.float().contiguous().data() as Float32Array };
      });
    };
    const native = underAutocast(true);
    assert.equal(native.dtype, 'bfloat16', 'logits in bfloat16 on either path, as under autocast');
    const reason = graph.nativePlanReason(shape, 'bfloat16');
    // oneDNN 2.6 has bfloat16 convolutions for AVX-512 (native with AVX512-BF16 or AMX, emulated on plain
    // AVX-512); below that only its reference kernels, which the plan refuses
    if (/avx512_core/.test(torch.backends.cpu.capability().onednnIsa ?? '')) {
      assert.equal(reason, null);
    } else assert.match(reason ?? '', /^op 0 \(conv\): no bfloat16 conv(olution)? kernel for this CPU/);
    const scale = Math.max(...fp32.map(Math.abs));
    const diff = maxAbsDiff(native.data, fp32);
    // bfloat16 keeps 8 bits of mantissa (relative rounding 2^-9) through six layers: 3% of the scale
    assert.ok(diff <= 3e-2 * scale, `max |bf16 - fp32| ${diff} at scale ${scale}`);
    assert.ok(diff > 1e-6 * scale, 'the pass under autocast did not round to bfloat16');
    const dense = underAutocast(false);
    assert.equal(dense.dtype, 'bfloat16');
    assert.ok(maxAbsDiff(dense.data, fp32) <= 3e-2 * scale, 'node by node under autocast');
    assert.equal(graph.nativePlanReason(shape), null, 'the float32 plan is a plan of its own');
    graph.dispose();
  });

  it('says, before any pass, whether any input shape could run as one plan', () => {
    const graph = importOnnxSync(tinyModel(net())).eval();
    assert.equal(graph.nativePlanReason(), null);
    graph.nativePlan = false;
    assert.equal(graph.nativePlanReason(), 'nativePlan is false');
    graph.dispose();
    const sigmoid = importOnnxSync(tinyModel(net([{ op: 'Sigmoid', inputs: ['h'], name: 'sg' }], 'sg')));
    assert.equal(sigmoid.nativePlanReason(), 'op Sigmoid');
    sigmoid.dispose();
    const mlp = importOnnxSync(
      tinyModel({
        nodes: [{ op: 'Gemm', inputs: ['x', 'w', 'b'], name: 'y', attrs: { transB: { i: 1 } } }],
        inputs: { x: ['N', 4] },
        outputs: ['y'],
        initializers: { w: init([3, 4], 1), b: init([3], 2) },
      }),
    );
    assert.equal(mlp.nativePlanReason(), 'an input of rank 2');
    mlp.dispose();
  });

  it("an input of the wrong shape gets the node-by-node path's clear error, and the graph keeps working", () => {
    const graph = importOnnxSync(tinyModel(net())).eval();
    const bad = torch.zeros([1, 3, 10, 10]);
    assert.throws(() => torch.noGrad(() => graph.forward(bad)), /c0|Conv/);
    assert.ok(graph.nativePlanReason([1, 3, 10, 10]));
    agree(graph, torch.tensor(values(4 * 100, 26), { shape: [1, 4, 10, 10] }), 'after the error');
    graph.dispose();
  });
});
