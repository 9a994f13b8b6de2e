import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

describe('npm start demo', () => {
  it('trains in a worker, prints the loss falling and exits 0', () => {
    const main = fileURLToPath(new URL('./main.js', import.meta.url));
    const r = spawnSync(process.execPath, [main], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const m = /loss fell from ([\d.]+) to ([\d.]+); main event loop max delay ([\d.]+) ms/.exec(r.stdout);
    assert.ok(m, r.stdout);
    const [initial, final] = [Number(m[1]), Number(m[2])];
    assert.ok(final < initial / 5, `${initial} -> ${final}`);
    assert.match(r.stdout, /epoch 10: mse/);
    assert.match(r.stdout, /it\/s\]/, 'progress lines show throughput');
  });
});
