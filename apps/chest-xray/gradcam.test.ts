import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { torch } from '../../src/index.js';
import { gradCam, normaliseMap, peakOf, upsampleMap } from './gradcam.js';
import { CxrNet } from './model.js';

describe('Grad-CAM', () => {
  it('equals the class activation map for a pooled linear head (an analytic oracle)', () => {
    torch.manualSeed(3);
    const net = new CxrNet({ backbone: 'small-cnn', inChannels: 1, dropout: 0.2, l2: 0, width: 4 });
    net.eval();
    const x = torch.randn([2, 1, 32, 32]);
    const { maps, height, width } = gradCam(net, x);
    assert.deepEqual([height, width, maps.length, maps[0]?.length], [4, 4, 2, 14]);
    // d logit_c / d A_k(i, j) = w_ck / (h w), so Grad-CAM = sum_k w_ck A_k / (h w): the same map up to scale
    const a = torch.noGrad(() => net.featureMap(x)).contiguous();
    const feats = a.data() as Float32Array;
    const weights = net.head.weight.contiguous().data() as Float32Array;
    const [c, hw] = [a.shape[1] as number, 16];
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
});
