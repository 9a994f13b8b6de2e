#!/usr/bin/env node
/**
 * The `tszoo` command. Each subcommand lives beside what it runs (the platform's in src/, the
 * applications' in apps/) and exports `main(argv): Promise<number>` (the exit status); this file only
 * dispatches, so loading one subcommand never loads the others.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CliUsageError } from '../src/util/cli.js';

/** What a subcommand module exports. */
export interface Subcommand {
  main(argv: string[]): Promise<number>;
}

const COMMANDS: Record<string, { summary: string; load: () => Promise<Subcommand> }> = {
  // launch: distributed training workers (src/distributed); serve: model serving (src/serving);
  // cxr: the chest X-ray application (apps/chest-xray). Each adds its line here.
  launch: {
    summary: 'start supervised data-parallel training workers',
    load: () => import('../src/distributed/launch.js'),
  },
  serve: {
    summary: 'serve a saved model over HTTP, or as Cluster Serving workers on Redis',
    load: () => import('../src/serving/serve-cli.js'),
  },
  cxr: {
    summary: 'chest X-ray triage: prepare, train, evaluate, predict, explain, serve, review',
    load: () => import('./chest-xray/cli.js'),
  },
};

function usage(): string {
  const width = Math.max(8, ...Object.keys(COMMANDS).map((c) => c.length)) + 2;
  const lines = ['Usage: tszoo <command> [options]', '', 'Commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(width)}${c.summary}`);
  lines.push('', "Run 'tszoo <command> --help' for a command's options.");
  return `${lines.join('\n')}\n`;
}

/** Runs the command line `argv` (without node and the script) and resolves with the exit status. */
export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`tszoo: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    return await (await command.load()).main(rest);
  } catch (e) {
    if (e instanceof CliUsageError) {
      process.stderr.write(`${e.message}\nRun 'tszoo ${name} --help' for usage.\n`);
      return 2;
    }
    process.stderr.write(`tszoo ${name}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

const invokedDirectly = (() => {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
})();
if (invokedDirectly) {
  runCli(process.argv.slice(2)).then((status) => {
    process.exitCode = status;
  });
}
