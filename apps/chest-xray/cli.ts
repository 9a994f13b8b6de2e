/**
 * `tszoo cxr <command>`: the chest X-ray application's commands. Each lives in its own module and is
 * loaded only when run.
 */
import { CliUsageError } from '../../src/util/cli.js';

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ main(argv: string[]): Promise<number> }> }> = {
  start: { summary: 'everything with embedded defaults (what npm start runs)', load: () => import('./start.js') },
  prepare: {
    summary: 'index a NIH ChestX-ray14 copy into a Parquet index; print counts and data problems',
    load: () => import('./commands/prepare.js'),
  },
  train: {
    summary: "train (the seed's recipe by default; flags or --config JSON override it)",
    load: () => import('./commands/train.js'),
  },
  evaluate: {
    summary: 'AUC with patient-bootstrap CIs, operating points, calibration, report',
    load: () => import('./commands/evaluate.js'),
  },
  predict: {
    summary: 'probabilities, flags and triage priority for PNG/JPEG/DICOM files',
    load: () => import('./commands/predict.js'),
  },
  explain: {
    summary: 'Grad-CAM heatmaps per finding as PNG overlays and raw maps',
    load: () => import('./commands/explain.js'),
  },
  serve: { summary: 'HTTP predict endpoint and the review page', load: () => import('./commands/serve.js') },
  review: {
    summary: 'the review page for a worklist (same server as serve)',
    load: () => import('./commands/serve.js'),
  },
};

function usage(): string {
  const lines = [
    'Usage: tszoo cxr <command> [options]',
    '',
    'Chest X-ray triage for the 14 ChestX-ray14 findings.',
    '',
    'Commands:',
  ];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)}${c.summary}`);
  lines.push('', "Run 'tszoo cxr <command> --help' for a command's options.");
  return `${lines.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) throw new CliUsageError(`tszoo cxr: unknown command '${name}'\n\n${usage()}`);
  const mod = await command.load();
  return name === 'review' ? mod.main(['--review', ...rest]) : mod.main(rest);
}
