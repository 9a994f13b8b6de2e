/**
 * DenseNet-121/169 (CheXNet's backbone is DenseNet-121) with torchvision's names:
 * features.conv0, features.denseblock1.denselayer1.norm1, features.transition1.conv, classifier, ...
 */

import type { EmitContext, OnnxExportable } from '../interop/onnx/export/emitter.js';
import { AvgPool2d, BatchNorm2d, Conv2d, Dropout, Linear, MaxPool2d, Module, ReLU, Sequential } from '../nn/index.js';
import type { Tensor } from '../tensor/index.js';
import * as torch from '../tensor/index.js';
import { initLikeTorchvision, type VisionModelOptions } from './common.js';
import { emitChain, emitConcat, emitPooled } from './onnx.js';

class DenseLayer extends Module implements OnnxExportable {
  readonly norm1: BatchNorm2d;
  readonly relu1: ReLU;
  readonly conv1: Conv2d;
  readonly norm2: BatchNorm2d;
  readonly relu2: ReLU;
  readonly conv2: Conv2d;
  readonly drop: Dropout | null;

  constructor(inFeatures: number, growthRate: number, bnSize: number, dropRate: number) {
    super();
    this.norm1 = this.registerModule('norm1', new BatchNorm2d(inFeatures));
    this.relu1 = this.registerModule('relu1', new ReLU());
    this.conv1 = this.registerModule('conv1', new Conv2d(inFeatures, bnSize * growthRate, 1, { bias: false }));
    this.norm2 = this.registerModule('norm2', new BatchNorm2d(bnSize * growthRate));
    this.relu2 = this.registerModule('relu2', new ReLU());
    this.conv2 = this.registerModule(
      'conv2',
      new Conv2d(bnSize * growthRate, growthRate, 3, { padding: 1, bias: false }),
    );
    this.drop = dropRate > 0 ? new Dropout(dropRate) : null;
  }

  forward(x: Tensor): Tensor {
    return torch.scope(() => {
      const bottleneck = this.conv1.forward(this.relu1.forward(this.norm1.forward(x)));
      const out = this.conv2.forward(this.relu2.forward(this.norm2.forward(bottleneck)));
      if (this.drop) {
        this.drop.training = this.training;
        return this.drop.forward(out);
      }
      return out;
    });
  }

  /** Dropout is left out: the exported graph is the inference one. */
  toOnnx(x: string, ctx: EmitContext): string {
    return emitChain(ctx, ['norm1', 'relu1', 'conv1', 'norm2', 'relu2', 'conv2'], x);
  }
}

/** A dense block: each layer sees the concatenation of the block input and all earlier outputs. */
class DenseBlock extends Module implements OnnxExportable {
  constructor(numLayers: number, inFeatures: number, growthRate: number, bnSize: number, dropRate: number) {
    super();
    for (let i = 0; i < numLayers; i++) {
      this.registerModule(
        `denselayer${i + 1}`,
        new DenseLayer(inFeatures + i * growthRate, growthRate, bnSize, dropRate),
      );
    }
  }

  forward(x: Tensor): Tensor {
    return torch.scope(() => {
      const features = [x];
      for (const layer of this.children()) features.push(layer.forward(torch.cat(features, 1)));
      return torch.cat(features, 1);
    });
  }

  toOnnx(x: string, ctx: EmitContext): string {
    const features = [x];
    for (const [name] of this.namedChildren()) {
      const input = features.length === 1 ? x : emitConcat(ctx, features, `${name}.cat`);
      features.push(ctx.child(name, input));
    }
    return emitConcat(ctx, features);
  }
}

class Transition extends Sequential {
  constructor(inFeatures: number, outFeatures: number) {
    super();
    this.registerModule('norm', new BatchNorm2d(inFeatures));
    this.registerModule('relu', new ReLU());
    this.registerModule('conv', new Conv2d(inFeatures, outFeatures, 1, { bias: false }));
    this.registerModule('pool', new AvgPool2d(2, { stride: 2 }));
  }
}

export interface DenseNetOptions extends VisionModelOptions {
  growthRate?: number;
  blockConfig?: number[];
  numInitFeatures?: number;
  bnSize?: number;
  dropRate?: number;
}

export class DenseNet extends Module implements OnnxExportable {
  readonly features: Sequential;
  readonly classifier: Linear;
  /** channels of the pooled features that feed the classifier (1024 for DenseNet-121) */
  readonly numFeatures: number;

  constructor(options: DenseNetOptions = {}) {
    super();
    const growth = options.growthRate ?? 32;
    const blocks = options.blockConfig ?? [6, 12, 24, 16];
    const bnSize = options.bnSize ?? 4;
    const dropRate = options.dropRate ?? 0;
    let n = options.numInitFeatures ?? 64;
    const entries: [string, Module][] = [
      ['conv0', new Conv2d(options.inChannels ?? 3, n, 7, { stride: 2, padding: 3, bias: false })],
      ['norm0', new BatchNorm2d(n)],
      ['relu0', new ReLU()],
      ['pool0', new MaxPool2d(3, { stride: 2, padding: 1 })],
    ];
    blocks.forEach((numLayers, i) => {
      entries.push([`denseblock${i + 1}`, new DenseBlock(numLayers, n, growth, bnSize, dropRate)]);
      n += numLayers * growth;
      if (i !== blocks.length - 1) {
        entries.push([`transition${i + 1}`, new Transition(n, Math.floor(n / 2))]);
        n = Math.floor(n / 2);
      }
    });
    entries.push(['norm5', new BatchNorm2d(n)]);
    this.features = this.registerModule('features', Sequential.named(entries));
    this.numFeatures = n;
    this.classifier = this.registerModule('classifier', new Linear(n, options.numClasses ?? 1000));
    initLikeTorchvision(this, 'fanIn', true);
  }

  /** Pooled features [N, numFeatures] before the classifier. */
  pooledFeatures(x: Tensor): Tensor {
    return torch.scope(() => torch.adaptiveAvgPool2d(this.features.forward(x).relu(), [1, 1]).flatten(1));
  }

  forward(x: Tensor): Tensor {
    return torch.scope(() => this.classifier.forward(this.pooledFeatures(x)));
  }

  toOnnx(x: string, ctx: EmitContext): string {
    const h = ctx.b.node('Relu', [ctx.child('features', x)], ctx.name('relu'));
    return ctx.child('classifier', emitPooled(ctx, h));
  }
}

export const densenet121 = (o: DenseNetOptions = {}) => new DenseNet({ blockConfig: [6, 12, 24, 16], ...o });
export const densenet169 = (o: DenseNetOptions = {}) => new DenseNet({ blockConfig: [6, 12, 32, 32], ...o });
