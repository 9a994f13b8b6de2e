/** Rotation by a random angle, equal to torchvision's `RandomRotation` on PIL images (nearest). */
import { type Transform, uniform } from './transform.js';
import { allocLike, type Image, withData } from './types.js';

/** Python's `round(x, 15)` (both give the correctly rounded decimal). */
function round15(x: number): number {
  return Number(x.toFixed(15));
}

/**
 * Rotates counter-clockwise by `degrees` about the image centre, same size, nearest neighbour, `fill`
 * outside: a port of Pillow's `Image.rotate` (its 16.16 fixed-point affine loop included), so results
 * equal `PIL.Image.rotate(angle)` pixel for pixel.
 *
 * @example
 * ```ts
 * const r = rotate(img, 30);
 * ```
 */
export function rotate(img: Image, degrees: number, fill = 0): Image {
  const { height: H, width: W, channels: C, data } = img;
  const t = (-degrees * Math.PI) / 180;
  const a0 = round15(Math.cos(t));
  const a1 = round15(Math.sin(t));
  const a3 = round15(-Math.sin(t));
  const a4 = round15(Math.cos(t));
  const cx = W / 2;
  const cy = H / 2;
  const a2 = a0 * -cx + a1 * -cy + cx;
  const a5 = a3 * -cx + a4 * -cy + cy;
  const out = allocLike(data, data.length);
  if (fill !== 0) out.fill(fill);
  const inRange = (x: number, y: number) =>
    Math.abs(x * a0 + y * a1 + a2) < 32768 && Math.abs(x * a3 + y * a4 + a5) < 32768;
  const fixed = inRange(0, 0) && inRange(W, H) && inRange(0, H) && inRange(W, 0);
  const floorC = (v: number) => (v < 0 ? Math.floor(v) : Math.trunc(v));
  if (fixed) {
    const f0 = floorC(a0 * 65536 + 0.5);
    const f1 = floorC(a1 * 65536 + 0.5);
    const f3 = floorC(a3 * 65536 + 0.5);
    const f4 = floorC(a4 * 65536 + 0.5);
    let r2 = floorC((a2 + a0 * 0.5 + a1 * 0.5) * 65536 + 0.5);
    let r5 = floorC((a5 + a3 * 0.5 + a4 * 0.5) * 65536 + 0.5);
    for (let y = 0; y < H; y++) {
      let xx = r2;
      let yy = r5;
      for (let x = 0; x < W; x++) {
        const xin = xx >> 16;
        const yin = yy >> 16;
        if (xin >= 0 && xin < W && yin >= 0 && yin < H) {
          const s = (yin * W + xin) * C;
          const d = (y * W + x) * C;
          for (let c = 0; c < C; c++) out[d + c] = data[s + c] as number;
        }
        xx += f0;
        yy += f3;
      }
      r2 += f1;
      r5 += f4;
    }
  } else {
    let xo = a2 + a1 * 0.5 + a0 * 0.5;
    let yo = a5 + a4 * 0.5 + a3 * 0.5;
    for (let y = 0; y < H; y++) {
      let xx = xo;
      let yy = yo;
      for (let x = 0; x < W; x++) {
        const xin = xx < 0 ? -1 : Math.trunc(xx);
        const yin = yy < 0 ? -1 : Math.trunc(yy);
        if (xin >= 0 && xin < W && yin >= 0 && yin < H) {
          const s = (yin * W + xin) * C;
          const d = (y * W + x) * C;
          for (let c = 0; c < C; c++) out[d + c] = data[s + c] as number;
        }
        xx += a0;
        yy += a3;
      }
      xo += a1;
      yo += a4;
    }
  }
  return withData(img, H, W, C, out);
}

/**
 * torchvision's `RandomRotation(degrees)`: an angle uniform in [-degrees, degrees] (or [min, max]),
 * counter-clockwise, nearest neighbour, same size, 0 outside (or `fill`).
 *
 * @example
 * ```ts
 * Rotation(10).apply(img, seededRandom(5));
 * ```
 */
export function Rotation(degrees: number | readonly [number, number], options: { fill?: number } = {}): Transform {
  const [lo, hi] = typeof degrees === 'number' ? [-Math.abs(degrees), Math.abs(degrees)] : degrees;
  return {
    name: `Rotation(${String(degrees)})`,
    apply: (img, rng) => rotate(img, uniform(rng, lo, hi), options.fill ?? 0),
  };
}
