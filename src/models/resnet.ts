/**
 * ResNet-18/34/50/101/152 with torchvision's module names and shapes (conv1, bn1, layer1.0.conv1,
 * layer2.0.downsample.0, fc, ...), so a torchvision state dict converted to safetensors loads one to one.
 */

import type { EmitContext, OnnxExportable } from '../interop/onnx/export/emitter.js';
import { BatchNorm2d, Conv2d, Linear, MaxPool2d, Module, ReLU, Sequential } from '../nn/index.js';
import type { Tensor } from '../tensor/index.js';
import * as torch from '../tensor/index.js';
import { initLikeTorchvision, type VisionModelOptions } from './common.js';
import { emitChain, emitPooled } from './onnx.js';

abstract class Block extends Module implements OnnxExportable {
  abstract readonly outChannels: number;
  abstract readonly downsample: Sequential | null;
  /** the residual branch's layers, in forward() order */
  protected abstract readonly branch: readonly string[];

  /** The residual branch, plus the (downsampled) input, then ReLU. */
  toOnnx(x: string, ctx: EmitContext): string {
    const out = emitChain(ctx, this.branch, x);
    const identity = this.downsample ? ctx.child('downsample', x) : x;
    return ctx.child('relu', ctx.b.node('Add', [out, identity], ctx.name('add')));
  }
}

class BasicBlock extends Block {
  static readonly expansion = 1;
  readonly outChannels: number;
  protected readonly branch = ['conv1', 'bn1', 'relu', 'conv2', 'bn2'];
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly relu: ReLU;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly downsample: Sequential | null;

  constructor(inPlanes: number, planes: number, stride: number, downsample: Sequential | null) {
    super();
    this.conv1 = this.registerModule('conv1', new Conv2d(inPlanes, planes, 3, { stride, padding: 1, bias: false }));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(planes));
    this.relu = this.registerModule('relu', new ReLU());
    this.conv2 = this.registerModule('conv2', new Conv2d(planes, planes, 3, { padding: 1, bias: false }));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(planes));
    this.downsample = downsample ? this.registerModule('downsample', downsample) : null;
    this.outChannels = planes;
  }

  forward(x: Tensor): Tensor {
    return torch.scope(() => {
      let out = this.relu.forward(this.bn1.forward(this.conv1.forward(x)));
      out = this.bn2.forward(this.conv2.forward(out));
      const identity = this.downsample ? this.downsample.forward(x) : x;
      return out.add_(identity).relu_();
    });
  }
}

class Bottleneck extends Block {
  static readonly expansion = 4;
  readonly outChannels: number;
  protected readonly branch = ['conv1', 'bn1', 'relu', 'conv2', 'bn2', 'relu', 'conv3', 'bn3'];
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly conv3: Conv2d;
  readonly bn3: BatchNorm2d;
  readonly relu: ReLU;
  readonly downsample: Sequential | null;

  constructor(inPlanes: number, planes: number, stride: number, downsample: Sequential | null) {
    super();
    this.conv1 = this.registerModule('conv1', new Conv2d(inPlanes, planes, 1, { bias: false }));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(planes));
    this.conv2 = this.registerModule('conv2', new Conv2d(planes, planes, 3, { stride, padding: 1, bias: false }));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(planes));
    this.conv3 = this.registerModule('conv3', new Conv2d(planes, planes * 4, 1, { bias: false }));
    this.bn3 = this.registerModule('bn3', new BatchNorm2d(planes * 4));
    this.relu = this.registerModule('relu', new ReLU());
    this.downsample = downsample ? this.registerModule('downsample', downsample) : null;
    this.outChannels = planes * 4;
  }

  forward(x: Tensor): Tensor {
    return torch.scope(() => {
      let out = this.relu.forward(this.bn1.forward(this.conv1.forward(x)));
      out = this.relu.forward(this.bn2.forward(this.conv2.forward(out)));
      out = this.bn3.forward(this.conv3.forward(out));
      const identity = this.downsample ? this.downsample.forward(x) : x;
      return out.add_(identity).relu_();
    });
  }
}

type BlockClass = (typeof BasicBlock | typeof Bottleneck) & {
  new (inPlanes: number, planes: number, stride: number, downsample: Sequential | null): Block;
};

/**
 * @example
 * ```ts
 * const model = resnet50({ numClasses: 14, inChannels: 1 });
 * model.loadStateDict(loadSafetensors('resnet50-grey.safetensors').tensors, { strict: false });
 * ```
 */
export class ResNet extends Module implements OnnxExportable {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly relu: ReLU;
  readonly maxpool: MaxPool2d;
  readonly layer1: Sequential;
  readonly layer2: Sequential;
  readonly layer3: Sequential;
  readonly layer4: Sequential;
  readonly fc: Linear;
  /** channels of the pooled features that feed fc (512 or 2048) */
  readonly numFeatures: number;
  #inPlanes = 64;

  constructor(block: BlockClass, layers: [number, number, number, number], options: VisionModelOptions = {}) {
    super();
    const inChannels = options.inChannels ?? 3;
    this.conv1 = this.registerModule('conv1', new Conv2d(inChannels, 64, 7, { stride: 2, padding: 3, bias: false }));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(64));
    this.relu = this.registerModule('relu', new ReLU());
    this.maxpool = this.registerModule('maxpool', new MaxPool2d(3, { stride: 2, padding: 1 }));
    this.layer1 = this.registerModule('layer1', this.#makeLayer(block, 64, layers[0], 1));
    this.layer2 = this.registerModule('layer2', this.#makeLayer(block, 128, layers[1], 2));
    this.layer3 = this.registerModule('layer3', this.#makeLayer(block, 256, layers[2], 2));
    this.layer4 = this.registerModule('layer4', this.#makeLayer(block, 512, layers[3], 2));
    this.numFeatures = 512 * block.expansion;
    this.fc = this.registerModule('fc', new Linear(this.numFeatures, options.numClasses ?? 1000));
    initLikeTorchvision(this);
  }

  #makeLayer(block: BlockClass, planes: number, blocks: number, stride: number): Sequential {
    const expansion = block.expansion;
    let downsample: Sequential | null = null;
    if (stride !== 1 || this.#inPlanes !== planes * expansion) {
      downsample = new Sequential(
        new Conv2d(this.#inPlanes, planes * expansion, 1, { stride, bias: false }),
        new BatchNorm2d(planes * expansion),
      );
    }
    const seq = new Sequential(new block(this.#inPlanes, planes, stride, downsample));
    this.#inPlanes = planes * expansion;
    for (let i = 1; i < blocks; i++) seq.append(new block(this.#inPlanes, planes, 1, null));
    return seq;
  }

  /** Pooled features [N, numFeatures] before fc: the usual input of a new head in transfer learning. */
  features(x: Tensor): Tensor {
    return torch.scope(() => {
      let h = this.maxpool.forward(this.relu.forward(this.bn1.forward(this.conv1.forward(x))));
      for (const layer of [this.layer1, this.layer2, this.layer3, this.layer4]) h = layer.forward(h);
      return torch.adaptiveAvgPool2d(h, [1, 1]).flatten(1);
    });
  }

  forward(x: Tensor): Tensor {
    return torch.scope(() => this.fc.forward(this.features(x)));
  }

  toOnnx(x: string, ctx: EmitContext): string {
    const layers = ['conv1', 'bn1', 'relu', 'maxpool', 'layer1', 'layer2', 'layer3', 'layer4'];
    return ctx.child('fc', emitPooled(ctx, emitChain(ctx, layers, x)));
  }
}

export const resnet18 = (o?: VisionModelOptions) => new ResNet(BasicBlock as BlockClass, [2, 2, 2, 2], o);
export const resnet34 = (o?: VisionModelOptions) => new ResNet(BasicBlock as BlockClass, [3, 4, 6, 3], o);
export const resnet50 = (o?: VisionModelOptions) => new ResNet(Bottleneck as BlockClass, [3, 4, 6, 3], o);
export const resnet101 = (o?: VisionModelOptions) => new ResNet(Bottleneck as BlockClass, [3, 4, 23, 3], o);
export const resnet152 = (o?: VisionModelOptions) => new ResNet(Bottleneck as BlockClass, [3, 8, 36, 3], o);
