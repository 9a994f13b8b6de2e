/**
 * Draws a synthetic frontal chest radiograph: a thorax-like background (body, lungs, spine, heart,
 * clavicles) and findings whose look follows the labels. Grey levels in [0, 1], row-major.
 *
 * Pose (position, size), exposure (gain, offset, a gradient across the plate) and the place of every
 * finding vary per image, so a finding is a shape relative to the anatomy rather than a fixed pixel
 * pattern: a linear model on pixels stays weak (about 0.7 mean AUC) while a small CNN learns it.
 * Where each finding was drawn is returned as boxes (for localisation checks such as the pointing game):
 * each box is the whole pixels that finding changed, pixel k covering [k, k + 1) as in NIH's box file, and
 * every shape is sampled at pixel centres, so drawings and boxes agree to the pixel.
 */
import type { Cxr14Label } from './chestxray14.js';

type Rng = () => number;

/** Per-image exposure variation (uniform half-widths): gain around 1, offset around 0.05, plate gradient. */
const EXPOSURE = { gain: 0.4, bias: 0.12, gradient: 0.2, gamma: 0.35 };

class Canvas {
  readonly px: Float32Array;
  constructor(readonly size: number) {
    this.px = new Float32Array(size * size);
  }

  /**
   * Adds `value` inside an ellipse (normalised centre and radii) with a soft edge reaching `1 + softness`
   * radii; returns the box of the pixels it changed.
   */
  ellipse(cx: number, cy: number, rx: number, ry: number, value: number, softness = 0.08): Box {
    const s = this.size;
    const reach = 1 + softness;
    const [x0, x1] = this.span(cx - rx * reach, cx + rx * reach);
    const [y0, y1] = this.span(cy - ry * reach, cy + ry * reach);
    const changed = new Extent(s);
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const dx = (centre(x, s) - cx) / rx;
        const dy = (centre(y, s) - cy) / ry;
        const d = Math.sqrt(dx * dx + dy * dy);
        const w = d < 1 - softness ? 1 : d >= reach ? 0 : (reach - d) / (2 * softness);
        if (w > 0) this.add(x, y, value * w, changed);
      }
    }
    return changed.box();
  }

  private add(x: number, y: number, v: number, changed: Extent): void {
    const i = y * this.size + x;
    this.px[i] = (this.px[i] as number) + v;
    changed.touch(x, y);
  }

  /** Indices of the pixels whose centres may lie in [lo, hi] (normalised), clamped to the image. */
  private span(lo: number, hi: number): [number, number] {
    return [Math.max(0, Math.floor(lo * this.size - 0.5)), Math.min(this.size - 1, Math.ceil(hi * this.size - 0.5))];
  }

  /**
   * Adds `value` inside the ellipse, but only below a level line (fluid with a meniscus that rises by
   * `rising` at the ellipse's sides); returns the box of the pixels it changed.
   */
  lowerPart(cx: number, cy: number, rx: number, ry: number, level: number, value: number, rising: number): Box {
    const s = this.size;
    const [x0, x1] = this.span(cx - rx, cx + rx);
    const [y0, y1] = this.span(cy - ry, cy + ry);
    const changed = new Extent(s);
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const dx = (centre(x, s) - cx) / rx;
        const dy = (centre(y, s) - cy) / ry;
        if (dx * dx + dy * dy > 1) continue;
        if (centre(y, s) > level - rising * Math.abs(dx)) this.add(x, y, value, changed);
      }
    }
    return changed.box();
  }

  /**
   * A line from (x0, y0) to (x1, y1), normalised, `width` pixels thick, with soft sides; returns the box
   * of the pixels it changed.
   */
  line(x0: number, y0: number, x1: number, y1: number, value: number, width = 1.5): Box {
    const s = this.size;
    // pixel x's centre is at x + 0.5 in these units
    const [ax, ay, bx, by] = [x0 * s - 0.5, y0 * s - 0.5, x1 * s - 0.5, y1 * s - 0.5];
    const len2 = Math.max(1e-9, (bx - ax) ** 2 + (by - ay) ** 2);
    const xa = Math.max(0, Math.floor(Math.min(ax, bx) - width - 1));
    const xb = Math.min(s - 1, Math.ceil(Math.max(ax, bx) + width + 1));
    const ya = Math.max(0, Math.floor(Math.min(ay, by) - width - 1));
    const yb = Math.min(s - 1, Math.ceil(Math.max(ay, by) + width + 1));
    const changed = new Extent(s);
    for (let y = ya; y <= yb; y++) {
      for (let x = xa; x <= xb; x++) {
        const t = Math.min(1, Math.max(0, ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / len2));
        const d = Math.hypot(x - (ax + t * (bx - ax)), y - (ay + t * (by - ay)));
        const w = Math.min(1, Math.max(0, width + 0.5 - d));
        if (w > 0) this.add(x, y, value * w, changed);
      }
    }
    return changed.box();
  }
}

/** The pixels a drawing changed, as a box of whole pixels (pixel k covers [k, k + 1), as NIH's boxes count). */
class Extent {
  private x0 = Number.POSITIVE_INFINITY;
  private y0 = Number.POSITIVE_INFINITY;
  private x1 = -1;
  private y1 = -1;
  constructor(private readonly size: number) {}

  touch(x: number, y: number): void {
    this.x0 = Math.min(this.x0, x);
    this.y0 = Math.min(this.y0, y);
    this.x1 = Math.max(this.x1, x);
    this.y1 = Math.max(this.y1, y);
  }

  /** Normalised [x0, y0, x1, y1]; an empty drawing gives an empty box at the origin. */
  box(): Box {
    if (this.x1 < 0) return [0, 0, 0, 0];
    const s = this.size;
    return [this.x0 / s, this.y0 / s, (this.x1 + 1) / s, (this.y1 + 1) / s];
  }
}

/** Where pixel `i`'s centre lies in normalised coordinates (pixel i covers [i, i + 1) of `size`). */
const centre = (i: number, size: number) => (i + 0.5) / size;

/** Lung geometry of one image (centres and radii), jittered per image. */
interface Lungs {
  left: [number, number, number, number];
  right: [number, number, number, number];
}

function pickLung(l: Lungs, rng: Rng): [number, number, number, number] {
  return rng() < 0.5 ? l.left : l.right;
}

/** A point inside a lung, away from its edge. */
function pointIn([cx, cy, rx, ry]: [number, number, number, number], rng: Rng, lower = false): [number, number] {
  const a = rng() * Math.PI * 2;
  const r = Math.sqrt(rng()) * 0.65;
  const y = cy + Math.sin(a) * ry * r;
  return [cx + Math.cos(a) * rx * r, lower ? cy + Math.abs(y - cy) * 0.8 : y];
}

/** A box [x0, y0, x1, y1] in normalised image coordinates (0..1, top-left origin). */
export type Box = [number, number, number, number];

/** Where one finding was drawn: one box per drawn part (a finding may have several). */
export interface FindingRegion {
  label: Cxr14Label;
  boxes: Box[];
}

/** Renders one image of `size` pixels with the given findings. */
export function renderCxr(size: number, findings: ReadonlySet<Cxr14Label>, rng: Rng): Float32Array {
  return renderCxrWithRegions(size, findings, rng).pixels;
}

/**
 * Renders one image and says where each finding was drawn.
 *
 * @example
 * ```ts
 * const { pixels, regions } = renderCxrWithRegions(128, new Set(['Nodule']), seededRandom(1));
 * regions[0]; // { label: 'Nodule', boxes: [[x0, y0, x1, y1]] }
 * ```
 */
export function renderCxrWithRegions(
  size: number,
  findings: ReadonlySet<Cxr14Label>,
  rng: Rng,
): { pixels: Float32Array; regions: FindingRegion[] } {
  const drawn = drawCxr(size, findings, rng);
  expose(drawn.pixels, size, rng);
  return drawn;
}

/**
 * The scene before exposure: anatomy and findings as added grey levels, with where each finding was
 * drawn. The anatomy takes the same draws from `rng` whatever the findings, so two scenes from equal
 * seeds differ exactly by what the findings added (every changed pixel's centre lies in its boxes).
 */
export function drawCxr(
  size: number,
  findings: ReadonlySet<Cxr14Label>,
  rng: Rng,
): { pixels: Float32Array; regions: FindingRegion[] } {
  const c = new Canvas(size);
  const j = (amount: number) => jitter(rng, amount);
  const ox = j(0.13);
  const oy = j(0.1);
  const scale = 1 + j(0.16);
  const has = (l: Cxr14Label) => findings.has(l);
  const regions: FindingRegion[] = [];
  const mark = (label: Cxr14Label, ...boxes: Box[]) => regions.push({ label, boxes });
  // Anatomy.
  c.ellipse(0.5 + ox, 0.56 + oy, 0.46 * scale, 0.5 * scale, 0.45, 0.1);
  const emph = (has('Emphysema') ? 1.06 : 1) * (1 + j(0.06));
  const lungs: Lungs = {
    left: [0.31 + ox, 0.46 + oy, 0.15 * scale * emph, 0.29 * scale * emph],
    right: [0.69 + ox, 0.46 + oy, 0.15 * scale * emph, 0.29 * scale * emph],
  };
  const lungDark = (has('Emphysema') ? -0.36 : -0.3) + j(0.03);
  const lungBoxes = [c.ellipse(...lungs.left, lungDark, 0.12), c.ellipse(...lungs.right, lungDark, 0.12)];
  for (let k = 0; k < 6; k++) {
    const y = 0.26 + k * 0.07 + oy;
    c.line(0.16 + ox, y + 0.03, 0.46 + ox, y, 0.05, 1);
    c.line(0.54 + ox, y, 0.84 + ox, y + 0.03, 0.05, 1);
  }
  c.ellipse(0.5 + ox, 0.5 + oy, 0.03, 0.48, 0.22, 0.2);
  const heartX = (has('Cardiomegaly') ? 0.18 : 0.12) * (1 + j(0.08));
  const heartY = (has('Cardiomegaly') ? 0.135 : 0.115) * (1 + j(0.06));
  const heart: [number, number, number, number] = [0.55 + ox + j(0.01), 0.63 + oy, heartX * scale, heartY * scale];
  const heartBox = c.ellipse(...heart, 0.28, 0.15);
  if (has('Cardiomegaly')) mark('Cardiomegaly', heartBox);
  c.line(0.18 + ox, 0.17 + oy, 0.46 + ox, 0.22 + oy, 0.2, 2);
  c.line(0.54 + ox, 0.22 + oy, 0.82 + ox, 0.17 + oy, 0.2, 2);
  // Findings.
  if (has('Nodule')) {
    const [x, y] = pointIn(pickLung(lungs, rng), rng);
    mark('Nodule', c.ellipse(x, y, 0.022, 0.022, 0.3, 0.25));
  }
  if (has('Mass')) {
    const [x, y] = pointIn(pickLung(lungs, rng), rng);
    const r = 0.05 + rng() * 0.03;
    const ry = r * (0.8 + rng() * 0.4);
    mark('Mass', c.ellipse(x, y, r, ry, 0.3, 0.15));
  }
  if (has('Effusion')) {
    const lung = pickLung(lungs, rng);
    const level = lung[1] + lung[3] * (0.3 + rng() * 0.25);
    mark('Effusion', c.lowerPart(...lung, level, 0.2, 0.12));
  }
  if (has('Pneumothorax')) {
    const [cx, cy, rx, ry] = pickLung(lungs, rng);
    const side = cx < 0.5 ? -1 : 1;
    mark('Pneumothorax', c.ellipse(cx + side * rx * 0.55, cy - ry * 0.35, rx * 0.45, ry * 0.55, -0.14, 0.1));
  }
  if (has('Infiltration')) {
    const lung = pickLung(lungs, rng);
    const boxes: Box[] = [];
    for (let k = 0; k < 8; k++) {
      const [x, y] = pointIn(lung, rng);
      const [rx, ry] = [0.025 + rng() * 0.02, 0.02 + rng() * 0.02];
      boxes.push(c.ellipse(x, y, rx, ry, 0.1, 0.6));
    }
    mark('Infiltration', ...boxes);
  }
  if (has('Atelectasis')) {
    const lung = pickLung(lungs, rng);
    mark('Atelectasis', c.lowerPart(...lung, lung[1] + lung[3] * 0.55, 0.21, -0.05));
  }
  if (has('Consolidation')) {
    const [x, y] = pointIn(pickLung(lungs, rng), rng);
    mark('Consolidation', c.ellipse(x, y, 0.08, 0.07, 0.22, 0.1));
  }
  if (has('Edema')) {
    const [ex, ey] = [j(0.04), j(0.05)];
    mark(
      'Edema',
      c.ellipse(0.38 + ox + ex, 0.5 + oy + ey, 0.1, 0.14, 0.12, 0.8),
      c.ellipse(0.62 + ox - ex, 0.5 + oy + ey, 0.1, 0.14, 0.12, 0.8),
    );
  }
  if (has('Fibrosis')) {
    const boxes: Box[] = [];
    for (let k = 0; k < 18; k++) {
      const [x, y] = pointIn(pickLung(lungs, rng), rng, true);
      const [x1, y1] = [x + j(0.05), y + j(0.05)];
      boxes.push(c.line(x, y, x1, y1, 0.08, 0.6));
    }
    mark('Fibrosis', ...boxes);
  }
  if (has('Pleural_Thickening')) {
    const [cx, cy, rx, ry] = pickLung(lungs, rng);
    // the outer ring's reach holds the inner one
    mark('Pleural_Thickening', c.ellipse(cx, cy, rx * 1.02, ry * 1.02, 0.12, 0.05));
    c.ellipse(cx, cy, rx * 0.92, ry * 0.95, -0.12, 0.05);
  }
  if (has('Pneumonia')) {
    const [x, y] = pointIn(pickLung(lungs, rng), rng, true);
    mark('Pneumonia', c.ellipse(x, y, 0.07, 0.06, 0.18, 0.5));
  }
  if (has('Hernia')) {
    const [x, y] = [0.5 + ox + j(0.06), 0.79 + oy + j(0.03)];
    mark('Hernia', c.ellipse(x, y, 0.06, 0.05, 0.25, 0.2));
  }
  if (has('Emphysema')) mark('Emphysema', ...lungBoxes);
  return { pixels: c.px, regions };
}

const jitter = (rng: Rng, amount: number) => (rng() - 0.5) * 2 * amount;

/** Exposure, contrast, a gradient across the plate and noise, as scanners and patients differ (in place). */
function expose(px: Float32Array, size: number, rng: Rng): void {
  const j = (amount: number) => jitter(rng, amount);
  const gain = 1 + j(EXPOSURE.gain);
  // a film/detector response curve: v^gamma, gamma log-uniform in [e^-0.6, e^0.6]
  const gamma = Math.exp(j(EXPOSURE.gamma));
  const bias = 0.05 + j(EXPOSURE.bias);
  const [gx, gy] = [j(EXPOSURE.gradient), j(EXPOSURE.gradient)];
  for (let y = 0; y < size; y++) {
    const rowShade = bias + gy * (y / size - 0.5);
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      const noise = (rng() + rng() + rng() - 1.5) * 0.03;
      const v = (px[i] as number) * gain + rowShade + gx * (x / size - 0.5) + noise;
      px[i] = Math.min(1, Math.max(0, v)) ** gamma;
    }
  }
}
