import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { torch } from '../index.js';
import { decodeSafetensors, encodeSafetensors, loadSafetensors, saveSafetensors } from './safetensors.js';

const dir = mkdtempSync(join(tmpdir(), 'tszoo-st-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Builds a raw safetensors file from a header object and data bytes, for malformed-input tests. */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0), lengthOverride?: bigint): Buffer {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(lengthOverride ?? BigInt(json.byteLength));
  return Buffer.concat([head, json, data]);
}

describe('safetensors', () => {
  it('round-trips every dtype, shape and metadata through a file', () => {
    torch.scope(() => {
      torch.manualSeed(0);
      const base = torch.randn([2, 3, 4]).mul(10);
      const tensors: Record<string, torch.Tensor> = {
        f32: base,
        f64: base.double(),
        f16: base.half(),
        bf16: base.to('bfloat16'),
        i64: base.long(),
        i32: base.int(),
        i16: base.to('int16'),
        i8: base.to('int8'),
        u8: base.abs().to('uint8'),
        bool: base.gt(0),
        scalar: torch.tensor(3.5),
        empty: torch.zeros([0, 5]),
        strided: base.transpose(0, 2),
      };
      const path = join(dir, 'all.safetensors');
      saveSafetensors(path, tensors, { format: 'pt', note: 'tszoo test' });
      const { tensors: back, metadata } = loadSafetensors(path);
      assert.deepEqual(metadata, { format: 'pt', note: 'tszoo test' });
      assert.deepEqual(Object.keys(back).sort(), Object.keys(tensors).sort());
      for (const [name, t] of Object.entries(tensors)) {
        const b = back[name] as torch.Tensor;
        assert.equal(b.dtype, t.dtype, name);
        assert.deepEqual(b.shape, t.shape, name);
        assert.ok(torch.equal(b, t), `${name} values`);
      }
      assert.deepEqual(
        readdirSync(dir).filter((f) => f.endsWith('.tmp')),
        [],
        'no temporary file left behind',
      );
    });
  });

  it('writes files that an independent reader (Python with numpy) parses, and reads the files it writes', () => {
    torch.scope(() => {
      const a = torch.arange(12, { dtype: 'float32' }).reshape([3, 4]).div(7);
      const b = torch.tensor([[-5, 9_000_000_000]], { dtype: 'int64' });
      const path = join(dir, 'to-python.safetensors');
      saveSafetensors(path, { a, b });
      const fromPython = join(dir, 'from-python.safetensors');
      const script = `
import json, struct, sys
import numpy as np
raw = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
header = json.loads(raw[8:8 + n])
data = raw[8 + n:]
types = {'F32': np.float32, 'I64': np.int64, 'F64': np.float64, 'U8': np.uint8}
out = {}
for name, info in header.items():
    if name == '__metadata__':
        continue
    lo, hi = info['data_offsets']
    arr = np.frombuffer(data[lo:hi], dtype=types[info['dtype']]).reshape(info['shape'])
    out[name] = {'shape': list(arr.shape), 'values': arr.ravel().tolist()}
c = (np.arange(6, dtype=np.float64).reshape(2, 3) - 2.5) / 3
d = np.array([1, 2, 250], dtype=np.uint8)
hdr = {'c': {'dtype': 'F64', 'shape': [2, 3], 'data_offsets': [0, 48]},
       'd': {'dtype': 'U8', 'shape': [3], 'data_offsets': [48, 51]},
       '__metadata__': {'by': 'numpy'}}
h = json.dumps(hdr).encode()
open(sys.argv[2], 'wb').write(struct.pack('<Q', len(h)) + h + c.tobytes() + d.tobytes())
print(json.dumps(out))
`;
      const out = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, path, fromPython], { encoding: 'utf8' }));
      assert.deepEqual(out.a.shape, [3, 4]);
      assert.deepEqual(out.a.values, Array.from(a.data() as Float32Array));
      assert.deepEqual(out.b.values, [-5, 9_000_000_000]);
      const { tensors, metadata } = loadSafetensors(fromPython);
      assert.deepEqual(metadata, { by: 'numpy' });
      assert.deepEqual(tensors.c?.tolist(), [
        [-2.5 / 3, -1.5 / 3, -0.5 / 3],
        [0.5 / 3, 1.5 / 3, 2.5 / 3],
      ]);
      assert.deepEqual(tensors.d?.toArray(), [1, 2, 250]);
    });
  });

  it('rejects malformed files with a clear error and never allocates absurd memory', () => {
    const four = new Uint8Array(4);
    const cases: [string, Uint8Array, RegExp][] = [
      ['truncated length', new Uint8Array(3), /shorter than the 8-byte header length/],
      ['huge header length', rawFile({}, four, 2n ** 60n), /header length \d+ exceeds 100000000/],
      ['header past the end', rawFile({}, four, 1000n), /header length 1000 runs past the end/],
      ['not JSON', rawFile('{"a": '), /header is not valid JSON/],
      ['not an object', rawFile('[1,2]'), /header must be a JSON object/],
      [
        'unknown dtype',
        rawFile({ x: { dtype: 'F8', shape: [1], data_offsets: [0, 1] } }, four),
        /unsupported dtype "F8"/,
      ],
      [
        'negative dimension',
        rawFile({ x: { dtype: 'U8', shape: [-1], data_offsets: [0, 1] } }, four),
        /non-negative integers/,
      ],
      [
        'offsets past the data',
        rawFile({ x: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, four),
        /data_offsets \[0, 16\] outside the 4-byte data section/,
      ],
      [
        'size mismatch',
        rawFile({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, four),
        /needs 8 bytes, offsets give 4/,
      ],
      [
        'overlap',
        rawFile(
          {
            x: { dtype: 'U8', shape: [3], data_offsets: [0, 3] },
            y: { dtype: 'U8', shape: [2], data_offsets: [2, 4] },
          },
          four,
        ),
        /'x' and 'y' overlap/,
      ],
      [
        'huge declared shape',
        rawFile({ x: { dtype: 'F32', shape: [2 ** 40, 2 ** 12], data_offsets: [0, 4] } }, four),
        /needs \d+ bytes, offsets give 4/,
      ],
      ['non-string metadata', rawFile({ __metadata__: { a: 1 } }), /metadata 'a' must be a string/],
    ];
    for (const [name, bytes, message] of cases) {
      const path = join(dir, `bad-${name.replace(/ /g, '-')}.safetensors`);
      writeFileSync(path, bytes);
      assert.throws(() => loadSafetensors(path), message, name);
      assert.throws(() => loadSafetensors(path), /^Error: safetensors '.*bad-/, `${name}: names the file`);
    }
    assert.throws(() => loadSafetensors(join(dir, 'missing.safetensors')), /ENOENT/);
  });

  it('encodes deterministically with an 8-byte aligned data section', () => {
    torch.scope(() => {
      const t = { w: torch.ones([3]), b: torch.zeros([1], { dtype: 'int64' }) };
      const bytes = encodeSafetensors(t);
      assert.equal(bytes.readBigUInt64LE(0) % 8n, 0n);
      assert.deepEqual(encodeSafetensors(t), bytes);
      const { tensors } = decodeSafetensors(bytes);
      assert.deepEqual(tensors.w?.toArray(), [1, 1, 1]);
    });
  });
});
