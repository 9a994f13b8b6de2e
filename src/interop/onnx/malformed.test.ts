import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { torch } from '../../index.js';
import { importOnnx, importOnnxSync } from './import.js';
import { tinyModel } from './model.testutil.js';
import { encodeModel, onnx } from './proto.js';

const dir = mkdtempSync(join(tmpdir(), 'tszoo-onnx-bad-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const conv = (extra: Partial<Parameters<typeof tinyModel>[0]> = {}) =>
  tinyModel({
    nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], name: 'conv1' }],
    inputs: { x: ['N', 1, 4, 4] },
    outputs: ['y'],
    initializers: { w: { dims: [2, 1, 3, 3], floats: new Array(18).fill(0.5) } },
    ...extra,
  });

describe('malformed ONNX input gives a clear error, never a crash', () => {
  it('accepts the well-formed base model the cases below break', () => {
    const g = importOnnxSync(conv());
    assert.deepEqual(g.forward(torch.ones([1, 1, 4, 4])).shape, [1, 2, 2, 2]);
    g.dispose();
  });

  const valid = conv();
  const cases: [string, () => Uint8Array, RegExp][] = [
    ['an empty file', () => new Uint8Array(0), /the file is empty/],
    [
      'a truncated file',
      () => valid.subarray(0, Math.floor(valid.byteLength / 2)),
      /not a valid ONNX protobuf, truncated/,
    ],
    [
      'wrong magic (a PNG)',
      () => Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48]),
      /not a valid ONNX protobuf|not an ONNX model/,
    ],
    [
      'wrong magic (JSON text)',
      () => Buffer.from('{"graph": "resnet", "weights": [1, 2, 3]}'),
      /not a valid ONNX protobuf|not an ONNX model/,
    ],
    // field 7 (graph), length-delimited, declaring 2^32 - 1 bytes: protobufjs checks against the buffer
    [
      'a huge declared field length',
      () => Uint8Array.from([0x08, 0x08, 0x3a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3]),
      /not a valid ONNX protobuf/,
    ],
    [
      'an initializer declaring 4e10 elements with 18 present',
      () => conv({ initializers: { w: { dims: [200000, 200000, 1, 1], floats: new Array(18).fill(0) } } }),
      /initializer 'w': shape \[200000, 200000, 1, 1\] of float32 needs 160000000000 bytes, raw_data has 72/,
    ],
    [
      'an absurd shape',
      () => conv({ initializers: { w: { dims: [2 ** 30, 2 ** 30, 2 ** 30], floats: [0] } } }),
      /initializer 'w': shape .* is absurdly large/,
    ],
    [
      'a cyclic graph',
      () =>
        tinyModel({
          nodes: [
            { op: 'Relu', inputs: ['b'], outputs: ['a'], name: 'first' },
            { op: 'Add', inputs: ['x', 'a'], outputs: ['b'], name: 'second' },
          ],
          inputs: { x: [1] },
          outputs: ['b'],
        }),
      /the graph has a cycle through nodes 'first', 'second'/,
    ],
    [
      'a missing initializer',
      () => conv({ initializers: {} }),
      /node 'conv1' \(Conv, opset 13\): input 'w' is neither a graph input, an initializer nor any node's output/,
    ],
    [
      'an unknown op',
      () =>
        tinyModel({
          nodes: [{ op: 'Einsum', inputs: ['x'], outputs: ['y'], name: 'e' }],
          inputs: { x: [2] },
          outputs: ['y'],
        }),
      /node 'e' \(Einsum, opset 13\): unsupported op type/,
    ],
    [
      'an op of another domain',
      () =>
        tinyModel({
          nodes: [{ op: 'Relu', domain: 'com.microsoft', inputs: ['x'], outputs: ['y'] }],
          inputs: { x: [2] },
          outputs: ['y'],
        }),
      /node 'n0' \(Relu, opset 13\): op domain 'com.microsoft' is not supported/,
    ],
    [
      'an unknown attribute',
      () =>
        tinyModel({
          nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'], attrs: { slope: { f: 2 } } }],
          inputs: { x: [2] },
          outputs: ['y'],
        }),
      /node 'n0' \(Relu, opset 13\): attribute 'slope' is not supported/,
    ],
    [
      'an attribute only a later opset has',
      () =>
        tinyModel({
          opset: 13,
          nodes: [{ op: 'Shape', inputs: ['x'], outputs: ['y'], attrs: { start: { i: 1 } } }],
          inputs: { x: [2] },
          outputs: ['y'],
        }),
      /node 'n0' \(Shape, opset 13\): attribute 'start' is not supported/,
    ],
    [
      'an unsupported attribute value',
      () =>
        tinyModel({
          nodes: [
            {
              op: 'Resize',
              inputs: ['x', '', 's'],
              outputs: ['y'],
              attrs: { mode: { s: 'cubic' }, cubic_coeff_a: { f: -0.5 } },
            },
          ],
          inputs: { x: [1, 1, 2, 2] },
          outputs: ['y'],
          initializers: { s: { dims: [4], floats: [1, 1, 2, 2] } },
        }),
      /node 'n0' \(Resize, opset 13\): attribute cubic_coeff_a=-0.5 is not supported \(supported: -0.75\)/,
    ],
    ['an opset out of range', () => conv({ opset: 21 }), /opset 21 is outside the supported 9-18/],
    [
      'a value defined twice',
      () =>
        tinyModel({
          nodes: [
            { op: 'Relu', inputs: ['x'], outputs: ['y'] },
            { op: 'Sigmoid', inputs: ['x'], outputs: ['y'] },
          ],
          inputs: { x: [2] },
          outputs: ['y'],
        }),
      /node 'n1' \(Sigmoid, opset 13\): output 'y' is already defined/,
    ],
    ['an output nothing produces', () => conv({ outputs: ['z'] }), /graph output 'z' is not produced by any node/],
  ];
  for (const [name, bytes, message] of cases) {
    it(`${name}`, () => {
      const path = join(dir, `${name.replace(/\W+/g, '-')}.onnx`);
      writeFileSync(path, bytes());
      assert.throws(() => importOnnxSync(path), message);
      assert.throws(
        () => importOnnxSync(path),
        (e: Error) => e.name === 'OnnxError' && e.message.startsWith(`onnx '${path}': `),
      );
    });
  }

  it('external data that would leave the model folder is refused', () => {
    const t = {
      name: 'w',
      dataType: 1,
      dims: [2, 1, 3, 3],
      dataLocation: 1,
      externalData: [{ key: 'location', value: '../../etc/passwd' }],
    };
    const bytes = encodeModel({
      irVersion: 8,
      opsetImport: [{ version: 13 }],
      graph: {
        node: [{ name: 'c', opType: 'Conv', input: ['x', 'w'], output: ['y'] }],
        initializer: [t],
        input: [{ name: 'x', type: { tensorType: { elemType: 1 } } }],
        output: [{ name: 'y', type: { tensorType: { elemType: 1 } } }],
      },
    });
    const path = join(dir, 'external.onnx');
    writeFileSync(path, bytes);
    assert.throws(
      () => importOnnxSync(path),
      /initializer 'w': external data location '..\/..\/etc\/passwd' leaves the model's folder/,
    );
    assert.throws(() => importOnnxSync(bytes), /external data needs the model's file path/);
  });

  it('a missing file names the path; bad run-time shapes name the node', async () => {
    await assert.rejects(importOnnx(join(dir, 'nope.onnx')), /onnx '.*nope.onnx': cannot read the file/);
    const g = importOnnxSync(conv());
    assert.throws(() => g.forward(torch.ones([1, 3, 4, 4])), /onnx bytes: node 'conv1' \(Conv, opset 13\): .*channels/);
    assert.throws(() => g.forward(), /the graph takes 1 inputs \(x\), got 0/);
    g.dispose();
  });

  it('decodes a graph with no default-domain opset as an error', () => {
    const bytes = onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, graph: { name: 'g' } })).finish();
    assert.throws(() => importOnnxSync(bytes), /imports no default-domain \(ai.onnx\) opset/);
  });
});
