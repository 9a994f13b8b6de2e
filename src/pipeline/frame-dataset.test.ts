import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { DataFrame } from '../data/dataframe/index.js';
import { decodeImage } from '../data/image/decode.js';
import { chain, HFlip, ToTensor } from '../data/image/transforms.js';
import { readImagesDecoded } from '../data/image-dataset.js';
import { nn, torch } from '../index.js';
import { sgd } from '../optim/index.js';
import { Estimator } from './estimator.js';
import { FrameDataset } from './frame-dataset.js';
import { everyEpoch } from './triggers.js';

const dir = mkdtempSync(join(tmpdir(), 'tszoo-frame-'));
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

describe('FrameDataset', () => {
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
    assert.ok(Math.abs((losses.at(-1) as number) - expected) < 1e-5, `${losses.at(-1)} vs ${expected}`);
  });

  it('reads image paths and Spark image-schema rows to the same tensors', async () => {
    const transform = chain<torch.Tensor>(ToTensor());
    const byPath = await FrameDataset.fromFrame(
      DataFrame.fromColumns(files),
      { features: 'origin', label: 'label' },
      { kind: 'class', classes: 2 },
      { transform },
    );
    const { frame } = await readImagesDecoded(dir, { onError: 'skip' });
    const decoded = await FrameDataset.fromFrame(frame.orderBy('origin'), { features: 'data' }, null, { transform });
    const idx = Int32Array.from([0, 5, 9]);
    const a = await byPath.load(idx, { epoch: 0, batch: 0 });
    const b = await decoded.load(idx, { epoch: 0, batch: 0 });
    assert.deepEqual(a.tensors[0]?.shape, [3, 1, 8, 8]);
    assert.deepEqual(a.tensors[0]?.toArray(), b.tensors[0]?.toArray());
    assert.deepEqual(a.tensors[1]?.toArray(), [0, 1, 1]);
    for (const t of [...a.tensors, ...b.tensors]) t.dispose();
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
    assert.equal(skipped.length, 2 * 20);
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
    // predict on decoded images equals the frame's predictions
    const images = await Promise.all(files.origin.slice(0, 3).map((p) => decodeImage(p)));
    assert.deepEqual(
      fitted.predict(images).map((p) => Array.from(p)),
      rows.slice(0, 3).map((r) => r.prediction),
    );
  });
});
