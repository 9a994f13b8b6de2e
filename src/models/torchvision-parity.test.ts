import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { torch } from '../index.js';
import { loadSafetensors, saveSafetensors } from '../interop/safetensors.js';
import type { Module } from '../nn/index.js';
import { densenet121, inceptionV3, mobilenetV2, resnet18, resnet50, sumStemToGrey } from './index.js';

const script = fileURLToPath(new URL('../../../scripts/golden/torchvision_logits.py', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tszoo-tv-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Logits of torchvision's `arch` with this model's weights, on x (Debian's python3-torchvision). */
function torchvisionLogits(arch: string, numClasses: number, model: Module, x: torch.Tensor): number[] {
  const path = join(dir, `${arch}.safetensors`);
  saveSafetensors(path, { ...model.stateDict(), __input__: x });
  const out = JSON.parse(
    execFileSync('/usr/bin/python3', [script, arch, String(numClasses), path], { encoding: 'utf8' }),
  );
  return out.values as number[];
}

function maxAbsDiff(a: number[], b: number[]): number {
  assert.equal(a.length, b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - (b[i] as number))), 0);
}

describe('model zoo matches torchvision', () => {
  const cases: [string, () => Module, number][] = [
    ['resnet18', () => resnet18({ numClasses: 14 }), 14],
    ['resnet50', () => resnet50({ numClasses: 10 }), 10],
    ['densenet121', () => densenet121({ numClasses: 14 }), 14],
    ['mobilenet_v2', () => mobilenetV2({ numClasses: 6 }), 6],
    ['inception_v3', () => inceptionV3({ numClasses: 5 }), 5],
  ];
  for (const [arch, build, numClasses] of cases) {
    it(`${arch}: weights written by tszoo give the same logits in torchvision (1e-4)`, () => {
      torch.scope(() => {
        torch.manualSeed(3);
        const model = build().eval();
        // Non-trivial batch-norm statistics, so eval mode is really exercised.
        torch.noGrad(() => {
          for (const [name, b] of model.namedBuffers()) {
            if (name.endsWith('running_mean')) b.normal_(0, 0.1);
            if (name.endsWith('running_var')) b.uniform_(0.5, 1.5);
          }
        });
        const x = torch.randn(arch === 'inception_v3' ? [2, 3, 96, 96] : [2, 3, 64, 64]);
        const ours = torch.noGrad(() => model.forward(x)).toArray();
        const theirs = torchvisionLogits(arch, numClasses, model, x);
        // 1e-4 absolute for O(1) logits; relative when random weights make them large (Inception).
        const scale = Math.max(1, ...theirs.map(Math.abs));
        assert.ok(
          maxAbsDiff(ours, theirs) < 1e-4 * scale,
          `max abs diff ${maxAbsDiff(ours, theirs)} at scale ${scale}`,
        );
        model.dispose();
      });
    });
  }

  it('a grey stem made by summing RGB weights answers x as the RGB model answers (x, x, x)', () => {
    torch.scope(() => {
      torch.manualSeed(4);
      const rgb = resnet18({ numClasses: 5 }).eval();
      const grey = resnet18({ numClasses: 5, inChannels: 1 }).eval();
      grey.loadStateDict(sumStemToGrey(rgb.stateDict(), 'conv1.weight'));
      const x = torch.randn([2, 1, 48, 48]);
      const a = torch.noGrad(() => rgb.forward(torch.cat([x, x, x], 1))).toArray();
      const b = torch.noGrad(() => grey.forward(x)).toArray();
      assert.ok(maxAbsDiff(a, b) < 1e-4, `max abs diff ${maxAbsDiff(a, b)}`);
      rgb.dispose();
      grey.dispose();
    });
  });
});

describe('torchvision weights converted to safetensors', () => {
  it('load one to one (strict) and give torchvision logits', () => {
    torch.scope(() => {
      const converter = fileURLToPath(new URL('../../../scripts/torchvision_to_safetensors.py', import.meta.url));
      const path = join(dir, 'converted.safetensors');
      execFileSync('/usr/bin/python3', [converter, 'resnet18', path, '--seed', '9', '--num-classes', '7']);
      const model = resnet18({ numClasses: 7 }).eval();
      const { tensors, metadata } = loadSafetensors(path);
      assert.equal(metadata.source, 'torchvision.models.resnet18');
      model.loadStateDict(tensors); // strict: every name and shape must match
      const x = torch.randn([1, 3, 64, 64]);
      const ours = torch.noGrad(() => model.forward(x)).toArray();
      const theirs = torchvisionLogits('resnet18', 7, model, x);
      assert.ok(maxAbsDiff(ours, theirs) < 1e-4, `max abs diff ${maxAbsDiff(ours, theirs)}`);
      model.dispose();
    });
  });
});
