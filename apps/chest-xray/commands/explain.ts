/** `tszoo cxr explain PATH...`: Grad-CAM heatmaps per finding as PNG overlays, and the raw maps as a review worklist. */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CXR14_LABELS } from '../../../src/data/datasets/chestxray14.js';
import { type CliCommand, CliUsageError, formatHelp, parseCommand } from '../../../src/util/cli.js';
import { upsampleMap } from '../gradcam.js';
import { loadCxrModel, operatingOf } from '../model-store.js';
import { writeOverlay } from '../overlay.js';
import { shown } from '../run.js';
import { decodeForModel, listImages, scoreFiles } from '../score.js';
import { writeWorklist } from '../worklist.js';

export const EXPLAIN_COMMAND: CliCommand = {
  name: 'cxr explain',
  summary:
    'The application\'s heatmaps, as evaluate and the review page show them (multi-layer LayerCAM: the last convolutional block times each earlier cut the backbone has; Grad-CAM at the last block for the zoo backbones): PNG overlays for the flagged findings (or all with --all) and the raw maps, written as a worklist that "cxr review" opens.',
  positionals: 'PATH...',
  options: {
    model: { type: 'string', value: 'DIR', default: 'runs/cxr/model', help: 'the trained model' },
    out: {
      type: 'string',
      value: 'DIR',
      default: 'runs/cxr/explained',
      help: 'overlays/<study>/<finding>.png, worklist.json, maps/',
    },
    all: { type: 'boolean', help: 'an overlay for every finding, not only the flagged ones' },
  },
  epilog:
    'Example:\n  tszoo cxr explain chest.dcm --out runs/cxr/explained && tszoo cxr review --worklist runs/cxr/explained',
};

export async function main(argv: string[]): Promise<number> {
  const { values, positionals, help } = parseCommand(EXPLAIN_COMMAND, argv, { allowPositionals: true });
  if (help) {
    process.stdout.write(formatHelp(EXPLAIN_COMMAND));
    return 0;
  }
  if (positionals.length === 0) throw new CliUsageError('cxr explain: give at least one image file or folder');
  const files = listImages(positionals);
  if (files.length === 0) throw new CliUsageError('cxr explain: no PNG, JPEG or DICOM file among the paths');
  const modelDir = resolve(values.model as string);
  const out = resolve(values.out as string);
  const { model, net, info } = await loadCxrModel(modelDir);
  const { thresholds, temperatures } = operatingOf(info);
  const { studies, errors } = await scoreFiles(files, model, net, info.recipe, thresholds, {
    heatmaps: true,
    temperatures,
  });
  for (const e of errors) process.stderr.write(`skipped ${e.file}: ${e.message}\n`);
  let overlays = 0;
  for (const s of studies) {
    const hm = s.heatmap;
    if (!hm) continue;
    const image = await decodeForModel(s.file, info.recipe);
    const dir = join(out, 'overlays', s.id);
    mkdirSync(dir, { recursive: true });
    for (const [k, label] of CXR14_LABELS.entries()) {
      if (!values.all && !s.flags.includes(label)) continue;
      const map = upsampleMap(Float32Array.from(hm.maps[k] ?? []), hm.h, hm.w, info.recipe.crop);
      await writeOverlay(join(dir, `${label}.png`), image, map, Math.max(1, Math.floor(256 / info.recipe.crop)));
      overlays++;
    }
  }
  writeWorklist(out, studies, { thresholds, modelDir, source: `cxr explain (${files.length} files)` });
  process.stdout.write(`${studies.length} studies, ${overlays} overlays, ${errors.length} skipped: ${shown(out)}\n`);
  net.dispose();
  return errors.length > 0 && studies.length === 0 ? 1 : 0;
}
