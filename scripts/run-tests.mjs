#!/usr/bin/env node
// Runs every test: lint, the generated-ops check, then node's test runner over the compiled *.test.js.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function findTests(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) findTests(p, out);
    else if (name.endsWith('.test.js')) out.push(relative(root, p));
  }
  return out;
}

function run(cmd, args) {
  console.log(`> ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

run(join(root, 'node_modules', '.bin', 'biome'), ['check', '.']);
run(process.execPath, ['dist/scripts/gen-ops.js', '--check']);
const filter = process.argv.slice(2);
const tests = findTests(join(root, 'dist')).filter((t) => filter.length === 0 || filter.some((f) => t.includes(f)));
run(process.execPath, ['--expose-gc', '--test', '--test-reporter=spec', ...tests]);
