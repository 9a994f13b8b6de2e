import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CXR14_LABELS } from '../../src/data/datasets/chestxray14.js';
import { peakOf, upsampleMap } from './gradcam.js';
import {
  boxToCrop,
  emptyTally,
  formatPointingSummary,
  LOCALISED_FINDINGS,
  pointingHit,
  scorePointing,
  zhangTolerance,
} from './pointing-game.js';

describe('pointing game', () => {
  it('scores a hand-made map against a hand-made box: peak inside, outside, within the tolerance', () => {
    // a 4x4 map whose peak is cell (row 2, col 1); bilinear upsampling to 16 px keeps it in that cell
    const map = new Float32Array(16);
    map[2 * 4 + 1] = 1;
    map[2 * 4 + 2] = 0.5;
    const up = upsampleMap(map, 4, 4, 16);
    const peak = peakOf(up, 16);
    // cell (2, 1) covers rows 8..11 and columns 4..7; the neighbour to its right pulls the peak to its right half
    assert.ok(peak.row >= 8 && peak.row <= 11 && peak.col >= 6 && peak.col <= 7, JSON.stringify(peak));
    // the pixel centre (col + 0.5, row + 0.5) must lie in [x0, x1] x [y0, y1]
    assert.equal(pointingHit({ row: 9, col: 6 }, [{ x0: 6, y0: 9, x1: 7, y1: 10 }]), true);
    assert.equal(pointingHit({ row: 9, col: 6 }, [{ x0: 6.6, y0: 9, x1: 8, y1: 10 }]), false);
    // one of several boxes is enough
    assert.equal(
      pointingHit({ row: 9, col: 6 }, [
        { x0: 0, y0: 0, x1: 2, y1: 2 },
        { x0: 5, y0: 8, x1: 8, y1: 12 },
      ]),
      true,
    );
    // 3 px right of a box's edge and 4 px below it: 5 px away (Euclidean), a hit from tolerance 5 on
    const far = { row: 14 - 0.5, col: 13 - 0.5 };
    const box = { x0: 0, y0: 0, x1: 10, y1: 10 };
    assert.equal(pointingHit(far, [box]), false);
    assert.equal(pointingHit(far, [box], 4.99), false);
    assert.equal(pointingHit(far, [box], 5), true);
    assert.throws(() => pointingHit(far, [box], -1), /tolerance must be >= 0/);
  });

  it('maps NIH boxes through resize and centre crop, and tallies hits, tolerant hits and the centre baseline', () => {
    // 1024 px original resized to 256 and cropped to 224: offset 16
    assert.deepEqual(boxToCrop({ x: 512, y: 256, w: 128, h: 64 }, 1024, 1024, 256, 224), {
      x0: 112,
      y0: 48,
      x1: 144,
      y1: 64,
    });
    assert.equal(zhangTolerance(224), 15);
    const t = emptyTally();
    const centreBox = [{ x0: 20, y0: 20, x1: 40, y1: 40 }];
    scorePointing(t, { row: 30, col: 30 }, centreBox, 64, zhangTolerance(64));
    scorePointing(t, { row: 30, col: 43 }, centreBox, 64, zhangTolerance(64)); // 3.5 px right of the box
    scorePointing(t, { row: 2, col: 2 }, [{ x0: 50, y0: 50, x1: 60, y1: 60 }], 64, zhangTolerance(64));
    assert.deepEqual(t, { n: 3, hit: 1, hitTolerant: 2, centre: 2 });
  });

  it('counts NIH’s eight boxed findings as localised and the diffuse ones apart', () => {
    for (const l of [
      'Atelectasis',
      'Cardiomegaly',
      'Effusion',
      'Infiltration',
      'Mass',
      'Nodule',
      'Pneumonia',
      'Pneumothorax',
    ])
      assert.ok(LOCALISED_FINDINGS.has(l as never), l);
    for (const l of ['Edema', 'Emphysema', 'Fibrosis']) assert.ok(!LOCALISED_FINDINGS.has(l as never), l);
    const findings = CXR14_LABELS.map((label) => ({
      label,
      pointing: label === 'Nodule' ? 0.5 : label === 'Hernia' ? Number.NaN : 0.9,
      pointingN: 10,
    }));
    const text = formatPointingSummary(findings);
    assert.match(text, /localised findings \(goal >= 0\.8\): Atelectasis 0\.90, .*Nodule 0\.50.*Hernia —/);
    assert.match(text, /lowest 0\.50; below the goal: Nodule\n/);
    assert.match(text, /diffuse findings .*: Edema 0\.90, Emphysema 0\.90, Fibrosis 0\.90$/);
    assert.doesNotMatch(text, /tolerance/);
    const tolerant = formatPointingSummary(findings.map((f) => ({ ...f, pointingTolerant: 1 })));
    assert.match(tolerant, /within Zhang et al.'s tolerance \(15 px at 224 px\): Atelectasis 1\.00, /);
  });
});
