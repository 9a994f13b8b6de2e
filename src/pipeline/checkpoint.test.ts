import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { optim, torch } from '../index.js';
import { buildRun, trainSteps } from './checkpoint.fixture.js';
import { latestCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint.js';

const dir = mkdtempSync(join(tmpdir(), 'tszoo-ckpt-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const fixture = fileURLToPath(new URL('./checkpoint.fixture.js', import.meta.url));

const weights = (run: ReturnType<typeof buildRun>) => run.model.parameters().flatMap((p) => p.toArray());

describe('checkpoints', () => {
  it('resume restores training exactly: 20 steps, save, 20 more == 40 straight (bitwise)', () => {
    const straight = buildRun();
    trainSteps(straight, 0, 40);
    const root = join(dir, 'resume');
    const first = buildRun();
    trainSteps(first, 0, 20);
    saveCheckpoint(root, {
      model: first.model,
      optimizer: first.optimizer,
      epoch: 1,
      iteration: 20,
      extra: { note: 'x' },
    });
    trainSteps(first, 20, 25); // the run goes on past the checkpoint; the resumed one must not see it
    const resumed = buildRun(); // fresh weights, fresh momentum, reseeded RNG
    const info = loadCheckpoint(root, resumed);
    assert.deepEqual([info.epoch, info.iteration, info.extra], [1, 20, { note: 'x' }]);
    trainSteps(resumed, 20, 40);
    assert.deepEqual(weights(resumed), weights(straight));
  });

  it('restores Adam with a warm-up-then-plateau schedule exactly (the seed recipe)', () => {
    const build = () => {
      const run = buildRun();
      const schedule = new optim.SequentialSchedule(5)
        .add(new optim.Warmup((1e-2 - 1e-4) / 10), 10)
        .add(new optim.Plateau({ monitor: 'loss', factor: 0.5, patience: 1 }), 100);
      const adam = new optim.Adam(run.model.parameters(), { lr: 1e-4, schedule });
      return { run, adam };
    };
    const steps = (b: ReturnType<typeof build>, from: number, to: number) => {
      for (let it = from; it < to; it++) {
        torch.scope(() => {
          b.adam.zeroGrad();
          const idx = torch.randint(0, 64, [16]);
          const loss = torch.mseLoss(
            b.run.model.forward(b.run.data.x.indexSelect(0, idx)),
            b.run.data.y.indexSelect(0, idx),
          );
          loss.backward();
          b.adam.step();
          if ((it + 1) % 5 === 0) b.adam.endEpoch({ loss: 1 }); // a flat loss: Plateau cuts the rate
        });
      }
    };
    const straight = build();
    steps(straight, 0, 40);
    const first = build();
    steps(first, 0, 20);
    const root = join(dir, 'adam');
    saveCheckpoint(root, { model: first.run.model, optimizer: first.adam, epoch: 4, iteration: 20 });
    const resumed = build();
    loadCheckpoint(root, { model: resumed.run.model, optimizer: resumed.adam });
    steps(resumed, 20, 40);
    assert.deepEqual(resumed.adam.lrs, straight.adam.lrs);
    assert.ok((straight.adam.lrs[0] as number) < 1e-2, 'the plateau cut the rate');
    assert.deepEqual(weights(resumed.run), weights(straight.run));
  });

  it('keeps the newest checkpoints and points latest at the last complete one', () => {
    const root = join(dir, 'keep');
    const run = buildRun();
    for (const iteration of [5, 10, 15, 20]) {
      saveCheckpoint(root, { model: run.model, optimizer: run.optimizer, epoch: 0, iteration }, { keep: 2 });
    }
    assert.deepEqual(
      readdirSync(root).filter((d) => d.startsWith('ckpt-')),
      ['ckpt-000000015', 'ckpt-000000020'],
    );
    assert.equal(latestCheckpoint(root), join(root, 'ckpt-000000020'));
  });

  it('ignores a half-written checkpoint: latest still loads', () => {
    const root = join(dir, 'partial');
    const run = buildRun();
    saveCheckpoint(root, { model: run.model, optimizer: run.optimizer, epoch: 0, iteration: 5 });
    // What a kill in the middle of the next save leaves behind: a temporary directory, half full.
    const partial = join(root, '.ckpt-000000010.999999.tmp');
    mkdirSync(partial);
    writeFileSync(join(partial, 'model.safetensors'), Buffer.alloc(100));
    const info = loadCheckpoint(root, buildRun());
    assert.equal(info.iteration, 5);
  });

  it('falls back to the newest complete checkpoint when latest names one that is gone', () => {
    const root = join(dir, 'dangling');
    const run = buildRun();
    saveCheckpoint(root, { model: run.model, optimizer: run.optimizer, epoch: 0, iteration: 5 });
    saveCheckpoint(root, { model: run.model, optimizer: run.optimizer, epoch: 0, iteration: 10 });
    saveCheckpoint(root, { model: run.model, optimizer: run.optimizer, epoch: 0, iteration: 10 }); // re-save
    rmSync(join(root, 'ckpt-000000010'), { recursive: true }); // as if killed mid-replacement
    assert.equal(latestCheckpoint(root), join(root, 'ckpt-000000005'));
    assert.equal(loadCheckpoint(root, buildRun()).iteration, 5);
  });

  it('survives kill -9 at random moments: the newest checkpoint always loads and resumes', async () => {
    const root = join(dir, 'killed');
    for (let attempt = 0; attempt < 4; attempt++) {
      const child = spawn(process.execPath, [fixture, root, '100000', ...(attempt > 0 ? ['resume'] : [])], {
        stdio: 'ignore',
      });
      // Wait for its first new checkpoint, then kill it wherever it is (often mid-write).
      const before = latestCheckpoint(root);
      const deadline = Date.now() + 30_000;
      while (latestCheckpoint(root) === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, Math.random() * 300));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const latest = latestCheckpoint(root);
      assert.ok(latest && existsSync(latest), `attempt ${attempt}: a checkpoint exists`);
      const run = buildRun();
      const info = loadCheckpoint(root, run);
      assert.ok(info.iteration > 0 && info.iteration % 5 === 0);
    }
  });

  it('names the problem when a checkpoint does not fit the model', () => {
    const root = join(dir, 'mismatch');
    const run = buildRun();
    saveCheckpoint(root, { model: run.model, epoch: 0, iteration: 5 });
    assert.throws(() => loadCheckpoint(root, run), /holds no optimizer state/);
    assert.throws(() => loadCheckpoint(join(dir, 'nothing-here'), run), /no checkpoint in/);
  });
});
