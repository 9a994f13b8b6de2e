import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

describe('public API under bad input', () => {
  it('answers unknown options, wrong types and out-of-range values with clear Errors, in a process that survives', () => {
    const fixture = join(dirname(fileURLToPath(import.meta.url)), 'api-fuzz.fixture.js');
    const r = spawnSync(process.execPath, ['--expose-gc', fixture], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.signal, null, `the process died of ${r.signal}:\n${r.stderr.slice(-2000)}`);
    assert.equal(r.status, 0, `the process failed:\n${r.stderr.slice(-2000)}`);
    const { calls, findings } = JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as {
      calls: number;
      findings: { call: string; problem: string }[];
    };
    assert.ok(calls > 100, `only ${calls} calls`);
    assert.deepEqual(findings, []);
  });
});
