import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CXR14_LABELS } from '../../src/data/datasets/chestxray14.js';
import { generateSyntheticCxr } from '../../src/data/datasets/synthetic-cxr.js';
import { freePort } from '../../src/distributed/workers.testutil.js';

const bin = fileURLToPath(new URL('../tszoo.js', import.meta.url));

/** Runs `node tszoo.js ...args` to its end (killed after two minutes): exit code and output. */
function tszoo(...args: string[]): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      out += b.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, out });
    });
  });
}

describe('cxr train under tszoo launch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tszoo-cxr-launch-'));
  const data = join(dir, 'data');
  const recipe = ['--backbone', 'small-cnn', '--width', '4', '--in-channels', '1', '--resize', '32', '--crop', '32'];
  before(() => generateSyntheticCxr(data, { count: 90, size: 32, seed: 3 }));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('trains data-parallel on two workers, each on its shard, and rank 0 saves a model that predicts', async () => {
    const model = join(dir, 'model');
    const port = String(await freePort());
    const run = await tszoo(
      'launch',
      '--nproc-per-node',
      '2',
      '--master-port',
      port,
      bin,
      'cxr',
      'train',
      '--data',
      data,
      ...recipe,
      '--epochs',
      '2',
      '--batch-size',
      '8',
      '--out',
      model,
    );
    assert.equal(run.status, 0, run.out);
    assert.match(run.out, /\[0\] fit: data-parallel over 2 workers: batch 8 per worker, global batch 16/);
    for (const rank of [0, 1]) {
      const start = new RegExp(
        `\\[${rank}\\] training small-cnn .* on (\\d+) images.*; (\\d+) iterations per epoch.*rank ${rank} of 2 workers`,
      ).exec(run.out);
      assert.ok(start, `rank ${rank} did not start:\n${run.out}`);
      // each rank takes half of every global batch of 16
      assert.equal(Number(start[2]), Math.ceil(Number(start[1]) / 16));
      assert.match(run.out, new RegExp(`\\[${rank}\\] model: .* \\(${2 * Number(start[2])} iterations`));
    }
    assert.ok(existsSync(join(model, 'cxr.json')));
    const image = join(data, 'images', '00000001_000.png');
    const out = join(dir, 'predictions.json');
    const predicted = await tszoo('cxr', 'predict', '--model', model, image, '--out', out);
    assert.equal(predicted.status, 0, predicted.out);
    const rows = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>[];
    assert.equal(rows.length, 1);
    for (const label of CXR14_LABELS) {
      const p = rows[0]?.[label];
      assert.ok(typeof p === 'number' && p > 0 && p < 1, `${label}: ${JSON.stringify(rows[0])}`);
    }
  });
});
