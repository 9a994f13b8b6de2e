import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('./tszoo.js', import.meta.url));
const tszoo = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

describe('the tszoo command', () => {
  it('lists its commands with --help and exits 0', () => {
    const r = tszoo('--help');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Usage: tszoo <command>/);
  });

  it('rejects an unknown command with exit status 2 and the usage', () => {
    const r = tszoo('no-such-command');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown command 'no-such-command'/);
    assert.match(r.stderr, /Usage: tszoo <command>/);
  });
});
