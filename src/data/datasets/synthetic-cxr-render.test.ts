import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../sampler.js';
import { CXR14_LABELS } from './chestxray14.js';
import { drawCxr, renderCxrWithRegions } from './synthetic-cxr-render.js';

describe('synthetic chest X-ray boxes', () => {
  // Two scenes from one seed, with and without a finding, run the same additions everywhere the finding
  // did not draw, so their pixels differ exactly where it drew (exact comparison is sound here).
  it('hold every pixel a finding changed, counting pixel k as [k, k + 1) with its centre at k + 0.5, and no more', () => {
    for (const size of [64, 97]) {
      for (const label of CXR14_LABELS) {
        for (let seed = 1; seed <= 12; seed++) {
          const withIt = drawCxr(size, new Set([label]), seededRandom(seed));
          const without = drawCxr(size, new Set(), seededRandom(seed));
          const boxes = (withIt.regions.find((r) => r.label === label)?.boxes ?? []).map((b) => b.map((v) => v * size));
          assert.ok(boxes.length > 0, `${label}: boxes recorded`);
          // the hull of the changed pixels' centres: [x0, y0, x1, y1]
          const seen = [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, -1, -1];
          for (let y = 0; y < size; y++) {
            for (let x = 0; x < size; x++) {
              if (withIt.pixels[y * size + x] === without.pixels[y * size + x]) continue;
              const [cx, cy] = [x + 0.5, y + 0.5];
              const inside = boxes.some(([x0, y0, x1, y1]) => cx >= x0 && cx <= x1 && cy >= y0 && cy <= y1);
              assert.ok(inside, `${label} (size ${size}, seed ${seed}): pixel (${x}, ${y}) changed outside its boxes`);
              [cx, cy, cx, cy].forEach((v, i) => {
                seen[i] = (i < 2 ? Math.min : Math.max)(seen[i] as number, v);
              });
            }
          }
          // tight: the boxes' hull reaches at most one pixel beyond the changed pixels' centres
          const hull = [0, 1, 2, 3].map((i) => (i < 2 ? Math.min : Math.max)(...boxes.map((b) => b[i] as number)));
          for (let i = 0; i < 4; i++) {
            const gap = Math.abs((hull[i] as number) - (seen[i] as number));
            assert.ok(
              gap <= 1,
              `${label} (size ${size}, seed ${seed}): box side ${i} lies ${gap.toFixed(2)} px from the drawing`,
            );
          }
        }
      }
    }
  });

  it('render the scene drawCxr draws, then exposure, with the same boxes', () => {
    const findings = new Set(['Mass', 'Effusion'] as const);
    const scene = drawCxr(48, findings, seededRandom(5));
    const image = renderCxrWithRegions(48, findings, seededRandom(5));
    assert.deepEqual(image.regions, scene.regions);
    assert.notDeepEqual(image.pixels, scene.pixels);
    assert.ok(image.pixels.every((v) => v >= 0 && v <= 1));
  });
});
