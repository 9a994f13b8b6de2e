import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

describe('npm start demo', () => {
  it('trains through Estimator.fit in a worker (runInWorker), prints the loss falling and exits 0', () => {
    const main = fileURLToPath(new URL('./main.js', import.meta.url));
    const r = spawnSync(process.execPath, [main], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const out = r.stdout;
    const m = /loss fell from ([\d.]+) to ([\d.]+) \(held-out mse\); main event loop max delay ([\d.]+) ms/.exec(out);
    assert.ok(m, out);
    const [initial, final] = [Number(m[1]), Number(m[2])];
    assert.ok(final < initial / 5, `${initial} -> ${final}`);
    assert.match(out, /tensors left in the worker: 0\n/);
    // the recipe's message (ctx.send) arrives before its first training event
    const start = out.search(/^worker: \d+ intra-op threads, 385 parameters, 10 epochs/m);
    assert.ok(start >= 0 && start < out.search(/^epoch 1 /m), out);
    assert.match(out, /samples\/s\] loss/, 'progress lines show throughput');
    // the pipeline's last validation (in batches) and the recipe's own MSE on the same held-out rows (one
    // batch of 2000: other GEMM shapes) agree to float32 rounding, within one unit of the printed 5 decimals
    const last = /^epoch 10: mse [\d.]+ \(training batches' mean\), held-out mse ([\d.]+)/m.exec(out);
    assert.ok(last, out);
    assert.ok(Math.abs(Number(last[1]) - final) <= 1e-5, `${last[1]} vs ${final}`);
  });
});
