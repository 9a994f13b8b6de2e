/**
 * Inception-v3 with torchvision's names (Conv2d_1a_3x3.conv, Mixed_5b.branch1x1.bn, AuxLogits.fc, fc).
 * In training mode with auxLogits, forwardWithAux() also returns the auxiliary classifier's logits.
 */

import type { EmitContext, OnnxExportable } from '../interop/onnx/export/emitter.js';
import { BatchNorm2d, Conv2d, type Conv2dOptions, Dropout, init, Linear, Module } from '../nn/index.js';
import type { Tensor } from '../tensor/index.js';
import * as torch from '../tensor/index.js';
import type { VisionModelOptions } from './common.js';
import { emitChain, emitConcat, emitPooled } from './onnx.js';

type Pair = number | [number, number];

class BasicConv2d extends Module implements OnnxExportable {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;

  constructor(inC: number, outC: number, kernel: Pair, options: Conv2dOptions = {}) {
    super();
    this.conv = this.registerModule('conv', new Conv2d(inC, outC, kernel, { ...options, bias: false }));
    this.bn = this.registerModule('bn', new BatchNorm2d(outC, { eps: 0.001 }));
  }

  forward(x: Tensor): Tensor {
    return torch.scope(() => this.bn.forward(this.conv.forward(x)).relu_());
  }

  toOnnx(x: string, ctx: EmitContext): string {
    return ctx.b.node('Relu', [emitChain(ctx, ['conv', 'bn'], x)], ctx.name('relu'));
  }
}

/** A module of named branches whose outputs are concatenated along channels. */
abstract class InceptionBlock extends Module implements OnnxExportable {
  protected conv(name: string, inC: number, outC: number, kernel: Pair, options: Conv2dOptions = {}): BasicConv2d {
    return this.registerModule(name, new BasicConv2d(inC, outC, kernel, options));
  }

  protected run(name: string, x: Tensor): Tensor {
    return this.getSubmodule(name).forward(x);
  }

  protected chain(names: string[], x: Tensor): Tensor {
    return names.reduce((h, n) => this.run(n, h), x);
  }

  /** The block's nodes on `x`, as forward() computes them. */
  abstract toOnnx(x: string, ctx: EmitContext): string;
}

const avgPool3 = (x: Tensor) => torch.avgPool2d(x, 3, 1, 1);

const avgPool3Onnx = (ctx: EmitContext, x: string) =>
  ctx.b.node('AveragePool', [x], ctx.name('avgpool'), {
    kernel_shape: { ints: [3, 3] },
    strides: { ints: [1, 1] },
    pads: { ints: [1, 1, 1, 1] },
    count_include_pad: { i: 1 },
  });

const maxPool3s2Onnx = (ctx: EmitContext, x: string, name: string) =>
  ctx.b.node('MaxPool', [x], ctx.name(name), { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] } });

class InceptionA extends InceptionBlock {
  constructor(inC: number, poolFeatures: number) {
    super();
    this.conv('branch1x1', inC, 64, 1);
    this.conv('branch5x5_1', inC, 48, 1);
    this.conv('branch5x5_2', 48, 64, 5, { padding: 2 });
    this.conv('branch3x3dbl_1', inC, 64, 1);
    this.conv('branch3x3dbl_2', 64, 96, 3, { padding: 1 });
    this.conv('branch3x3dbl_3', 96, 96, 3, { padding: 1 });
    this.conv('branch_pool', inC, poolFeatures, 1);
  }

  forward(x: Tensor): Tensor {
    return torch.scope(() =>
      torch.cat(
        [
          this.run('branch1x1', x),
          this.chain(['branch5x5_1', 'branch5x5_2'], x),
          this.chain(['branch3x3dbl_1', 'branch3x3dbl_2', 'branch3x3dbl_3'], x),
          this.run('branch_pool', avgPool3(x)),
        ],
        1,
      ),
    );
  }

  toOnnx(x: string, ctx: EmitContext): string {
    return emitConcat(ctx, [
      ctx.child('branch1x1', x),
      emitChain(ctx, ['branch5x5_1', 'branch5x5_2'], x),
      emitChain(ctx, ['branch3x3dbl_1', 'branch3x3dbl_2', 'branch3x3dbl_3'], x),
      ctx.child('branch_pool', avgPool3Onnx(ctx, x)),
    ]);
  }
}

class InceptionB extends InceptionBlock {
  constructor(inC: number) {
    super();
    this.conv('branch3x3', inC, 384, 3, { stride: 2 });
    this.conv('branch3x3dbl_1', inC, 64, 1);
    this.conv('branch3x3dbl_2', 64, 96, 3, { padding: 1 });
    this.conv('branch3x3dbl_3', 96, 96, 3, { stride: 2 });
  }

  forward(x: Tensor): Tensor {
    return torch.scope(() =>
      torch.cat(
        [
          this.run('branch3x3', x),
          this.chain(['branch3x3dbl_1', 'branch3x3dbl_2', 'branch3x3dbl_3'], x),
          torch.maxPool2d(x, 3, 2),
        ],
        1,
      ),
    );
  }

  toOnnx(x: string, ctx: EmitContext): string {
    return emitConcat(ctx, [
      ctx.child('branch3x3', x),
      emitChain(ctx, ['branch3x3dbl_1', 'branch3x3dbl_2', 'branch3x3dbl_3'], x),
      maxPool3s2Onnx(ctx, x, 'maxpool'),
    ]);
  }
}

class InceptionC extends InceptionBlock {
  constructor(inC: number, c7: number) {
    super();
    this.conv('branch1x1', inC, 192, 1);
    this.conv('branch7x7_1', inC, c7, 1);
    this.conv('branch7x7_2', c7, c7, [1, 7], { padding: [0, 3] });
    this.conv('branch7x7_3', c7, 192, [7, 1], { padding: [3, 0] });
    this.conv('branch7x7dbl_1', inC, c7, 1);
    this.conv('branch7x7dbl_2', c7, c7, [7, 1], { padding: [3, 0] });
    this.conv('branch7x7dbl_3', c7, c7, [1, 7], { padding: [0, 3] });
    this.conv('branch7x7dbl_4', c7, c7, [7, 1], { padding: [3, 0] });
    this.conv('branch7x7dbl_5', c7, 192, [1, 7], { padding: [0, 3] });
    this.conv('branch_pool', inC, 192, 1);
  }

  forward(x: Tensor): Tensor {
    return torch.scope(() =>
      torch.cat(
        [
          this.run('branch1x1', x),
          this.chain(['branch7x7_1', 'branch7x7_2', 'branch7x7_3'], x),
          this.chain(['branch7x7dbl_1', 'branch7x7dbl_2', 'branch7x7dbl_3', 'branch7x7dbl_4', 'branch7x7dbl_5'], x),
          this.run('branch_pool', avgPool3(x)),
        ],
        1,
      ),
    );
  }

  toOnnx(x: string, ctx: EmitContext): string {
    return emitConcat(ctx, [
      ctx.child('branch1x1', x),
      emitChain(ctx, ['branch7x7_1', 'branch7x7_2', 'branch7x7_3'], x),
      emitChain(ctx, ['branch7x7dbl_1', 'branch7x7dbl_2', 'branch7x7dbl_3', 'branch7x7dbl_4', 'branch7x7dbl_5'], x),
      ctx.child('branch_pool', avgPool3Onnx(ctx, x)),
    ]);
  }
}

class InceptionD extends InceptionBlock {
  constructor(inC: number) {
    super();
    this.conv('branch3x3_1', inC, 192, 1);
    this.conv('branch3x3_2', 192, 320, 3, { stride: 2 });
    this.conv('branch7x7x3_1', inC, 192, 1);
    this.conv('branch7x7x3_2', 192, 192, [1, 7], { padding: [0, 3] });
    this.conv('branch7x7x3_3', 192, 192, [7, 1], { padding: [3, 0] });
    this.conv('branch7x7x3_4', 192, 192, 3, { stride: 2 });
  }

  forward(x: Tensor): Tensor {
    return torch.scope(() =>
      torch.cat(
        [
          this.chain(['branch3x3_1', 'branch3x3_2'], x),
          this.chain(['branch7x7x3_1', 'branch7x7x3_2', 'branch7x7x3_3', 'branch7x7x3_4'], x),
          torch.maxPool2d(x, 3, 2),
        ],
        1,
      ),
    );
  }

  toOnnx(x: string, ctx: EmitContext): string {
    return emitConcat(ctx, [
      emitChain(ctx, ['branch3x3_1', 'branch3x3_2'], x),
      emitChain(ctx, ['branch7x7x3_1', 'branch7x7x3_2', 'branch7x7x3_3', 'branch7x7x3_4'], x),
      maxPool3s2Onnx(ctx, x, 'maxpool'),
    ]);
  }
}

class InceptionE extends InceptionBlock {
  constructor(inC: number) {
    super();
    this.conv('branch1x1', inC, 320, 1);
    this.conv('branch3x3_1', inC, 384, 1);
    this.conv('branch3x3_2a', 384, 384, [1, 3], { padding: [0, 1] });
    this.conv('branch3x3_2b', 384, 384, [3, 1], { padding: [1, 0] });
    this.conv('branch3x3dbl_1', inC, 448, 1);
    this.conv('branch3x3dbl_2', 448, 384, 3, { padding: 1 });
    this.conv('branch3x3dbl_3a', 384, 384, [1, 3], { padding: [0, 1] });
    this.conv('branch3x3dbl_3b', 384, 384, [3, 1], { padding: [1, 0] });
    this.conv('branch_pool', inC, 192, 1);
  }

  forward(x: Tensor): Tensor {
    return torch.scope(() => {
      const b3 = this.run('branch3x3_1', x);
      const b3dbl = this.chain(['branch3x3dbl_1', 'branch3x3dbl_2'], x);
      return torch.cat(
        [
          this.run('branch1x1', x),
          torch.cat([this.run('branch3x3_2a', b3), this.run('branch3x3_2b', b3)], 1),
          torch.cat([this.run('branch3x3dbl_3a', b3dbl), this.run('branch3x3dbl_3b', b3dbl)], 1),
          this.run('branch_pool', avgPool3(x)),
        ],
        1,
      );
    });
  }

  toOnnx(x: string, ctx: EmitContext): string {
    const b3 = ctx.child('branch3x3_1', x);
    const b3dbl = emitChain(ctx, ['branch3x3dbl_1', 'branch3x3dbl_2'], x);
    return emitConcat(ctx, [
      ctx.child('branch1x1', x),
      emitConcat(ctx, [ctx.child('branch3x3_2a', b3), ctx.child('branch3x3_2b', b3)], 'branch3x3.cat'),
      emitConcat(ctx, [ctx.child('branch3x3dbl_3a', b3dbl), ctx.child('branch3x3dbl_3b', b3dbl)], 'branch3x3dbl.cat'),
      ctx.child('branch_pool', avgPool3Onnx(ctx, x)),
    ]);
  }
}

class InceptionAux extends Module {
  readonly conv0: BasicConv2d;
  readonly conv1: BasicConv2d;
  readonly fc: Linear;

  constructor(inC: number, numClasses: number) {
    super();
    this.conv0 = this.registerModule('conv0', new BasicConv2d(inC, 128, 1));
    this.conv1 = this.registerModule('conv1', new BasicConv2d(128, 768, 5));
    this.fc = this.registerModule('fc', new Linear(768, numClasses));
  }

  forward(x: Tensor): Tensor {
    return torch.scope(() => {
      const h = this.conv1.forward(this.conv0.forward(torch.avgPool2d(x, 5, 3)));
      return this.fc.forward(torch.adaptiveAvgPool2d(h, [1, 1]).flatten(1));
    });
  }
}

export interface InceptionV3Options extends VisionModelOptions {
  /** build the auxiliary classifier (torchvision's default) */
  auxLogits?: boolean;
  dropout?: number;
}

export class InceptionV3 extends Module implements OnnxExportable {
  readonly AuxLogits: InceptionAux | null;
  readonly fc: Linear;
  readonly numFeatures = 2048;
  readonly #stem: string[] = ['Conv2d_1a_3x3', 'Conv2d_2a_3x3', 'Conv2d_2b_3x3'];
  readonly #dropout: Dropout;

  constructor(options: InceptionV3Options = {}) {
    super();
    const numClasses = options.numClasses ?? 1000;
    this.registerModule('Conv2d_1a_3x3', new BasicConv2d(options.inChannels ?? 3, 32, 3, { stride: 2 }));
    this.registerModule('Conv2d_2a_3x3', new BasicConv2d(32, 32, 3));
    this.registerModule('Conv2d_2b_3x3', new BasicConv2d(32, 64, 3, { padding: 1 }));
    this.registerModule('Conv2d_3b_1x1', new BasicConv2d(64, 80, 1));
    this.registerModule('Conv2d_4a_3x3', new BasicConv2d(80, 192, 3));
    this.registerModule('Mixed_5b', new InceptionA(192, 32));
    this.registerModule('Mixed_5c', new InceptionA(256, 64));
    this.registerModule('Mixed_5d', new InceptionA(288, 64));
    this.registerModule('Mixed_6a', new InceptionB(288));
    this.registerModule('Mixed_6b', new InceptionC(768, 128));
    this.registerModule('Mixed_6c', new InceptionC(768, 160));
    this.registerModule('Mixed_6d', new InceptionC(768, 160));
    this.registerModule('Mixed_6e', new InceptionC(768, 192));
    this.AuxLogits =
      options.auxLogits === false ? null : this.registerModule('AuxLogits', new InceptionAux(768, numClasses));
    this.registerModule('Mixed_7a', new InceptionD(768));
    this.registerModule('Mixed_7b', new InceptionE(1280));
    this.registerModule('Mixed_7c', new InceptionE(2048));
    this.#dropout = new Dropout(options.dropout ?? 0.5);
    this.fc = this.registerModule('fc', new Linear(2048, numClasses));
    // torchvision: truncated normal, std 0.1 (0.01 for AuxLogits.conv1, 0.001 for AuxLogits.fc); BN 1/0.
    for (const [name, m] of this.namedModules()) {
      if (m instanceof Conv2d || m instanceof Linear) {
        const std = name === 'AuxLogits.conv1.conv' ? 0.01 : name === 'AuxLogits.fc' ? 0.001 : 0.1;
        init.truncNormal_(m.weight, 0, std, -2, 2);
      } else if (m instanceof BatchNorm2d) {
        if (m.weight) init.ones_(m.weight);
        if (m.bias) init.zeros_(m.bias);
      }
    }
  }

  #trunk(x: Tensor): { features: Tensor; aux: Tensor | null } {
    let h = x;
    for (const n of this.#stem) h = this.getSubmodule(n).forward(h);
    h = torch.maxPool2d(h, 3, 2);
    h = this.getSubmodule('Conv2d_4a_3x3').forward(this.getSubmodule('Conv2d_3b_1x1').forward(h));
    h = torch.maxPool2d(h, 3, 2);
    for (const n of ['Mixed_5b', 'Mixed_5c', 'Mixed_5d', 'Mixed_6a', 'Mixed_6b', 'Mixed_6c', 'Mixed_6d', 'Mixed_6e']) {
      h = this.getSubmodule(n).forward(h);
    }
    const aux = this.AuxLogits && this.training ? this.AuxLogits.forward(h) : null;
    for (const n of ['Mixed_7a', 'Mixed_7b', 'Mixed_7c']) h = this.getSubmodule(n).forward(h);
    return { features: torch.adaptiveAvgPool2d(h, [1, 1]).flatten(1), aux };
  }

  /** Pooled features [N, 2048] before dropout and fc (input at least 75x75; 299x299 as trained). */
  pooledFeatures(x: Tensor): Tensor {
    return torch.scope(() => this.#trunk(x).features);
  }

  forward(x: Tensor): Tensor {
    return torch.scope(() => {
      this.#dropout.training = this.training;
      return this.fc.forward(this.#dropout.forward(this.#trunk(x).features));
    });
  }

  /** Logits and, in training mode with the auxiliary classifier, its logits (null otherwise). */
  forwardWithAux(x: Tensor): { logits: Tensor; aux: Tensor | null } {
    return torch.scope(() => {
      this.#dropout.training = this.training;
      const { features, aux } = this.#trunk(x);
      return { logits: this.fc.forward(this.#dropout.forward(features)), aux };
    });
  }

  /** AuxLogits only runs in training; the exported graph is the inference one (dropout left out too). */
  toOnnx(x: string, ctx: EmitContext): string {
    let h = maxPool3s2Onnx(ctx, emitChain(ctx, this.#stem, x), 'maxpool1');
    h = maxPool3s2Onnx(ctx, emitChain(ctx, ['Conv2d_3b_1x1', 'Conv2d_4a_3x3'], h), 'maxpool2');
    const mixed = ['5b', '5c', '5d', '6a', '6b', '6c', '6d', '6e', '7a', '7b', '7c'].map((n) => `Mixed_${n}`);
    return ctx.child('fc', emitPooled(ctx, emitChain(ctx, mixed, h)));
  }
}

export const inceptionV3 = (o: InceptionV3Options = {}) => new InceptionV3(o);
