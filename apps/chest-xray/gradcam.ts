/**
 * Grad-CAM (Selvaraju et al. 2017) at the backbone's last convolutional block: for finding c, the
 * feature maps A_k weighted by the spatial mean of d logit_c / d A_k, summed over k, ReLU. The
 * gradients come from autograd through the head only (the feature map is a detached leaf), so one
 * backbone pass serves all 14 findings. Maps are returned at feature resolution, scaled to [0, 1]
 * per image and finding (all zeros when nothing in the image supports the finding).
 */
import { nn, torch } from '../../src/index.js';
import type { CxrNet } from './model.js';

export interface HeatmapBatch {
  /** h x w of each map */
  height: number;
  width: number;
  /** maps[i][c]: row-major h*w values in [0, 1] for image i and finding c */
  maps: Float32Array[][];
}

/**
 * Grad-CAM maps of a batch [N, C, H, W] for every finding.
 *
 * @example
 * ```ts
 * const { maps, height, width } = gradCam(net, batch);
 * maps[0][1]; // image 0, Cardiomegaly: height * width values in [0, 1]
 * ```
 */
export function gradCam(net: CxrNet, x: torch.Tensor, classes = 14): HeatmapBatch {
  net.eval();
  return torch.scope(() => {
    const features = torch.noGrad(() => net.featureMap(x));
    const a = torch.detach(features).requiresGrad_();
    const logits = torch.enableGrad(() => net.headOf(a));
    const [n, , h, w] = a.shape as [number, number, number, number];
    const maps: Float32Array[][] = Array.from({ length: n }, () => []);
    for (let c = 0; c < classes; c++) {
      const target = torch.enableGrad(() => torch.sum(torch.select(logits, 1, c)));
      const [g] = torch.grad(target, a, { retainGraph: c < classes - 1 }) as [torch.Tensor];
      const cam = torch.noGrad(() => {
        const weights = torch.mean(g, [2, 3], true);
        const raw = torch.relu(torch.sum(torch.mul(weights, torch.detach(a)), [1]));
        const peak = torch.amax(raw, [1, 2], true).clamp(1e-12);
        return torch.div(raw, peak).contiguous();
      });
      const data = cam.data() as Float32Array;
      for (let i = 0; i < n; i++) maps[i]?.push(data.slice(i * h * w, (i + 1) * h * w));
    }
    return { height: h, width: w, maps };
  });
}

/** Bilinear upsampling of one map to size x size (what the overlays and the pointing game use). */
export function upsampleMap(map: Float32Array, h: number, w: number, size: number): Float32Array {
  return torch.scope(() => {
    const t = torch.tensor(map, { shape: [1, 1, h, w] });
    const up = nn.functional.interpolate(t, { size: [size, size], mode: 'bilinear', alignCorners: false });
    return up.contiguous().data() as Float32Array;
  });
}

/** Row and column of the largest value of a size x size map (the first on ties). */
export function peakOf(map: Float32Array, size: number): { row: number; col: number } {
  let best = 0;
  for (let i = 1; i < map.length; i++) if ((map[i] as number) > (map[best] as number)) best = i;
  return { row: Math.floor(best / size), col: best % size };
}
