import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { torch } from '../index.js';
import { describeCapability, onednnIsaHasBf16, parseCpuFlags } from './cpu-capability.js';

const oracle = fileURLToPath(new URL('../../../scripts/golden/autocast_oracle.py', import.meta.url));

type T = torch.Tensor;

/** The ops of scripts/golden/autocast_oracle.py, in the same order, on the same inputs. */
function cases(i: Record<string, T>): Record<string, T> {
  const { x, w, b, a, lw, lb, m, t, bias6 } = i as Record<string, T>;
  const conv = torch.conv2d(x as T, w as T, b as T, [1, 1], [1, 1]);
  const mm = torch.matmul(a as T, m as T);
  return {
    conv2d: conv,
    linear: torch.linear(a as T, lw as T, lb as T),
    matmul: mm,
    addmm: torch.addmm(bias6 as T, a as T, m as T),
    bmm: torch.bmm((a as T).unsqueeze(0), (m as T).unsqueeze(0)),
    'relu(conv2d)': torch.relu(conv),
    'maxPool2d(conv2d)': torch.maxPool2d(conv, [2, 2]),
    'softmax(matmul)': torch.softmax(mm, 1),
    'mseLoss(matmul)': torch.mseLoss(mm, t as T),
    'bceWithLogits(matmul)': torch.binaryCrossEntropyWithLogits(mm, torch.sigmoid(t as T)),
    'add(matmul, fp32)': mm.add(t as T),
  };
}

function inputs(): Record<string, T> {
  torch.manualSeed(12);
  return {
    x: torch.randn([2, 3, 8, 8]),
    w: torch.randn([4, 3, 3, 3]),
    b: torch.randn([4]),
    a: torch.randn([4, 5]),
    lw: torch.randn([6, 5]),
    lb: torch.randn([6]),
    m: torch.randn([5, 6]),
    t: torch.randn([4, 6]),
    bias6: torch.randn([6]),
  };
}

describe('torch.autocast (CPU, bfloat16)', () => {
  it('casts the same ops as PyTorch 1.13 and agrees with it within bfloat16 tolerance', () => {
    torch.scope(() => {
      const ins = inputs();
      const payload = Object.fromEntries(
        Object.entries(ins).map(([k, v]) => [k, { shape: v.shape, data: v.toArray() }]),
      );
      const theirs = JSON.parse(
        execFileSync('/usr/bin/python3', [oracle], { input: JSON.stringify(payload), encoding: 'utf8' }),
      ) as Record<string, { dtype: string; shape: number[]; data: number[] }>;
      const ours = torch.autocast({ dtype: 'bfloat16' }, () => cases(ins));
      const fp32 = cases(ins);
      assert.deepEqual(Object.keys(ours), Object.keys(theirs));
      for (const [name, r] of Object.entries(ours)) {
        const ref = theirs[name];
        assert.ok(ref);
        assert.equal(r.dtype, ref.dtype, `${name}: dtype`);
        assert.deepEqual(r.shape, ref.shape, `${name}: shape`);
        // bfloat16 keeps 8 significant bits (relative step 2^-8): one rounding apart at most, so 2^-7
        // relative to the output's scale; fp32-list ops see the same bfloat16 inputs and agree to 1e-5.
        const values = r.float().toArray();
        const scale = Math.max(1, ...ref.data.map(Math.abs));
        const tol = ref.dtype === 'bfloat16' ? scale * 2 ** -7 : 1e-5 * scale;
        const diff = Math.max(...values.map((v, k) => Math.abs(v - (ref.data[k] as number))));
        assert.ok(diff <= tol, `${name}: max |ours - PyTorch| ${diff} > ${tol}`);
      }
      // Autocast really changed the arithmetic: the bfloat16 conv differs from float32, within bf16 error.
      const c16 = (ours.conv2d as T).float().toArray();
      const c32 = (fp32.conv2d as T).toArray();
      const gap = Math.max(...c16.map((v, k) => Math.abs(v - (c32[k] as number))));
      assert.equal(fp32.conv2d?.dtype, 'float32');
      assert.ok(gap > 0 && gap < 0.1 * Math.max(1, ...c32.map(Math.abs)), `bf16 vs fp32 conv gap ${gap}`);
    });
  });

  it('nests, turns off with enabled: false, and restores the state after a throw', () => {
    torch.scope(() => {
      const a = torch.randn([3, 4]);
      const m = torch.randn([4, 2]);
      assert.equal(torch.isAutocastEnabled(), false);
      torch.autocast({}, () => {
        assert.equal(torch.isAutocastEnabled(), true);
        assert.equal(torch.getAutocastDtype(), 'bfloat16');
        assert.equal(torch.matmul(a, m).dtype, 'bfloat16');
        torch.autocast({ enabled: false }, () => {
          assert.equal(torch.isAutocastEnabled(), false);
          assert.equal(torch.matmul(a, m).dtype, 'float32');
        });
        assert.equal(torch.matmul(a, m).dtype, 'bfloat16');
      });
      assert.throws(
        () =>
          torch.autocast({}, () => {
            throw new Error('inside');
          }),
        /inside/,
      );
      assert.equal(torch.isAutocastEnabled(), false);
      assert.equal(torch.matmul(a, m).dtype, 'float32');
    });
  });

  it('follows async callbacks across await, and only them', async () => {
    const a = torch.randn([3, 4]);
    const m = torch.randn([4, 2]);
    const tick = () => new Promise((r) => setImmediate(r));
    const seen: string[] = [];
    const inside = torch.autocast({ dtype: 'bfloat16' }, async () => {
      for (let k = 0; k < 3; k++) {
        await tick();
        const r = torch.matmul(a, m);
        seen.push(`in:${r.dtype}`);
        r.dispose();
      }
    });
    const outside = (async () => {
      for (let k = 0; k < 3; k++) {
        await tick();
        const r = torch.matmul(a, m);
        seen.push(`out:${r.dtype}:${torch.isAutocastEnabled()}`);
        r.dispose();
      }
    })();
    await Promise.all([inside, outside]);
    assert.deepEqual(
      seen.filter((s) => s.startsWith('in:')),
      ['in:bfloat16', 'in:bfloat16', 'in:bfloat16'],
    );
    assert.deepEqual(
      seen.filter((s) => s.startsWith('out:')),
      Array(3).fill('out:float32:false'),
    );
    const after = torch.matmul(a, m);
    assert.equal(after.dtype, 'float32');
    for (const t of [a, m, after]) t.dispose();
  });

  it('gives float32 gradients to float32 parameters (backward outside the region)', () => {
    torch.scope(() => {
      const w = torch.randn([4, 3]).requiresGrad_();
      const x = torch.randn([5, 3]);
      const y = torch.autocast({}, () => torch.linear(x, w));
      assert.equal(y.dtype, 'bfloat16');
      y.float().sum().backward();
      const g = w.grad as T;
      assert.equal(g.dtype, 'float32');
      // d/dw sum(x w^T) = column sums of x for every output row, up to bfloat16 rounding of x
      const colSums = torch.sum(x, [0]).toArray();
      const got = g.toArray();
      for (let k = 0; k < got.length; k++) {
        const want = colSums[k % 3] as number;
        assert.ok(Math.abs((got[k] as number) - want) <= 0.05 * Math.max(1, Math.abs(want)), `grad ${k}`);
      }
    });
  });

  it('rejects dtypes CPU autocast does not support, naming them', () => {
    assert.throws(
      () => torch.autocast({ dtype: 'float16' as 'bfloat16' }, () => 1),
      /autocast: CPU autocast supports dtype 'bfloat16' only, got 'float16'/,
    );
    assert.equal(torch.isAutocastEnabled(), false);
  });
});

describe('torch.backends.cpu.capability', () => {
  it('reads the flags of /proc/cpuinfo text', () => {
    const flags = parseCpuFlags('processor\t: 0\nflags\t\t: fpu sse avx avx2 avx512f avx512_bf16 amx_tile\n');
    assert.deepEqual(flags, { avx2: true, avx512f: true, avx512Bf16: true, amxBf16: false });
    assert.deepEqual(parseCpuFlags(''), { avx2: false, avx512f: false, avx512Bf16: false, amxBf16: false });
  });

  it('calls bfloat16 native only with the instructions and a oneDNN that uses them', () => {
    const amx = { avx2: true, avx512f: true, avx512Bf16: true, amxBf16: true };
    const avx2 = { avx2: true, avx512f: false, avx512Bf16: false, amxBf16: false };
    assert.equal(describeCapability(amx, 'cpu_isa_avx512_core_amx').nativeBf16, true);
    assert.equal(describeCapability(amx, 'cpu_isa_avx2').nativeBf16, false); // ONEDNN_MAX_CPU_ISA=AVX2
    assert.equal(describeCapability(avx2, 'cpu_isa_avx2').nativeBf16, false);
    assert.equal(describeCapability(avx2, null).nativeBf16, false);
    assert.equal(onednnIsaHasBf16('cpu_isa_avx512_core_vnni'), false);
    assert.equal(onednnIsaHasBf16('cpu_isa_avx512_core_bf16'), true);
  });

  it('describes this CPU consistently with /proc/cpuinfo and oneDNN', () => {
    const cap = torch.backends.cpu.capability();
    assert.match(cap.summary, /oneDNN/);
    assert.equal(
      cap.nativeBf16,
      (cap.flags.amxBf16 || cap.flags.avx512Bf16) && onednnIsaHasBf16(cap.onednnIsa ?? 'bf16'),
    );
  });

  it('sees oneDNN capped by ONEDNN_MAX_CPU_ISA=AVX2 as no native bfloat16', () => {
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { torch } from '${new URL('../index.js', import.meta.url).href}';
        console.log(JSON.stringify(torch.backends.cpu.capability()));`,
      ],
      { env: { ...process.env, ONEDNN_MAX_CPU_ISA: 'AVX2' }, encoding: 'utf8' },
    );
    const cap = JSON.parse(out);
    if (cap.onednnIsa !== null) {
      assert.equal(cap.onednnIsa, 'cpu_isa_avx2');
      assert.equal(cap.nativeBf16, false);
    }
  });
});
