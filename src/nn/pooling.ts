/** Pooling layers over [N, C, H, W]. */
import type { Tensor } from '../tensor/index.js';
import * as torch from '../tensor/index.js';
import { checkOptions } from '../util/options.js';
import { Module } from './module.js';

type Pair = number | [number, number];

export interface MaxPool2dOptions {
  /** defaults to the kernel size */
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  ceilMode?: boolean;
}

export class MaxPool2d extends Module {
  constructor(
    readonly kernelSize: Pair,
    readonly options: MaxPool2dOptions = {},
  ) {
    super();
    checkOptions('MaxPool2d', options, ['stride', 'padding', 'dilation', 'ceilMode']);
  }

  forward(input: Tensor): Tensor {
    const o = this.options;
    return torch.maxPool2d(
      input,
      this.kernelSize,
      o.stride ?? this.kernelSize,
      o.padding ?? 0,
      o.dilation ?? 1,
      o.ceilMode ?? false,
    );
  }

  protected override extraRepr(): string {
    return `kernelSize=${JSON.stringify(this.kernelSize)}, ${JSON.stringify(this.options)}`;
  }
}

export interface AvgPool2dOptions {
  stride?: Pair;
  padding?: Pair;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number;
}

export class AvgPool2d extends Module {
  constructor(
    readonly kernelSize: Pair,
    readonly options: AvgPool2dOptions = {},
  ) {
    super();
    checkOptions('AvgPool2d', options, ['stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride']);
  }

  forward(input: Tensor): Tensor {
    const o = this.options;
    return torch.avgPool2d(
      input,
      this.kernelSize,
      o.stride ?? this.kernelSize,
      o.padding ?? 0,
      o.ceilMode ?? false,
      o.countIncludePad ?? true,
      o.divisorOverride ?? null,
    );
  }

  protected override extraRepr(): string {
    return `kernelSize=${JSON.stringify(this.kernelSize)}, ${JSON.stringify(this.options)}`;
  }
}

export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: Pair) {
    super();
  }

  forward(input: Tensor): Tensor {
    return torch.adaptiveAvgPool2d(input, this.outputSize);
  }

  protected override extraRepr(): string {
    return `outputSize=${JSON.stringify(this.outputSize)}`;
  }
}

/** Averages each channel over H and W: [N, C, H, W] -> [N, C] (BigDL/Keras GlobalAveragePooling2D). */
export class GlobalAvgPool2d extends Module {
  forward(input: Tensor): Tensor {
    if (input.ndim !== 4)
      throw new RangeError(`GlobalAvgPool2d: expected [N, C, H, W], got [${input.shape.join(', ')}]`);
    return torch.mean(input, [2, 3]);
  }
}
