import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nn, torch } from '../index.js';
import { resnet18 } from './index.js';

describe('training a zoo model', () => {
  // This loop once aborted V8 (a GC finalizer reported freed bytes to V8 and re-entered the GC).
  it('runs ResNet-18 training steps with stable memory and changing weights', () => {
    torch.manualSeed(0);
    const model = resnet18({ numClasses: 14 }).train();
    const lossFn = new nn.BCEWithLogitsLoss();
    const x = torch.keep(torch.randn([4, 3, 112, 112]));
    const y = torch.keep(torch.scope(() => torch.rand([4, 14]).gt(0.8).float()));
    const before = model.fc.weight.toArray();
    const counts: number[] = [];
    for (let step = 0; step < 6; step++) {
      const loss = torch.scope(() => {
        const l = lossFn.forward(model.forward(x), y);
        l.backward();
        torch.noGrad(() => {
          for (const p of model.parameters()) {
            const g = p.grad;
            if (g) p.sub_(g, { alpha: 0.01 });
            g?.dispose();
            p.grad = null;
          }
        });
        return l.item();
      });
      assert.ok(Number.isFinite(loss), `step ${step}: loss ${loss}`);
      counts.push(torch.memory().tensors);
    }
    assert.equal(new Set(counts.slice(1)).size, 1, `live tensors per step: ${counts.join(', ')}`);
    assert.notDeepEqual(model.fc.weight.toArray(), before);
    model.dispose();
    x.dispose();
    y.dispose();
  });
});
