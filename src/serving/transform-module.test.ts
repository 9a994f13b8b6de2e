import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CenterCrop, Resize } from '../data/image/geometric.js';
import { ChannelNormalize, GreyToRGB, ToTensor } from '../data/image/photometric.js';
import { chain, HFlip } from '../data/image/transforms.js';
import * as torch from '../tensor/index.js';
import { transformFromName } from './transform-module.js';

describe('transformFromName', () => {
  it('rebuilds a deterministic chain from its saved name, computing the same tensor', () => {
    const original = chain<torch.Tensor>(
      GreyToRGB(),
      Resize(20),
      CenterCrop([16, 12]),
      ChannelNormalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
      ToTensor(),
    );
    const rebuilt = transformFromName(original.name);
    assert.equal(rebuilt.name, original.name);
    const img = {
      height: 24,
      width: 30,
      channels: 1,
      bitDepth: 8,
      data: Uint8Array.from({ length: 720 }, (_, i) => (i * 7) % 256),
    };
    torch.scope(() => {
      const a = original.apply(img, () => 0.5);
      const b = rebuilt.apply(img, () => 0.5);
      assert.deepEqual(b.shape, [3, 16, 12]);
      assert.deepEqual(Array.from(b.data() as Float32Array), Array.from(a.data() as Float32Array));
    });
    assert.equal(transformFromName('ToTensor()').name, 'ToTensor()');
  });

  it('refuses random augmentation and unknown steps, naming them', () => {
    assert.throws(() => transformFromName(chain(HFlip(0.5), ToTensor()).name), /'HFlip' is not a deterministic step/);
    assert.throws(() => transformFromName('chain(Eval(process.exit()))'), /'Eval' is not a deterministic step/);
    assert.throws(() => transformFromName('rm -rf /'), /cannot read/);
  });
});
