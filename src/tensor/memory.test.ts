import assert from 'node:assert/strict';
import { constants, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import { torch } from '../index.js';

const gc = (globalThis as { gc?: () => void }).gc;

function collect(): void {
  assert.ok(gc, 'run with --expose-gc');
  gc();
  gc();
}

describe('memory', () => {
  it('ends a 10,000-iteration forward/backward loop in scopes with the same live tensors and bytes', async () => {
    torch.manualSeed(1);
    const w1 = torch.keep(torch.randn([16, 8]).mul(0.3).requiresGrad_());
    const w2 = torch.keep(torch.randn([1, 16]).mul(0.3).requiresGrad_());
    const x = torch.keep(torch.randn([32, 8]));
    const y = torch.keep(torch.randn([32, 1]));
    collect();
    const before = torch.memory();
    // The GC safety net would free a leaked tensor before the count below: the detector sees it anyway.
    torch.detectLeaks({ stacks: true });
    const leaksBefore = torch.leakReport().leaked;
    let first = 0;
    let last = 0;
    for (let i = 0; i < 10_000; i++) {
      torch.scope(() => {
        const loss = torch.mseLoss(torch.linear(torch.linear(x, w1).relu(), w2), y);
        loss.backward();
        torch.noGrad(() => {
          for (const p of [w1, w2]) {
            p.sub_(p.grad as torch.Tensor, { alpha: 0.01 });
            p.grad?.zero_();
          }
        });
        if (i === 0) first = loss.item();
        if (i === 9_999) last = loss.item();
      });
    }
    const after = torch.memory();
    collect();
    await new Promise((r) => setTimeout(r, 20)); // registry callbacks run as tasks after GC
    const leaked = torch.leakReport().leaked - leaksBefore;
    torch.detectLeaks(false);
    assert.equal(leaked, 0, `tensors collected without dispose: ${leaked}`);
    assert.equal(after.tensors, before.tensors);
    assert.equal(after.bytes, before.bytes);
    assert.ok(after.created - before.created > 50_000, 'the loop really made tensors');
    assert.ok(last < first, `loss fell (${first} -> ${last})`);
    for (const t of [w1, w2, x, y]) t.dispose();
  });

  it('never lets a disposed tensor reach the result that reuses its handle', () => {
    const a = torch.ones([2]);
    a.dispose();
    const b = torch.zeros([3]).add(5); // the op result takes the handle a gave up
    assert.equal(a.isDisposed, true);
    assert.throws(() => a.toArray(), /tensor was disposed/);
    a.dispose(); // idempotent: must not free b
    assert.deepEqual(b.toArray(), [5, 5, 5]);
    b.dispose();
  });

  it('counts each storage once however many views share it', () => {
    torch.scope(() => {
      const before = torch.memory();
      const t = torch.zeros([1000]);
      const mid = torch.memory();
      assert.equal(mid.bytes - before.bytes, 4000);
      const views = [t.view([10, 100]), t.narrow(0, 0, 10), t.reshape([100, 10])];
      assert.equal(torch.memory().bytes, mid.bytes);
      assert.equal(torch.memory().tensors, mid.tensors + views.length);
      t.dispose();
      assert.equal(torch.memory().bytes, mid.bytes, 'views keep the storage alive');
      for (const v of views) v.dispose();
      assert.equal(torch.memory().bytes, before.bytes);
    });
  });

  it('disposes what a scope made but not what it returns or keeps', () => {
    const before = torch.memory().tensors;
    let inner: torch.Tensor | undefined;
    const kept = torch.scope(() => {
      const a = torch.ones([2]);
      inner = a.add(1);
      const k = torch.keep(torch.ones([3]));
      return { out: a.mul(3), k };
    });
    assert.equal(inner?.isDisposed, true);
    assert.equal(kept.out.isDisposed, false);
    assert.deepEqual(kept.out.toArray(), [3, 3]);
    assert.equal(torch.memory().tensors, before + 2);
    kept.out.dispose();
    kept.k.dispose();
    assert.equal(torch.memory().tensors, before);
  });

  it('moves returned tensors to the enclosing scope', () => {
    const before = torch.memory().tensors;
    let escaped: torch.Tensor | undefined;
    torch.scope(() => {
      escaped = torch.scope(() => torch.ones([2]));
      assert.equal(escaped.isDisposed, false);
    });
    assert.equal(escaped?.isDisposed, true, 'the outer scope disposed it');
    assert.equal(torch.memory().tensors, before);
  });

  it('disposes the tensors of a scope that throws', () => {
    const before = torch.memory().tensors;
    assert.throws(() =>
      torch.scope(() => {
        torch.ones([2]);
        throw new Error('boom');
      }),
    );
    assert.equal(torch.memory().tensors, before);
  });

  it('keeps concurrent async scopes apart across await', async () => {
    const before = torch.memory().tensors;
    const work = (n: number) =>
      torch.scope(async () => {
        const acc = torch.zeros([1]);
        for (let i = 0; i < 20; i++) {
          torch.ones([1]).mul(n); // temporary, freed by this scope
          acc.add_(n);
          await new Promise((r) => setTimeout(r, Math.random() * 2));
        }
        return acc;
      });
    const [a, b] = await Promise.all([work(1), work(2)]);
    assert.deepEqual(a.toArray(), [20]);
    assert.deepEqual(b.toArray(), [40]);
    assert.equal(torch.memory().tensors, before + 2);
    a.dispose();
    b.dispose();
    assert.equal(torch.memory().tensors, before);
  });

  it('frees tensors that were never disposed when they are garbage collected', () => {
    collect();
    const before = torch.memory();
    (() => {
      for (let i = 0; i < 2000; i++) torch.ones([64]).add(1);
    })();
    assert.ok(torch.memory().tensors > before.tensors);
    collect();
    assert.equal(torch.memory().tensors, before.tensors);
    assert.equal(torch.memory().bytes, before.bytes);
  });

  it('reports tensors collected without dispose when leak detection is on', async () => {
    torch.detectLeaks({ stacks: true });
    const before = torch.leakReport().leaked;
    (function leaky() {
      for (let i = 0; i < 50; i++) torch.ones([4]);
      for (let i = 0; i < 50; i++) torch.ones([4]).dispose();
    })();
    collect();
    await new Promise((r) => setTimeout(r, 20)); // registry callbacks run after GC, as tasks
    collect();
    await new Promise((r) => setTimeout(r, 20));
    const report = torch.leakReport();
    torch.detectLeaks(false);
    assert.equal(report.leaked - before, 50, 'only the undisposed ones');
    assert.ok(
      report.stacks.some((s) => s.includes('leaky')),
      'stacks name the function that leaked',
    );
  });

  it('reports native bytes to V8 so a loop that never disposes stays bounded', () => {
    collect();
    const rss0 = process.memoryUsage().rss;
    let peak = 0;
    for (let i = 0; i < 200; i++) {
      torch.ones([4 * 1024 * 1024]); // 16 MiB each, 3.2 GiB in all, never disposed
      peak = Math.max(peak, process.memoryUsage().rss - rss0);
    }
    collect();
    assert.ok(peak < 1.5 * 1024 ** 3, `peak rss growth ${(peak / 1024 ** 2).toFixed(0)} MiB`);
  });

  it('tells V8 the bytes only of tensors that no scope owns', () => {
    const MiB = 1024 * 1024;
    const base = torch.memory().gcBytes;
    const outside = torch.zeros([MiB / 4]); // made outside every scope: only the GC or dispose() frees it
    assert.equal(torch.memory().gcBytes - base, MiB);
    const { returned, kept } = torch.scope(() => {
      const inner = torch.zeros([MiB / 4]);
      assert.equal(torch.memory().gcBytes - base, MiB, 'a scope frees its own: not counted');
      const nested = torch.scope(() => torch.zeros([MiB / 4]));
      assert.equal(torch.memory().gcBytes - base, MiB, 'returned to an enclosing scope: still owned');
      const k = torch.keep(torch.zeros([2 * (MiB / 4)]));
      assert.equal(torch.memory().gcBytes - base, 3 * MiB, 'kept: counted');
      inner.dispose();
      return { returned: nested, kept: k };
    });
    assert.equal(torch.memory().gcBytes - base, 4 * MiB, 'returned by the outermost scope: counted');
    const view = returned.view([-1]);
    assert.equal(torch.memory().gcBytes - base, 4 * MiB, 'a view of a counted storage adds nothing');
    returned.dispose();
    assert.equal(torch.memory().gcBytes - base, 4 * MiB, 'the view still holds the storage');
    for (const t of [view, kept, outside]) t.dispose();
    assert.equal(torch.memory().gcBytes, base);
  });

  it('lets scopes allocate and free 1.6 GiB a step without making V8 collect', async () => {
    collect();
    const isMajor = (e: PerformanceEntry) =>
      (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR;
    let majors = 0;
    const observer = new PerformanceObserver((list) => {
      majors += list.getEntries().filter(isMajor).length;
    });
    observer.observe({ entryTypes: ['gc'] });
    const bytes0 = torch.memory().bytes;
    let peak = 0;
    for (let step = 0; step < 60; step++) {
      torch.scope(() => {
        // 16 x 100 MiB, never touched (so no RAM), freed when the scope ends
        for (let k = 0; k < 16; k++) torch.empty([25 * 1024 * 1024]);
        peak = Math.max(peak, torch.memory().bytes - bytes0);
      });
      await new Promise((r) => setImmediate(r)); // as a training loop: V8 may finish a collection between steps
    }
    majors += observer.takeRecords().filter(isMajor).length;
    observer.disconnect();
    assert.equal(peak, 1600 * 1024 * 1024, 'each step really held 1.6 GiB');
    // When scope-owned bytes were counted, V8 collected (in vain) 22 times in these 60 steps.
    assert.ok(majors <= 2, `major GCs during 60 scoped steps: ${majors}`);
  });
});
