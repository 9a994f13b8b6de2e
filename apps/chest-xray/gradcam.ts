/**
 * Grad-CAM (Selvaraju et al. 2017) at the backbone's last convolutional block: for finding c, the
 * feature maps A_k weighted by the spatial mean of d logit_c / d A_k, summed over k, ReLU; LayerCAM
 * (Jiang et al. 2021) weights each location by its own positive gradient instead, which keeps maps at
 * shallower layers class-specific. Maps at earlier cuts of the trunk and their product across layers
 * are options. The gradients come from autograd from the cut onwards (the feature map is a detached
 * leaf), so one backbone pass serves all 14 findings. Maps are returned at feature resolution, scaled to [0, 1]
 * per image and finding. When no location has positive evidence (a call made by a low threshold on a
 * negative logit), ReLU would leave an empty map: the map then shows relative evidence instead, the
 * weighted sum scaled from its minimum to its maximum, so its peak is still where the score comes from.
 */
import { nn, torch } from '../../src/index.js';
import type { CxrNet, Split } from './model.js';

export interface HeatmapBatch {
  /** h x w of each map */
  height: number;
  width: number;
  /** maps[i][c]: row-major h*w values in [0, 1] for image i and finding c */
  maps: Float32Array[][];
}

/** Where and how the maps are computed. */
export interface CamOptions {
  /**
   * 'last' (default): the backbone's last block; 'earlier': the finest cut the backbone has (small-cnn:
   * after its first conv block); 'both': the last block's map upsampled to the earlier grid times the earlier
   * map (the class-specific coarse map sharpened by the finer one, as Guided Grad-CAM multiplies Grad-CAM
   * by a finer signal); 'stack': the product of the last block's map and the maps at every cut the
   * backbone has (`CxrNet.camCuts`; small-cnn: after each of its conv blocks), each upsampled to the
   * finest grid: a location scores high only where every layer sees evidence.
   * Backbones without cuts give the last block's map.
   */
  layer?: 'last' | 'earlier' | 'both' | 'stack';
  /** 'gradcam' (default): channel weights are the spatial mean of the gradient; 'layercam': each location weighted by its own positive gradient (Jiang et al. 2021) */
  method?: 'gradcam' | 'layercam';
}

/**
 * The heatmap the application shows everywhere (evaluate's pointing game, gallery and worklist; predict,
 * explain and the review server), and its name for reports. A backbone with cuts (small-cnn): multi-layer
 * LayerCAM, the product of LayerCAM at the last block and at every earlier cut (all seven conv blocks, on
 * the input's grid: 64x64 at 64 px), as Jiang et al. fuse shallow layers for fine localisation; the
 * coarse layers say which structure, the fine ones which pixels. The zoo backbones: Grad-CAM at the last
 * convolutional block.
 *
 * @example
 * ```ts
 * const cam = appCam(net);
 * const { maps } = gradCam(net, batch, 14, cam.options);
 * ```
 */
export function appCam(net: CxrNet): { options: CamOptions; name: string } {
  if (net.camCuts.length === 0) return { options: { layer: 'last' }, name: 'Grad-CAM at the last convolutional block' };
  return {
    options: { layer: 'stack', method: 'layercam' },
    name: `multi-layer LayerCAM (LayerCAM at the last block times LayerCAM at ${net.camCuts.length} earlier cuts, on the finest grid)`,
  };
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
export function gradCam(net: CxrNet, x: torch.Tensor, classes = 14, options: CamOptions = {}): HeatmapBatch {
  const layerCam = options.method === 'layercam';
  if (options.layer === 'both' || options.layer === 'stack') {
    const cuts = options.layer === 'both' ? [net.earlierCut].filter((c) => c !== undefined) : net.camCuts;
    return productOf([
      camAt(net, x, classes, undefined, layerCam),
      ...cuts.map((c) => camAt(net, x, classes, c, layerCam)),
    ]);
  }
  return camAt(net, x, classes, options.layer === 'earlier' ? net.earlierCut : undefined, layerCam);
}

/** The element-wise product of maps of several layers, each resized to the last (finest) one's grid. */
export function productOf(layers: HeatmapBatch[]): HeatmapBatch {
  const fine = layers.at(-1) as HeatmapBatch;
  if (layers.length === 1) return fine;
  const { height: h, width: w } = fine;
  const maps = fine.maps.map((perImage, i) =>
    perImage.map((m, c) => {
      const out = Float32Array.from(m);
      for (const layer of layers.slice(0, -1)) {
        const r = resizeMap(layer.maps[i]?.[c] as Float32Array, layer.height, layer.width, h, w);
        for (let p = 0; p < out.length; p++) out[p] = (out[p] as number) * (r[p] as number);
      }
      return normaliseMap(out);
    }),
  );
  return { height: h, width: w, maps };
}

/**
 * One layer's maps: at the last block (`cut` undefined) or at a cut of the trunk (one of
 * `CxrNet.camCuts`); LayerCAM weights when `layerCam`, else Grad-CAM's.
 */
export function camAt(
  net: CxrNet,
  x: torch.Tensor,
  classes: number,
  cut: Split | undefined,
  layerCam: boolean,
): HeatmapBatch {
  net.eval();
  return torch.scope(() => {
    const features = torch.noGrad(() => (cut ? cut.map(x) : net.featureMap(x)));
    const a = torch.detach(features).requiresGrad_();
    const logits = torch.enableGrad(() => net.headOf(cut ? cut.rest(a) : a));
    const [n, , h, w] = a.shape as [number, number, number, number];
    const maps: Float32Array[][] = Array.from({ length: n }, () => []);
    for (let c = 0; c < classes; c++) {
      const target = torch.enableGrad(() => torch.sum(torch.select(logits, 1, c)));
      const [g] = torch.grad(target, a, { retainGraph: c < classes - 1 }) as [torch.Tensor];
      const weighted = torch.noGrad(() => {
        const weights = layerCam ? torch.relu(g) : torch.mean(g, [2, 3], true);
        return torch.sum(torch.mul(weights, torch.detach(a)), [1]).contiguous();
      });
      const data = weighted.data() as Float32Array;
      for (let i = 0; i < n; i++) maps[i]?.push(normaliseMap(data.slice(i * h * w, (i + 1) * h * w)));
    }
    return { height: h, width: w, maps };
  });
}

/** Bilinear upsampling of one map to size x size (what the overlays and the pointing game use). */
export function upsampleMap(map: Float32Array, h: number, w: number, size: number): Float32Array {
  return resizeMap(map, h, w, size, size);
}

function resizeMap(map: Float32Array, h: number, w: number, toH: number, toW: number): Float32Array {
  if (h === toH && w === toW) return map;
  return torch.scope(() => {
    const t = torch.tensor(map, { shape: [1, 1, h, w] });
    const up = nn.functional.interpolate(t, { size: [toH, toW], mode: 'bilinear', alignCorners: false });
    return up.contiguous().data() as Float32Array;
  });
}

/** Row and column of the largest value of a size x size map (the first on ties). */
export function peakOf(map: Float32Array, size: number): { row: number; col: number } {
  let best = 0;
  for (let i = 1; i < map.length; i++) if ((map[i] as number) > (map[best] as number)) best = i;
  return { row: Math.floor(best / size), col: best % size };
}

/** ReLU and scale by the peak; without any positive value, min-max scaling of the raw values. */
export function normaliseMap(raw: Float32Array): Float32Array {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of raw) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const out = new Float32Array(raw.length);
  if (hi > 0) for (let i = 0; i < raw.length; i++) out[i] = Math.max(0, raw[i] as number) / hi;
  else if (hi > lo) for (let i = 0; i < raw.length; i++) out[i] = ((raw[i] as number) - lo) / (hi - lo);
  return out;
}
