import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const fuzzer = fileURLToPath(new URL('../../scripts/fuzz-ops.js', import.meta.url));

describe('fuzzing the wrapped ops', () => {
  for (const seed of [11, 12]) {
    it(`survives 2500 random calls (seed ${seed}) with only JS errors and no leaked tensors`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'tszoo-fuzz-'));
      const log = join(dir, 'calls.log');
      const r = spawnSync(process.execPath, [fuzzer, '--seed', String(seed), '--count', '2500', '--log', log], {
        encoding: 'utf8',
        timeout: 300_000,
      });
      const lastCall = readFileSync(log, 'utf8').trimEnd().split('\n').pop();
      rmSync(dir, { recursive: true, force: true });
      assert.equal(r.signal, null, `native crash (${r.signal}) at: ${lastCall}`);
      assert.equal(r.status, 0, `fuzzer failed at: ${lastCall}\n${r.stderr.slice(-2000)}`);
      const summary = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, number>;
      assert.equal(summary.returned + summary.jsErrors, 2500);
      assert.ok(summary.returned > 250, 'many calls were valid');
      assert.ok(summary.jsErrors > 250, 'many calls were rejected');
      assert.ok(summary.distinctErrorSources > 20, 'errors name many different ops');
      assert.equal(summary.liveTensors, 0);
    });
  }
});
