import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { torch } from '../index.js';

describe('LibTorch warnings', () => {
  it('arrive as process warnings named LibTorchWarning, not on stderr', async () => {
    const seen: Error[] = [];
    const listener = (w: Error) => seen.push(w);
    process.on('warning', listener);
    torch.scope(() => {
      const mask = torch.tensor([1, 0, 1], { dtype: 'uint8' }); // deprecated mask dtype: LibTorch warns
      assert.deepEqual(torch.ones([3]).maskedFill(mask, 5).toArray(), [5, 1, 5]);
    });
    await new Promise((r) => setImmediate(r));
    process.off('warning', listener);
    const w = seen.find((x) => x.name === 'LibTorchWarning');
    assert.ok(w, `warnings seen: ${seen.map((x) => x.name).join(', ')}`);
    assert.match(w.message, /masked_fill_ received a mask with dtype torch\.uint8/);
  });
});
