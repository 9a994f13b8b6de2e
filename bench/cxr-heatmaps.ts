/**
 * The strict pointing game of several heatmaps on one trained chest X-ray model, on the validation and
 * the test split of its synthetic data: the application's map (`appCam`), the one it used before session
 * 21 (LayerCAM at the last block, before it and before the last pool), and LayerCAM at each layer alone.
 * A heatmap is chosen on validation and reported on test. Scores count true positives flagged at the
 * model's operating points, as `cxr evaluate` does.
 *
 *   npm run bench:cxr-heatmaps -- [--run runs/cxr]      (after `npm start`, or `cxr start --out DIR`)
 *
 * Prints one table per split (share of peaks inside a box, per localised finding; `met` counts findings
 * at the goal) and, last, `app_lowest_test <x> met <n> of <m>`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadIndex } from '../apps/chest-xray/commands/common.js';
import type { CxrRow } from '../apps/chest-xray/dataset.js';
import { readBoxes } from '../apps/chest-xray/evaluate-recipe.js';
import {
  appCam,
  camAt,
  gradCam,
  type HeatmapBatch,
  peakOf,
  productOf,
  upsampleMap,
} from '../apps/chest-xray/gradcam.js';
import { calibrated, loadCxrModel, operatingOf } from '../apps/chest-xray/model-store.js';
import { boxToCrop, LOCALISED_FINDINGS, POINTING_GOAL, pointingHit } from '../apps/chest-xray/pointing-game.js';
import { decodeOptions, evalTransform } from '../apps/chest-xray/transforms.js';
import { triage } from '../apps/chest-xray/triage.js';
import { CXR14_LABELS } from '../src/data/datasets/chestxray14.js';
import { decodeImageFile } from '../src/data/image/decode-file.js';
import { torch } from '../src/index.js';

const at = process.argv.indexOf('--run');
const run = at >= 0 ? (process.argv[at + 1] as string) : 'runs/cxr';
const data = existsSync(run) ? readdirSync(run).find((d) => d.startsWith('synthetic-')) : undefined;
if (!data || !existsSync(join(run, 'model'))) {
  console.error(`bench:cxr-heatmaps: no ${join(run, 'model')} or synthetic-N data in ${run}; run 'npm start' first`);
  process.exit(2);
}
const root = join(run, data);
const { net, info } = await loadCxrModel(join(run, 'model'));
const { thresholds, temperatures } = operatingOf(info);
const r = info.recipe;
const index = await loadIndex({
  data: root,
  split: r.split,
  'val-fraction': String(r.valFraction),
  seed: String(r.seed),
});
const boxes = readBoxes(join(root, 'BBox_List_2017.csv'));
const transform = evalTransform(r);
const cuts = net.camCuts;
if (cuts.length < 6)
  throw new Error(`bench:cxr-heatmaps: needs the small CNN's cuts, ${r.backbone} has ${cuts.length}`);
type Variant = (x: torch.Tensor) => HeatmapBatch;
const layer = (k: number) => (k < 0 ? undefined : cuts[k]);
const names = ['last block', ...cuts.map((_, k) => `cut ${k + 1} (${['21', '18', '14', '11', '7', '4'][k]})`)];
const variants: [string, Variant][] = [
  [`app heatmap (appCam)`, (x) => gradCam(net, x, 14, appCam(net).options)],
  // before session 21: the last block, before it (cut 1) and before the last pool (cut 3)
  [
    'LayerCAM last block x cut 1 x cut 3 (before session 21)',
    (x) => productOf([-1, 0, 2].map((k) => camAt(net, x, 14, layer(k), true))),
  ],
  ...[-1, 0, 1, 2, 3, 4, 5].map((k): [string, Variant] => [
    `LayerCAM ${names[k + 1]} alone`,
    (x) => camAt(net, x, 14, layer(k), true),
  ]),
];
const localised = CXR14_LABELS.filter((l) => LOCALISED_FINDINGS.has(l));
let appLowest = Number.NaN;
let appMet = 0;
let appScored = 0;
for (const split of ['val', 'test'] as const) {
  const rows = index.rows.filter((x) => x.split === split && boxes.has(x.imageIndex));
  const hits = variants.map(() => localised.map(() => ({ n: 0, hit: 0 })));
  for (let s = 0; s < rows.length; s += 32) {
    const part = rows.slice(s, s + 32) as CxrRow[];
    const images = await Promise.all(part.map((row) => decodeImageFile(row.path, decodeOptions(r))));
    const batch = torch.scope(() => torch.keep(torch.stack(images.map((im) => transform.apply(im, Math.random)))));
    const probs = torch.scope(() => torch.sigmoid(net.forward(batch)).contiguous().data() as Float32Array);
    const maps = variants.map(([, v]) => v(batch));
    batch.dispose();
    part.forEach((row, b) => {
      const flags = triage(calibrated(probs.slice(b * 14, b * 14 + 14), temperatures), thresholds).flags;
      localised.forEach((label, j) => {
        const k = CXR14_LABELS.indexOf(label);
        const drawn = boxes.get(row.imageIndex)?.get(label);
        if (!drawn || row.labels[k] !== 1 || !flags.includes(label)) return;
        const inCrop = drawn.map((bx) => boxToCrop(bx, r.resize, r.resize, r.resize, r.crop));
        maps.forEach((m, v) => {
          const up = upsampleMap(m.maps[b]?.[k] as Float32Array, m.height, m.width, r.crop);
          const tally = hits[v]?.[j] as { n: number; hit: number };
          tally.n++;
          if (pointingHit(peakOf(up, r.crop), inCrop)) tally.hit++;
        });
      });
    });
  }
  console.log(
    `\n${split === 'val' ? 'validation' : 'test'} split, strict pointing game (true positives: ${hits[0]?.map((t) => t.n).join(' ')})`,
  );
  console.log(['heatmap'.padEnd(60), ...localised.map((l) => l.slice(0, 6).padStart(6)), '   met'].join(' '));
  variants.forEach(([name], v) => {
    const shares = (hits[v] ?? []).map((t) => (t.n > 0 ? t.hit / t.n : Number.NaN));
    const scored = shares.filter((x) => !Number.isNaN(x));
    const met = scored.filter((x) => x >= POINTING_GOAL).length;
    console.log(
      [
        name.slice(0, 60).padEnd(60),
        ...shares.map((x) => x.toFixed(2).padStart(6)),
        `${met}/${scored.length}`.padStart(6),
      ].join(' '),
    );
    if (v === 0 && split === 'test') [appLowest, appMet, appScored] = [Math.min(...scored), met, scored.length];
  });
}
console.log(`\napp_lowest_test ${appLowest.toFixed(2)} met ${appMet} of ${appScored}`);
net.dispose();
