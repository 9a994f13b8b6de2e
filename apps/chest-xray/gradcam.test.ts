import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { torch } from '../../src/index.js';
import { appCam, camAt, gradCam, normaliseMap, peakOf, upsampleMap } from './gradcam.js';
import { CxrNet } from './model.js';

describe('Grad-CAM', () => {
  it('equals the class activation map for a pooled linear head (an analytic oracle)', () => {
    torch.manualSeed(3);
    const net = new CxrNet({ backbone: 'small-cnn', inChannels: 1, dropout: 0.2, l2: 0, width: 4 });
    net.eval();
    const x = torch.randn([2, 1, 32, 32]);
    const { maps, height, width } = gradCam(net, x);
    // small-cnn has stride 4 (two pools, then a dilated last block): 8x8 at 32 px
    assert.deepEqual([height, width, maps.length, maps[0]?.length], [8, 8, 2, 14]);
    // d logit_c / d A_k(i, j) = w_ck / (h w), so Grad-CAM = sum_k w_ck A_k / (h w): the same map up to scale
    const a = torch.noGrad(() => net.featureMap(x)).contiguous();
    const feats = a.data() as Float32Array;
    const weights = net.head.weight.contiguous().data() as Float32Array;
    const [c, hw] = [a.shape[1] as number, 64];
    for (let i = 0; i < 2; i++) {
      for (let k = 0; k < 14; k++) {
        const cam = new Float32Array(hw);
        for (let p = 0; p < hw; p++) {
          let s = 0;
          for (let ch = 0; ch < c; ch++)
            s += (weights[k * c + ch] as number) * (feats[(i * c + ch) * hw + p] as number);
          cam[p] = s;
        }
        const expected = normaliseMap(cam);
        const got = maps[i]?.[k] as Float32Array;
        for (let p = 0; p < hw; p++)
          assert.ok(Math.abs((got[p] as number) - (expected[p] as number)) < 1e-4, `image ${i} class ${k} cell ${p}`);
      }
    }
    net.dispose();
  });

  it('keeps a peak where no location has positive evidence; upsampling keeps the peak cell', () => {
    assert.deepEqual(Array.from(normaliseMap(Float32Array.from([-3, -1, -2, -5]))), [0.5, 1, 0.75, 0]);
    assert.deepEqual(Array.from(normaliseMap(Float32Array.from([-1, 2, 1, 0]))), [0, 1, 0.5, 0]);
    const up = upsampleMap(Float32Array.from([0, 0, 0, 1]), 2, 2, 8);
    const { row, col } = peakOf(up, 8);
    assert.ok(row >= 4 && col >= 4, `${row}, ${col}`);
  });

  it("'both' multiplies the last block's map, upsampled, by the earlier block's finer map", () => {
    torch.manualSeed(5);
    const net = new CxrNet({ backbone: 'small-cnn', inChannels: 1, dropout: 0, l2: 0, width: 4 });
    const x = torch.randn([1, 1, 32, 32]);
    const last = gradCam(net, x);
    const early = gradCam(net, x, 14, { layer: 'earlier' });
    const both = gradCam(net, x, 14, { layer: 'both' });
    assert.deepEqual([last.height, early.height, both.height, both.width], [8, 32, 32, 32]);
    for (const k of [0, 5, 13]) {
      const coarse = upsampleMap(last.maps[0]?.[k] as Float32Array, 8, 8, 32);
      const fine = early.maps[0]?.[k] as Float32Array;
      const want = normaliseMap(fine.map((v, p) => v * (coarse[p] as number)));
      const got = both.maps[0]?.[k] as Float32Array;
      for (let p = 0; p < 1024; p++)
        assert.ok(Math.abs((got[p] as number) - (want[p] as number)) < 1e-6, `class ${k} cell ${p}`);
    }
    net.dispose();
  });

  it("'stack' multiplies the maps of the last block and of every cut, each upsampled to the finest grid", () => {
    torch.manualSeed(6);
    const net = new CxrNet({ backbone: 'small-cnn', inChannels: 1, dropout: 0, l2: 0, width: 4 });
    const x = torch.randn([2, 1, 32, 32]);
    assert.equal(net.camCuts.length, 6);
    const layers = [undefined, ...net.camCuts].map((cut) => camAt(net, x, 14, cut, true));
    assert.deepEqual(
      layers.map((l) => l.height),
      [8, 8, 8, 16, 16, 32, 32],
    );
    const stack = gradCam(net, x, 14, { layer: 'stack', method: 'layercam' });
    assert.deepEqual([stack.height, stack.width], [32, 32]);
    for (const [i, k] of [
      [0, 0],
      [1, 7],
      [1, 13],
    ] as const) {
      const want = new Float32Array(1024).fill(1);
      for (const l of layers) {
        const m = upsampleMap(l.maps[i]?.[k] as Float32Array, l.height, l.width, 32);
        for (let p = 0; p < 1024; p++) want[p] = (want[p] as number) * (m[p] as number);
      }
      const expected = normaliseMap(want);
      const got = stack.maps[i]?.[k] as Float32Array;
      for (let p = 0; p < 1024; p++)
        assert.ok(Math.abs((got[p] as number) - (expected[p] as number)) < 1e-6, `image ${i} class ${k} cell ${p}`);
    }
    net.dispose();
  });

  it("the application's heatmap: multi-layer LayerCAM where the backbone has cuts, Grad-CAM at the last block otherwise", () => {
    const small = new CxrNet({ backbone: 'small-cnn', inChannels: 1, dropout: 0, l2: 0, width: 4 });
    assert.deepEqual(appCam(small).options, { layer: 'stack', method: 'layercam' });
    assert.match(appCam(small).name, /multi-layer LayerCAM .* 6 earlier cuts/);
    const zoo = new CxrNet({ backbone: 'resnet18', inChannels: 1, dropout: 0, l2: 0 });
    assert.equal(zoo.camCuts.length, 0);
    assert.deepEqual(appCam(zoo), { options: { layer: 'last' }, name: 'Grad-CAM at the last convolutional block' });
    small.dispose();
    zoo.dispose();
  });

  it('Grad-CAM at the finest cut (after the first conv block): channel weights equal the finite-difference derivative of the logit along each channel', () => {
    torch.manualSeed(9);
    // float64 so that finite differences with a tiny step are exact enough
    const net = new CxrNet({ backbone: 'small-cnn', inChannels: 1, dropout: 0, l2: 0, width: 4 }).to('float64');
    net.eval();
    const x = torch.randn([2, 1, 32, 32], { dtype: 'float64' });
    const cut = net.earlierCut;
    assert.ok(cut);
    const early = gradCam(net, x, 14, { layer: 'earlier' });
    assert.deepEqual([early.height, early.width], [32, 32]);
    // oracle: mean_ij d logit / d A_k(i, j) is the derivative along "add t to all of channel k" over h*w;
    // that direction moves tied max-pool inputs together, so it has no kink where per-cell differences do
    const a = torch.noGrad(() => cut.map(x)).contiguous();
    const shape = a.shape as number[];
    const base = Float64Array.from(a.data() as Float64Array);
    const [c, hw] = [shape[1] as number, 1024];
    const [i, k] = [1, 2];
    const logit = (v: Float64Array) =>
      torch.scope(() => {
        const l = torch.noGrad(() => net.headOf(cut.rest(torch.tensor(v, { shape })))).contiguous();
        return (l.data() as Float64Array)[i * 14 + k] as number;
      });
    const eps = 1e-6;
    const cam = new Float64Array(hw);
    for (let ch = 0; ch < c; ch++) {
      const up = Float64Array.from(base);
      const down = Float64Array.from(base);
      for (let p = 0; p < hw; p++) {
        const at = (i * c + ch) * hw + p;
        up[at] = (up[at] as number) + eps;
        down[at] = (down[at] as number) - eps;
      }
      const weight = (logit(up) - logit(down)) / (2 * eps) / hw;
      for (let p = 0; p < hw; p++) cam[p] = (cam[p] as number) + weight * (base[(i * c + ch) * hw + p] as number);
    }
    const want = normaliseMap(Float32Array.from(cam));
    const got = early.maps[i]?.[k] as Float32Array;
    // float64 differences with step 1e-6: errors far below 1e-4 on maps scaled to [0, 1] (the maps are float32)
    let worst = 0;
    for (let p = 0; p < hw; p++) worst = Math.max(worst, Math.abs((got[p] as number) - (want[p] as number)));
    assert.ok(worst < 1e-4, `largest difference ${worst}`);
    net.dispose();
  });

  it('LayerCAM at the last block of a pooled linear head is sum_k relu(w_ck) A_k (an analytic oracle)', () => {
    torch.manualSeed(4);
    const net = new CxrNet({ backbone: 'small-cnn', inChannels: 1, dropout: 0, l2: 0, width: 4 });
    net.eval();
    const x = torch.randn([1, 1, 32, 32]);
    const { maps } = gradCam(net, x, 14, { method: 'layercam' });
    const feats = torch
      .noGrad(() => net.featureMap(x))
      .contiguous()
      .data() as Float32Array;
    const weights = net.head.weight.contiguous().data() as Float32Array;
    const [c, hw] = [32, 64];
    for (let k = 0; k < 14; k++) {
      const cam = new Float32Array(hw);
      for (let p = 0; p < hw; p++)
        for (let ch = 0; ch < c; ch++)
          cam[p] = (cam[p] as number) + Math.max(0, weights[k * c + ch] as number) * (feats[ch * hw + p] as number);
      const want = normaliseMap(cam);
      const got = maps[0]?.[k] as Float32Array;
      for (let p = 0; p < hw; p++)
        assert.ok(Math.abs((got[p] as number) - (want[p] as number)) < 1e-4, `class ${k} cell ${p}`);
    }
    net.dispose();
  });
});
