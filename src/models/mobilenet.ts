/**
 * MobileNetV2 with torchvision's names (features.0.0.weight, features.1.conv.0.0.weight, ...,
 * classifier.1.weight).
 */

import type { EmitContext, OnnxExportable } from '../interop/onnx/export/emitter.js';
import { BatchNorm2d, Conv2d, Dropout, init, Linear, Module, ReLU6, Sequential } from '../nn/index.js';
import type { Tensor } from '../tensor/index.js';
import * as torch from '../tensor/index.js';
import type { VisionModelOptions } from './common.js';
import { emitPooled } from './onnx.js';

/** torchvision's Conv2dNormActivation: conv (no bias), batch norm, ReLU6; a Sequential named 0, 1, 2. */
function convBnRelu6(inC: number, outC: number, kernel: number, stride = 1, groups = 1): Sequential {
  return new Sequential(
    new Conv2d(inC, outC, kernel, { stride, padding: (kernel - 1) / 2, groups, bias: false }),
    new BatchNorm2d(outC),
    new ReLU6(),
  );
}

class InvertedResidual extends Module implements OnnxExportable {
  readonly conv: Sequential;
  readonly useResidual: boolean;

  constructor(inC: number, outC: number, stride: number, expandRatio: number) {
    super();
    const hidden = Math.round(inC * expandRatio);
    this.useResidual = stride === 1 && inC === outC;
    const layers: Module[] = [];
    if (expandRatio !== 1) layers.push(convBnRelu6(inC, hidden, 1));
    layers.push(
      convBnRelu6(hidden, hidden, 3, stride, hidden),
      new Conv2d(hidden, outC, 1, { bias: false }),
      new BatchNorm2d(outC),
    );
    this.conv = this.registerModule('conv', new Sequential(...layers));
  }

  forward(x: Tensor): Tensor {
    return torch.scope(() => (this.useResidual ? x.add(this.conv.forward(x)) : this.conv.forward(x)));
  }

  toOnnx(x: string, ctx: EmitContext): string {
    const out = ctx.child('conv', x);
    return this.useResidual ? ctx.b.node('Add', [x, out], ctx.name('add')) : out;
  }
}

/** torchvision's _make_divisible: round channels to a multiple of 8, never down by more than 10%. */
function makeDivisible(v: number, divisor = 8): number {
  const rounded = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  return rounded < 0.9 * v ? rounded + divisor : rounded;
}

export interface MobileNetV2Options extends VisionModelOptions {
  widthMult?: number;
  dropout?: number;
}

export class MobileNetV2 extends Module implements OnnxExportable {
  readonly features: Sequential;
  readonly classifier: Sequential;
  readonly numFeatures: number;

  constructor(options: MobileNetV2Options = {}) {
    super();
    const width = options.widthMult ?? 1;
    let inC = makeDivisible(32 * width);
    this.numFeatures = makeDivisible(1280 * Math.max(1, width));
    const blocks: Module[] = [convBnRelu6(options.inChannels ?? 3, inC, 3, 2)];
    const settings: [number, number, number, number][] = [
      [1, 16, 1, 1],
      [6, 24, 2, 2],
      [6, 32, 3, 2],
      [6, 64, 4, 2],
      [6, 96, 3, 1],
      [6, 160, 3, 2],
      [6, 320, 1, 1],
    ];
    for (const [t, c, n, s] of settings) {
      const outC = makeDivisible(c * width);
      for (let i = 0; i < n; i++) {
        blocks.push(new InvertedResidual(inC, outC, i === 0 ? s : 1, t));
        inC = outC;
      }
    }
    blocks.push(convBnRelu6(inC, this.numFeatures, 1));
    this.features = this.registerModule('features', new Sequential(...blocks));
    this.classifier = this.registerModule(
      'classifier',
      new Sequential(new Dropout(options.dropout ?? 0.2), new Linear(this.numFeatures, options.numClasses ?? 1000)),
    );
    for (const m of this.modules()) {
      if (m instanceof Conv2d) {
        init.kaimingNormal_(m.weight, { mode: 'fanOut' });
        if (m.bias) init.zeros_(m.bias);
      } else if (m instanceof BatchNorm2d) {
        if (m.weight) init.ones_(m.weight);
        if (m.bias) init.zeros_(m.bias);
      } else if (m instanceof Linear) {
        init.normal_(m.weight, 0, 0.01);
        if (m.bias) init.zeros_(m.bias);
      }
    }
  }

  /** Pooled features [N, numFeatures] before the classifier. */
  pooledFeatures(x: Tensor): Tensor {
    return torch.scope(() => torch.adaptiveAvgPool2d(this.features.forward(x), [1, 1]).flatten(1));
  }

  forward(x: Tensor): Tensor {
    return torch.scope(() => this.classifier.forward(this.pooledFeatures(x)));
  }

  toOnnx(x: string, ctx: EmitContext): string {
    return ctx.child('classifier', emitPooled(ctx, ctx.child('features', x)));
  }
}

export const mobilenetV2 = (o: MobileNetV2Options = {}) => new MobileNetV2(o);
