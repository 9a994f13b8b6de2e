import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { DataFrame } from '../data/dataframe/index.js';
import { decodeImage } from '../data/image/decode.js';
import { chain, HFlip, ToTensor } from '../data/image/transforms.js';
import { SkippedSamplesError } from '../data/sample-error.js';
import { nn, torch } from '../index.js';
import { sgd } from '../optim/index.js';
import { Estimator } from './estimator.js';
import { everyEpoch } from './triggers.js';

const dir = mkdtempSync(join(tmpdir(), 'tszoo-fit-images-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** 8x8 grey images: class 1 bright on the left half, class 0 on the right. */
async function writeImages(n: number): Promise<{ origin: string[]; label: number[] }> {
  const origin: string[] = [];
  const label: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    const px = new Uint8Array(64).map((_, j) => (j % 8 < 4 === (c === 1) ? 200 : 30) + ((i * 7 + j) % 20));
    const path = join(dir, `img${String(i).padStart(3, '0')}.png`);
    await sharp(px, { raw: { width: 8, height: 8, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toFile(path);
    origin.push(path);
    label.push(c);
  }
  return { origin, label };
}

let files: { origin: string[]; label: number[] };
before(async () => {
  files = await writeImages(40);
  writeFileSync(join(dir, 'img900.png'), Buffer.from('not a png at all'));
});

const model = () => new nn.Sequential(new nn.Flatten(), new nn.Linear(64, 2));

describe('Estimator.fit on image frames', () => {
  it('validates through the validation transform, not the training one', async () => {
    const frame = DataFrame.fromColumns(files);
    const plain = chain<torch.Tensor>(ToTensor());
    torch.manualSeed(2);
    const losses: number[] = [];
    const fitted = await new Estimator(model(), {
      task: 'multi-class',
      transform: chain<torch.Tensor>(HFlip(1), ToTensor()),
      batchSize: 8,
      maxEpoch: 2,
      optimizer: sgd({ lr: 0.5 }),
      validation: { trigger: everyEpoch(), frame, transform: plain },
      progress: false,
    })
      .on('validation', (e) => losses.push(e.metrics.loss as number))
      .fit(frame);
    fitted.setTransform(plain);
    const images = await Promise.all(files.origin.map((p) => decodeImage(p)));
    const probs = fitted.predict(images);
    const expected = -probs.reduce((s, p, i) => s + Math.log(p[files.label[i] as number] as number), 0) / probs.length;
    // validation ran in batches of 8, predict in one batch of 40: other kernels, so a tolerance
    assert.ok(Math.abs((losses.at(-1) as number) - expected) < 1e-5, `${losses.at(-1)} vs ${expected}`);
  });

  it('fit skips and counts an unreadable image; transform keeps its row with the reason', async () => {
    const frame = DataFrame.fromColumns({
      origin: [...files.origin, join(dir, 'img900.png'), join(dir, 'missing.png')],
      label: [...files.label, 0, 1],
    });
    torch.manualSeed(1);
    const est = new Estimator(model(), {
      task: 'multi-class',
      transform: chain<torch.Tensor>(ToTensor()),
      batchSize: 8,
      maxEpoch: 20,
      optimizer: sgd({ lr: 0.5 }),
      progress: false,
    });
    const fitted = await est.fit(frame);
    const skipped = fitted.history?.skippedSamples ?? [];
    assert.equal(skipped.length, 2); // each unreadable file once, not once per epoch
    assert.ok(skipped.some((s) => s.origin.endsWith('img900.png') && /cannot decode/.test(s.message)));
    const rows = await (await fitted.transform(frame)).collect();
    assert.equal(rows.length, 42);
    const bad = rows.filter((r) => r.predictionError !== null);
    assert.deepEqual(
      bad.map((r) => (r.origin as string).split('/').at(-1)),
      ['img900.png', 'missing.png'],
    );
    assert.ok(bad.every((r) => r.prediction === null && r.predictedLabel === null));
    const right = rows.filter((r) => r.predictionError === null && r.predictedLabel === r.label).length;
    assert.ok(right >= 38, `${right}/40`);
    // predict on 3 decoded images agrees with the frame's predictions, made in batches of 8: different
    // batch shapes take different GEMM kernels on some CPUs (AVX-512, AMX), so equal to float32 rounding only
    const images = await Promise.all(files.origin.slice(0, 3).map((p) => decodeImage(p)));
    const direct = fitted.predict(images);
    direct.forEach((p, i) => {
      const fromFrame = rows[i]?.prediction as number[];
      p.forEach((v, j) => {
        assert.ok(Math.abs(v - (fromFrame[j] as number)) <= 1e-6, `row ${i} class ${j}: ${v} vs ${fromFrame[j]}`);
      });
    });
  });
});

describe('Estimator.fit when no row can be read', () => {
  const labelsOf = (n: number) => Array.from({ length: n }, (_, i) => i % 2);
  const corruptFolder = join(dir, 'corrupt');
  before(() => {
    mkdirSync(corruptFolder);
    for (let i = 0; i < 16; i++) writeFileSync(join(corruptFolder, `c${i}.png`), Buffer.from(`broken ${i}`));
  });
  const fitFails = async (frame: DataFrame, options: ConstructorParameters<typeof Estimator>[1], pattern: RegExp) => {
    const est = new Estimator(model(), { task: 'multi-class', batchSize: 8, maxEpoch: 3, progress: false, ...options });
    let iterations = 0;
    est.on('iteration', () => iterations++);
    await assert.rejects(est.fit(frame), (e: Error) => {
      assert.match(e.message, pattern);
      return true;
    });
    assert.equal(iterations, 0);
  };
  const transform = chain<torch.Tensor>(ToTensor());

  it('ends at once on 16 corrupt PNGs, with how many rows were tried and the first reasons', {
    timeout: 30_000,
  }, async () => {
    const origin = Array.from({ length: 16 }, (_, i) => join(corruptFolder, `c${i}.png`));
    const frame = DataFrame.fromColumns({ origin, label: labelsOf(16) });
    const est = new Estimator(model(), { task: 'multi-class', transform, batchSize: 8, maxEpoch: 3, progress: false });
    await assert.rejects(est.fit(frame), (e: unknown) => {
      assert.ok(e instanceof SkippedSamplesError, String(e));
      assert.equal(e.tried, 16);
      assert.equal(e.skipped, 16);
      assert.match(e.message, /^fit: 16 of 16 rows tried could not be read/);
      assert.match(
        e.message,
        /reasons:\n {2}cannot decode \S+\/c\d+\.png: Input buffer contains unsupported image format\n/,
      );
      assert.ok(e.firstErrors.length > 0 && e.firstErrors.length <= 5);
      return true;
    });
  });

  it('ends at once on paths that do not exist', { timeout: 30_000 }, async () => {
    const origin = Array.from({ length: 150 }, (_, i) => join(dir, 'nowhere', `x${i}.png`));
    await fitFails(
      DataFrame.fromColumns({ origin, label: labelsOf(150) }),
      { transform },
      /^fit: \d+ of \d+ rows tried could not be read[\s\S]*\n {2}cannot decode \S+nowhere\/x\d+\.png: ENOENT/,
    );
  });

  it('names a missing transform on an image frame before training', async () => {
    await fitFails(
      DataFrame.fromColumns(files),
      {},
      /column 'origin' holds image paths \(row 0\); give a transform ending in ToTensor\(\)/,
    );
  });

  it('ends at once on a scalar or a string column given as featuresCol', { timeout: 30_000 }, async () => {
    const frame = DataFrame.fromColumns({
      age: Array.from({ length: 24 }, (_, i) => 40 + i),
      sex: Array(24).fill('M'),
      label: labelsOf(24),
    });
    await fitFails(
      frame,
      { featuresCol: 'age' },
      /24 of 24 rows tried could not be read[\s\S]*\n {2}row \d+: feature 'age' is a number, not a path/,
    );
    await fitFails(
      frame,
      { featuresCol: 'sex', transform },
      /24 of 24 rows tried could not be read[\s\S]*\n {2}cannot decode M: /,
    );
  });

  it('ends at once on a featureShape that does not fit the data', { timeout: 30_000 }, async () => {
    const frame = DataFrame.fromColumns({
      features: Array.from({ length: 24 }, () => Array(64).fill(0.5)),
      label: labelsOf(24),
    });
    await fitFails(frame, { featuresCol: 'features', featureShape: [1, 7, 7] }, /featureShape \[1,7,7\] needs 49/);
  });

  it('keeps the event loop turning while it trains', async () => {
    const frame = DataFrame.fromColumns({
      features: Array.from({ length: 256 }, (_, i) => Array(64).fill(i % 2)),
      label: labelsOf(256),
    });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const est = new Estimator(model(), {
      task: 'multi-class',
      featuresCol: 'features',
      featureShape: [1, 8, 8],
      batchSize: 4,
      maxEpoch: 2,
      progress: false,
    });
    let iterations = 0;
    est.on('iteration', () => iterations++);
    await est.fit(frame);
    clearInterval(timer);
    assert.equal(iterations, 128);
    assert.ok(ticks > 0, 'a 1 ms interval fired during 128 in-memory steps');
  });
});
