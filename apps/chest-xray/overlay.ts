/** Heatmap overlays as PNG: the grey image with a Grad-CAM map blended on top in a blue-to-red colour scale. */
import sharp from 'sharp';
import type { Image } from '../../src/data/image/types.js';

/** A compact "jet"-like colour scale: v in [0, 1] to [r, g, b] in 0..255. */
export function heatColour(v: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, v));
  const r = Math.min(1, Math.max(0, 1.5 - Math.abs(4 * x - 3)));
  const g = Math.min(1, Math.max(0, 1.5 - Math.abs(4 * x - 2)));
  const b = Math.min(1, Math.max(0, 1.5 - Math.abs(4 * x - 1)));
  return [Math.round(r * 255), Math.round(g * 255), Math.round(b * 255)];
}

/**
 * Writes `image` (grey, 8-bit, as the model saw it) with `map` (image-sized, values in [0, 1]) blended
 * where the map is strong, to `path` as PNG.
 *
 * @example
 * ```ts
 * await writeOverlay('heatmaps/00000001_000-Nodule.png', image, upsampleMap(maps[0][5], 8, 8, 64));
 * ```
 */
export async function writeOverlay(path: string, image: Image, map: Float32Array, scale = 1): Promise<void> {
  const { width, height, channels, data } = image;
  if (map.length !== width * height)
    throw new Error(`writeOverlay: a ${map.length}-value map for a ${width}x${height} image`);
  const rgb = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const raw = Number(data[i * channels]);
    const grey =
      data instanceof Float32Array ? Math.min(255, Math.max(0, raw * 255)) : raw * (255 / (2 ** image.bitDepth - 1));
    const v = map[i] as number;
    const alpha = 0.55 * Math.min(1, v * 1.4);
    const [r, g, b] = heatColour(v);
    rgb[i * 3] = Math.round(grey * (1 - alpha) + r * alpha);
    rgb[i * 3 + 1] = Math.round(grey * (1 - alpha) + g * alpha);
    rgb[i * 3 + 2] = Math.round(grey * (1 - alpha) + b * alpha);
  }
  let img = sharp(rgb, { raw: { width, height, channels: 3 } });
  if (scale > 1) img = img.resize(width * scale, height * scale, { kernel: 'nearest' });
  await img.png().toFile(path);
}
