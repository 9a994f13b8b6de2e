import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runTabular, writeSyntheticInsuranceCsv } from './recipe.js';

const dir = mkdtempSync(join(tmpdir(), 'tszoo-tabular-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('examples/tabular', () => {
  it('CSV -> feature stages -> NN regressor -> evaluate -> save -> load -> predict', { timeout: 120_000 }, async () => {
    const csv = join(dir, 'insurance.csv');
    await writeSyntheticInsuranceCsv(csv, 600, 3);
    const r = await runTabular({ csv, out: join(dir, 'pipeline'), epochs: 40, seed: 1 });
    assert.ok(r.test.r2 > 0.9, `test r2 ${r.test.r2}`);
    assert.ok(existsSync(join(dir, 'pipeline', 'pipeline.json')));
    assert.equal(r.sample.length, 5);
    // the reloaded pipeline predicts charges within a few thousand (the noise is +-1000, smokers +20000)
    for (const s of r.sample) assert.ok(Math.abs(s.prediction - s.charges) < 6000, JSON.stringify(s));
  });
});
