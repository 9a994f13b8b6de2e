/**
 * Every TypeScript block of README.md runs as written. A ```ts block is transpiled and run in a child
 * process, in a fresh temporary folder (files it writes land there), with `tszoo` resolving to this
 * checkout; the test fails, naming the README line, when one exits with an error. A block that cannot run
 * here (it needs a downloaded file, a GPU, a cluster) says why in its info string:
 * ```ts no-run: needs a downloaded resnet50.onnx
 * Run one block by its line: `TSZOO_README_LINE=313 node --test dist/scripts/readme.test.js`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** A fenced TypeScript block of a Markdown file. */
export interface CodeBlock {
  /** 1-based line of the opening fence */
  line: number;
  code: string;
  /** the reason after `no-run:`, when the block is not to be run */
  skip: string | null;
}

/** The ```ts / ```typescript blocks of a Markdown text (fences at the start of a line). */
export function typescriptBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^```(\w*)\s*(.*)$/.exec(lines[i] as string);
    if (!m) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (end < 0) throw new Error(`README.md:${i + 1}: code block is not closed`);
    if (m[1] === 'ts' || m[1] === 'typescript') {
      const info = (m[2] as string).trim();
      let skip: string | null = null;
      if (info.startsWith('no-run')) {
        skip = info.replace(/^no-run:?\s*/, '');
        if (skip === '')
          throw new Error(`README.md:${i + 1}: 'no-run' needs a reason, e.g. 'no-run: needs resnet50.onnx'`);
      }
      blocks.push({ line: i + 1, code: lines.slice(i + 1, end).join('\n'), skip });
    }
    i = end;
  }
  return blocks;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A folder whose node_modules has this checkout as `tszoo` beside the checkout's own dependencies. */
function sandbox(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tszoo-readme-'));
  const modules = join(dir, 'node_modules');
  mkdirSync(modules);
  for (const name of readdirSync(join(root, 'node_modules'))) {
    if (name.startsWith('.')) continue;
    symlinkSync(join(root, 'node_modules', name), join(modules, name));
  }
  symlinkSync(root, join(modules, 'tszoo'));
  return dir;
}

function runBlock(block: CodeBlock): void {
  const js = ts.transpileModule(block.code, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    reportDiagnostics: true,
  });
  const syntax = js.diagnostics?.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')) ?? [];
  assert.deepEqual(syntax, [], `README.md:${block.line}: does not parse`);
  const dir = sandbox();
  try {
    writeFileSync(join(dir, 'block.mjs'), js.outputText);
    const r = spawnSync(process.execPath, ['--expose-gc', 'block.mjs'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 240_000,
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    const why = r.error ? r.error.message : `exit ${r.status ?? r.signal}`;
    assert.ok(
      r.status === 0,
      `README.md:${block.line}: the block failed (${why}):\n${(r.stderr || r.stdout).slice(-4000)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('README.md', () => {
  const blocks = typescriptBlocks(readFileSync(join(root, 'README.md'), 'utf8'));
  const only = process.env.TSZOO_README_LINE ? Number(process.env.TSZOO_README_LINE) : null;

  it('has TypeScript blocks, and every skipped one says why', () => {
    assert.ok(blocks.length > 0);
    assert.deepEqual(
      typescriptBlocks('a\n```ts no-run: needs x.onnx\nimport x;\n```\n```sh\nls\n```\n```typescript\n1;\n```\n'),
      [
        { line: 2, code: 'import x;', skip: 'needs x.onnx' },
        { line: 8, code: '1;', skip: null },
      ],
    );
    assert.throws(() => typescriptBlocks('```ts no-run\n1\n```\n'), /'no-run' needs a reason/);
  });

  for (const block of blocks) {
    if (only !== null && block.line !== only) continue;
    const title = `block at line ${block.line} runs as written`;
    if (block.skip) it.skip(`${title} (${block.skip})`, () => {});
    else it(title, { timeout: 300_000 }, () => runBlock(block));
  }
});
