/**
 * End to end on a tiny synthetic set: prepare -> train (one short epoch) -> evaluate -> predict (PNG and
 * DICOM) -> explain -> review server -> the review page in headless Chromium (Debian's, driven by
 * playwright-core): worklist, open a study, toggle a heatmap, record a review with a note, reload and
 * see it kept; a restart keeps it too; CSV export; token, id and body checks.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import sharp from 'sharp';
import { generateSyntheticCxr } from '../../src/data/datasets/synthetic-cxr.js';
import { runCommand } from './cli.testutil.js';
import { main as evaluate } from './commands/evaluate.js';
import { main as explain } from './commands/explain.js';
import { main as predict } from './commands/predict.js';
import { main as prepare } from './commands/prepare.js';
import { main as train } from './commands/train.js';
import { writeCxrDicom } from './dicom.testutil.js';
import { readModelInfo } from './model-store.js';
import { localPredictor } from './server/predictor.js';
import { type ReviewServer, startReviewServer } from './server/server.js';
import { readWorklist } from './worklist.js';

const dir = mkdtempSync(join(tmpdir(), 'tszoo-cxr-e2e-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const data = join(dir, 'nih');
const model = join(dir, 'model');
const out = join(dir, 'run');
const dicom = join(dir, 'scans', 'patient-a.dcm');

before(async () => {
  await generateSyntheticCxr(data, { count: 90, size: 32, seed: 3 });
  const { data: grey, info } = await sharp(join(data, 'images', '00000001_000.png'))
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(dir, 'scans'));
  writeCxrDicom(dicom, new Uint8Array(grey), info.width, info.height, {
    patientId: 'PAT-0042',
    studyInstanceUid: '1.2.826.0.1.3680043.8.498.77',
  });
});

describe('chest X-ray application end to end', () => {
  let server: ReviewServer | null = null;
  after(async () => server?.close());

  it('prepares, trains, evaluates, predicts, explains', async () => {
    const prepared = await runCommand(prepare, ['--data', data, '--out', join(dir, 'index.parquet')]);
    assert.equal(prepared.status, 0);
    assert.match(prepared.out, /Cardiomegaly\s+\d+\s+\d+\s+\d+/);
    assert.match(prepared.out, /missing images: 0 of train_val_list.txt, 0 of test_list.txt/);
    assert.ok(existsSync(join(dir, 'index.parquet')));
    const recipe = ['--backbone', 'small-cnn', '--width', '4', '--in-channels', '1', '--resize', '32', '--crop', '32'];
    const trained = await runCommand(train, [
      '--index',
      join(dir, 'index.parquet'),
      '--out',
      model,
      ...recipe,
      '--normalize',
      'none',
      '--epochs',
      '1',
      '--warmup-epochs',
      '0',
      '--lr',
      '0.003',
      '--batch-size',
      '16',
      '--workers',
      '0',
    ]);
    assert.equal(trained.status, 0);
    assert.match(trained.out, /backbone\s+small-cnn/);
    const evaluated = await runCommand(evaluate, [
      '--data',
      data,
      '--model',
      model,
      '--out',
      out,
      '--bootstrap',
      '20',
      '--worklist',
      '12',
    ]);
    assert.equal(evaluated.status, 0);
    assert.match(evaluated.out, /^mean\s+\d\.\d{3}/m);
    assert.ok(existsSync(join(out, 'report.html')));
    const report = readFileSync(join(out, 'report.html'), 'utf8');
    assert.match(report, /CheXNet/);
    assert.match(report, /pointing game/);
    const info = readModelInfo(model);
    assert.equal(info.thresholds?.length, 14);
    const worklist = readWorklist(join(out, 'worklist'));
    assert.equal(worklist.studies.length, 12);
    for (let i = 1; i < worklist.studies.length; i++) {
      assert.ok((worklist.studies[i - 1]?.priority ?? 0) >= (worklist.studies[i]?.priority ?? 0), 'sorted by priority');
    }
    const csv = join(dir, 'pred.csv');
    const predicted = await runCommand(predict, [
      '--model',
      model,
      '--out',
      csv,
      join(data, 'images', '00000002_000.png'),
      dicom,
    ]);
    assert.equal(predicted.status, 0);
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines.find((l) => l.includes('patient-a')) ?? '', /PAT-0042,1\.2\.826\.0\.1\.3680043\.8\.498\.77/);
    const explained = await runCommand(explain, ['--model', model, '--out', join(dir, 'explained'), '--all', dicom]);
    assert.equal(explained.status, 0);
    assert.ok(existsSync(join(dir, 'explained', 'overlays', 'patient-a', 'Nodule.png')));
    assert.ok(existsSync(join(dir, 'explained', 'maps', 'patient-a.json')));
  });

  it('serves the review page: worklist, study, heatmap, review kept across reload and restart', async () => {
    const db = join(dir, 'reviews.duckdb');
    const predictor = await localPredictor(model);
    server = await startReviewServer({ worklistDir: join(out, 'worklist'), db, port: 0, predictor });
    // a fresh profile per run (playwright passes it as --user-data-dir)
    const browser = await chromium.launchPersistentContext(mkdtempSync(join(dir, 'chromium-')), {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(server.url);
      await page.waitForSelector('#worklist tbody tr');
      assert.equal(await page.locator('#worklist tbody tr').count(), 12);
      const firstId = await page.locator('#worklist tbody tr').first().getAttribute('data-id');
      // keyboard: the first row is selected, Enter opens it
      await page.locator('#worklist tbody tr').first().focus();
      await page.keyboard.press('Enter');
      await page.waitForSelector('#study-view:not([hidden]) #findings tbody tr');
      assert.equal(await page.locator('#findings tbody tr').count(), 14);
      await page.locator('#findings tbody tr[data-finding="Effusion"] button.heat-toggle').click();
      assert.match((await page.locator('#heatmap-state').textContent()) ?? '', /heatmap: Effusion/);
      assert.equal(await page.locator('#heat').isHidden(), false);
      const row = page.locator('#findings tbody tr[data-finding="Cardiomegaly"]');
      await row.locator('input.note').fill('heart size borderline');
      await row.locator('button.verdict.disagree').click();
      await page.waitForSelector('#findings tbody tr[data-finding="Cardiomegaly"] .verdict-disagree');
      await page.screenshot({ path: join(dir, 'review.png') });
      assert.ok(readFileSync(join(dir, 'review.png')).length > 1000);
      await page.reload();
      await page.waitForSelector('#worklist tbody tr');
      await page.locator(`#worklist tbody tr[data-id="${firstId}"]`).click();
      await page.waitForSelector('#findings tbody tr[data-finding="Cardiomegaly"] .verdict-disagree');
      assert.equal(
        await page.locator('#findings tbody tr[data-finding="Cardiomegaly"] input.note').inputValue(),
        'heart size borderline',
      );
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
    // a restart keeps the review; the CSV export has it
    await server.close();
    server = await startReviewServer({ worklistDir: join(out, 'worklist'), db, port: 0, predictor });
    const worklist = readWorklist(join(out, 'worklist'));
    const id = worklist.studies[0]?.id as string;
    const study = (await (await fetch(`${server.url}api/studies/${id}`)).json()) as {
      reviews: Record<string, { verdict: string; note: string }>;
    };
    assert.deepEqual(
      { ...study.reviews.Cardiomegaly, at: undefined, reviewer: undefined, studyId: undefined, finding: undefined },
      {
        verdict: 'disagree',
        note: 'heart size borderline',
        at: undefined,
        reviewer: undefined,
        studyId: undefined,
        finding: undefined,
      },
    );
    const csv = await (await fetch(`${server.url}api/reviews.csv`)).text();
    assert.match(csv, new RegExp(`^${id},Cardiomegaly,disagree,heart size borderline,reviewer,`, 'm'));
    // inputs are checked: ids never become paths, verdicts and findings are validated
    assert.equal((await fetch(`${server.url}api/studies/..%2F..%2Fetc%2Fpasswd`)).status, 400);
    assert.equal((await fetch(`${server.url}api/studies/nope/pixels`)).status, 404);
    const put = (finding: string, body: unknown) =>
      fetch(`${server?.url}api/studies/${id}/reviews/${finding}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    assert.equal((await put('Flu', { verdict: 'agree' })).status, 400);
    assert.equal((await put('Mass', { verdict: 'maybe' })).status, 400);
    assert.equal((await put('Mass', { verdict: 'agree', note: 'x'.repeat(2001) })).status, 400);
    // predict endpoint on PNG and DICOM bytes; garbage is a 422 and the server keeps running
    const png = readFileSync(join(data, 'images', '00000002_000.png'));
    const p = (await (
      await fetch(`${server.url}api/predict`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: png })
    ).json()) as { probabilities: number[] };
    assert.equal(p.probabilities.length, 14);
    const d = (await (
      await fetch(`${server.url}api/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/dicom' },
        body: readFileSync(dicom),
      })
    ).json()) as { patientId: string };
    assert.equal(d.patientId, 'PAT-0042');
    assert.equal(
      (
        await fetch(`${server.url}api/predict`, {
          method: 'POST',
          headers: { 'content-type': 'image/png' },
          body: Buffer.from('not a png'),
        })
      ).status,
      422,
    );
    assert.equal((await fetch(`${server.url}api/worklist`)).status, 200);
  });

  it('generates a token when bound wider than loopback', async () => {
    const s = await startReviewServer({
      worklistDir: join(dir, 'explained'),
      db: join(dir, 'r3.duckdb'),
      host: '0.0.0.0',
      port: 0,
    });
    try {
      assert.ok(s.token && s.token.length >= 16);
      const port = new URL(s.url).port;
      assert.equal((await fetch(`http://127.0.0.1:${port}/api/worklist`)).status, 401);
      const ok = await fetch(`http://127.0.0.1:${port}/api/worklist`, {
        headers: { authorization: `Bearer ${s.token}` },
      });
      assert.equal(ok.status, 200);
    } finally {
      await s.close();
    }
  });

  it('requires the token when one is set, and serves DICOM studies with window/level pixels and heatmaps', async () => {
    const s = await startReviewServer({
      worklistDir: join(dir, 'explained'),
      db: join(dir, 'r2.duckdb'),
      port: 0,
      token: 'a-long-enough-test-token',
    });
    try {
      assert.equal((await fetch(`${s.url}api/worklist`)).status, 401);
      const auth = { authorization: 'Bearer a-long-enough-test-token' };
      const list = (await (await fetch(`${s.url}api/worklist`, { headers: auth })).json()) as {
        studies: { id: string; dicom: boolean }[];
      };
      assert.deepEqual(
        list.studies.map((x) => [x.id, x.dicom]),
        [['patient-a', true]],
      );
      const res = await fetch(`${s.url}api/studies/patient-a/pixels`, { headers: auth });
      assert.equal(res.status, 200);
      assert.equal(
        Number(res.headers.get('x-width')) * Number(res.headers.get('x-height')) * 2,
        (await res.arrayBuffer()).byteLength,
      );
      assert.equal(Number(res.headers.get('x-window-width')) > 0, true);
      const hm = (await (await fetch(`${s.url}api/studies/patient-a/heatmap`, { headers: auth })).json()) as {
        maps: number[][];
      };
      assert.equal(hm.maps.length, 14);
      // the page itself is public (no data in it); the API is not
      assert.equal((await fetch(s.url)).status, 200);
      // the page takes the token from the address, opens the DICOM study, windows it and shows a heatmap
      const browser = await chromium.launchPersistentContext(mkdtempSync(join(dir, 'chromium-')), {
        executablePath: '/usr/bin/chromium',
        headless: true,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(`${s.url}#token=a-long-enough-test-token`);
        await page.waitForSelector('#worklist tbody tr[data-id="patient-a"]');
        assert.equal(new URL(page.url()).hash, '', 'the token leaves the address bar');
        await page.locator('#worklist tbody tr[data-id="patient-a"]').click();
        await page.waitForSelector('#findings tbody tr');
        assert.match((await page.locator('#study-title').textContent()) ?? '', /patient PAT-0042 · DICOM/);
        // evaluated in the page (a string: this file is compiled without the DOM types)
        const centre = async () =>
          page.evaluate(
            "(() => { const c = document.getElementById('image'); return Array.from(c.getContext('2d').getImageData(c.width / 2, c.height / 2, 1, 1).data); })()",
          );
        const before = await centre();
        await page.locator('#ww').fill('0.05');
        await page.locator('#ww').dispatchEvent('input');
        assert.notDeepEqual(await centre(), before, 'window/level changes the rendering');
        await page.keyboard.press('h');
        assert.equal(await page.locator('#heat').isHidden(), false);
        assert.deepEqual(errors, []);
      } finally {
        await browser.close();
      }
    } finally {
      await s.close();
    }
  });
});
