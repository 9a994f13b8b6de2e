/**
 * The pointing game (Zhang et al. 2016, "Top-down neural attention by excitation backprop"): a heatmap
 * scores a hit when its peak falls inside a box drawn around the finding (or within a stated tolerance
 * of one). Here: boxes in NIH's BBox_List_2017 form mapped into the model's input crop, the hit test, and
 * which findings count toward the localisation goal.
 */
import { CXR14_LABELS, type Cxr14Label } from '../../src/data/datasets/chestxray14.js';

/**
 * Findings that sit in one place, so "is the peak inside the box" is a fair question: NIH's eight boxed
 * findings (BBox_List_2017: Atelectasis, Cardiomegaly, Effusion, Infiltration, Mass, Nodule, Pneumonia,
 * Pneumothorax) and three more that the synthetic generator draws in one region of one side
 * (Consolidation, Pleural_Thickening, Hernia). Edema, Emphysema and Fibrosis are diffuse: the generator
 * draws them over both lungs and their boxes cover most of the chest, so a hit says little; they are
 * reported but do not count toward the goal.
 */
export const LOCALISED_FINDINGS: ReadonlySet<Cxr14Label> = new Set(
  CXR14_LABELS.filter((l) => l !== 'Edema' && l !== 'Emphysema' && l !== 'Fibrosis'),
);

/** The pointing-game goal for the localised findings (issue 15). */
export const POINTING_GOAL = 0.8;

/** A box in NIH's form: top-left corner, width and height, in the original image's pixels. */
export interface NihBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A box in the model's input crop, in pixels: [x0, x1] x [y0, y1], pixel k covering [k, k + 1). */
export interface CropBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * An original-image box in the model's input: the image was resized to resize x resize (from w x h),
 * then centre-cropped to crop x crop.
 */
export function boxToCrop(box: NihBox, w: number, h: number, resize: number, crop: number): CropBox {
  const off = Math.round((resize - crop) / 2);
  const sx = resize / w;
  const sy = resize / h;
  return { x0: box.x * sx - off, y0: box.y * sy - off, x1: (box.x + box.w) * sx - off, y1: (box.y + box.h) * sy - off };
}

/**
 * True when the centre of pixel (row, col) lies inside one of the boxes, or within `tolerance` pixels
 * (Euclidean) of one. Zhang et al. use 15 px at 224 px; tolerance 0 is the strict game.
 *
 * @example
 * ```ts
 * pointingHit({ row: 10, col: 12 }, [{ x0: 8, y0: 8, x1: 16, y1: 16 }]); // true
 * ```
 */
export function pointingHit(peak: { row: number; col: number }, boxes: readonly CropBox[], tolerance = 0): boolean {
  if (!(tolerance >= 0)) throw new RangeError(`pointingHit: tolerance must be >= 0, got ${tolerance}`);
  const x = peak.col + 0.5;
  const y = peak.row + 0.5;
  return boxes.some((b) => {
    const dx = Math.max(b.x0 - x, 0, x - b.x1);
    const dy = Math.max(b.y0 - y, 0, y - b.y1);
    return Math.hypot(dx, dy) <= tolerance;
  });
}

/** Per-finding pointing-game tallies. */
export interface PointingTally {
  /** true positives with a box */
  n: number;
  /** of those, peak inside a box */
  hit: number;
  /** of those, peak within the tolerance of a box */
  hitTolerant: number;
  /** of those, the image centre inside a box (a baseline that needs no model) */
  centre: number;
}

export const emptyTally = (): PointingTally => ({ n: 0, hit: 0, hitTolerant: 0, centre: 0 });

/**
 * Scores one true positive: its Grad-CAM peak (in input-crop pixels) against its boxes.
 * `tolerance` is in input-crop pixels.
 */
export function scorePointing(
  tally: PointingTally,
  peak: { row: number; col: number },
  boxes: readonly CropBox[],
  crop: number,
  tolerance: number,
): void {
  tally.n++;
  if (pointingHit(peak, boxes)) tally.hit++;
  if (pointingHit(peak, boxes, tolerance)) tally.hitTolerant++;
  const c = (crop - 1) / 2;
  if (pointingHit({ row: c, col: c }, boxes)) tally.centre++;
}

/** Zhang et al.'s 15 px at 224 px, scaled to an input of `crop` pixels. */
export const zhangTolerance = (crop: number) => (15 * crop) / 224;

/**
 * One summary of the pointing game: the localised findings against the goal, the diffuse ones
 * reported apart. `pointing` is NaN for a finding without scored true positives.
 */
export function formatPointingSummary(
  findings: readonly { label: string; pointing: number; pointingN: number; pointingTolerant?: number }[],
): string {
  const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '—');
  const local = findings.filter((f) => LOCALISED_FINDINGS.has(f.label as Cxr14Label));
  const diffuse = findings.filter((f) => !LOCALISED_FINDINGS.has(f.label as Cxr14Label));
  const scored = local.filter((f) => Number.isFinite(f.pointing));
  const below = scored.filter((f) => f.pointing < POINTING_GOAL).map((f) => f.label);
  const min = scored.length ? Math.min(...scored.map((f) => f.pointing)) : Number.NaN;
  const list = (fs: typeof findings) => fs.map((f) => `${f.label} ${f2(f.pointing)}`).join(', ');
  const lines = [
    `pointing game, localised findings (goal >= ${POINTING_GOAL}): ${list(local)}`,
    `  lowest ${f2(min)}; ${below.length === 0 ? 'all scored findings meet the goal' : `below the goal: ${below.join(', ')}`}`,
  ];
  if (local.some((f) => f.pointingTolerant !== undefined))
    lines.push(
      `  within Zhang et al.'s tolerance (15 px at 224 px): ${local.map((f) => `${f.label} ${f2(f.pointingTolerant ?? Number.NaN)}`).join(', ')}`,
    );
  lines.push(`pointing game, diffuse findings (drawn over both lungs; not counted): ${list(diffuse)}`);
  return lines.join('\n');
}

/** Labels in the data set's order, flagged as localised or not (for reports). */
export const localisedFlags = (): boolean[] => CXR14_LABELS.map((l) => LOCALISED_FINDINGS.has(l));
