/** 2-d convolution with PyTorch's options and initialisation. */
import type { Tensor } from '../tensor/index.js';
import * as torch from '../tensor/index.js';
import { checkChoice, checkInt, checkOptions } from '../util/options.js';
import { fans, kaimingUniform_, uniform_ } from './init.js';
import { regularization } from './linear.js';
import { Module } from './module.js';
import type { Regularized, Regularizer } from './regularizer.js';

type Pair = number | [number, number];

export interface Conv2dOptions {
  stride?: Pair;
  /** a size, a pair, 'same' (stride 1 only) or 'valid' */
  padding?: Pair | 'same' | 'valid';
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
  paddingMode?: 'zeros' | 'reflect' | 'replicate' | 'circular';
  dtype?: torch.DType;
  wRegularizer?: Regularizer;
  bRegularizer?: Regularizer;
}

const CONV2D_OPTIONS = [
  'stride',
  'padding',
  'dilation',
  'groups',
  'bias',
  'paddingMode',
  'dtype',
  'wRegularizer',
  'bRegularizer',
];

/** A size or a pair of sizes, each an integer >= min. */
function checkPair(name: string, v: unknown, min: number): [number, number] {
  if (typeof v === 'number') return [checkInt('Conv2d', name, v, min), v];
  if (Array.isArray(v) && v.length === 2)
    return [checkInt('Conv2d', `${name}[0]`, v[0], min), checkInt('Conv2d', `${name}[1]`, v[1], min)];
  throw new TypeError(`Conv2d: ${name} must be an integer or a pair of integers, got ${JSON.stringify(v)}`);
}

/**
 * Conv2d over [N, C, H, W] (or unbatched [C, H, W]), with torch.nn.Conv2d's parameter names, shapes
 * and default initialisation.
 *
 * @example
 * ```ts
 * const conv = new Conv2d(1, 64, 7, { stride: 2, padding: 3, bias: false });  // a 1-channel X-ray stem
 * ```
 */
export class Conv2d extends Module implements Regularized {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number] | 'same' | 'valid';
  readonly dilation: [number, number];
  readonly groups: number;
  readonly paddingMode: NonNullable<Conv2dOptions['paddingMode']>;
  readonly #wReg: Regularizer | undefined;
  readonly #bReg: Regularizer | undefined;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Pair,
    options: Conv2dOptions = {},
  ) {
    super();
    checkOptions('Conv2d', options, CONV2D_OPTIONS);
    checkInt('Conv2d', 'inChannels', inChannels, 1);
    checkInt('Conv2d', 'outChannels', outChannels, 1);
    this.kernelSize = checkPair('kernelSize', kernelSize, 1);
    this.stride = checkPair('stride', options.stride ?? 1, 1);
    const padding = options.padding ?? 0;
    this.padding =
      typeof padding === 'string'
        ? checkChoice<'same' | 'valid'>('Conv2d', 'padding', padding, ['same', 'valid'])
        : checkPair('padding', padding, 0);
    this.dilation = checkPair('dilation', options.dilation ?? 1, 1);
    this.groups = checkInt('Conv2d', 'groups', options.groups ?? 1, 1);
    this.paddingMode = checkChoice('Conv2d', 'paddingMode', options.paddingMode ?? 'zeros', [
      'zeros',
      'reflect',
      'replicate',
      'circular',
    ]);
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw new RangeError(
        `Conv2d: channels (${inChannels}, ${outChannels}) must be divisible by groups ${this.groups}`,
      );
    }
    if (this.padding === 'same' && this.stride.some((s) => s !== 1)) {
      throw new RangeError("Conv2d: padding 'same' needs stride 1");
    }
    const dtype = options.dtype ?? 'float32';
    this.weight = this.registerParameter(
      'weight',
      torch.empty([outChannels, inChannels / this.groups, ...this.kernelSize], { dtype }),
    );
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    this.bias = this.registerParameter('bias', options.bias === false ? null : torch.empty([outChannels], { dtype }));
    if (this.bias) {
      const [fanIn] = fans(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      uniform_(this.bias, -bound, bound);
    }
    this.#wReg = options.wRegularizer;
    this.#bReg = options.bRegularizer;
  }

  forward(input: Tensor): Tensor {
    if (this.paddingMode === 'zeros') {
      if (typeof this.padding === 'string') {
        return torch.conv2d(input, this.weight, this.bias, this.stride, this.padding, this.dilation, this.groups);
      }
      return torch.conv2d(input, this.weight, this.bias, this.stride, this.padding, this.dilation, this.groups);
    }
    // Non-zero padding modes pad explicitly (PyTorch's _reversed_padding_repeated_twice), then convolve.
    const [[top, bottom], [left, right]] = this.#explicitPadding();
    return torch.scope(() => {
      const padded = torch.ops.aten.pad(input, [left, right, top, bottom], { mode: this.paddingMode }) as Tensor;
      return torch.conv2d(padded, this.weight, this.bias, this.stride, 0, this.dilation, this.groups);
    });
  }

  /** [before, after] padding of H and W; 'same' puts the odd element after, as PyTorch does. */
  #explicitPadding(): [[number, number], [number, number]] {
    const sides = (i: 0 | 1): [number, number] => {
      if (this.padding === 'valid') return [0, 0];
      if (this.padding !== 'same') return [this.padding[i], this.padding[i]];
      const total = this.dilation[i] * (this.kernelSize[i] - 1);
      const before = Math.floor(total / 2);
      return [before, total - before];
    };
    return [sides(0), sides(1)];
  }

  regularizationLoss(): Tensor | null {
    return regularization(this.weight, this.#wReg, this.bias, this.#bReg);
  }

  protected override extraRepr(): string {
    const parts = [
      `${this.inChannels}, ${this.outChannels}, kernelSize=[${this.kernelSize}]`,
      `stride=[${this.stride}]`,
    ];
    if (this.padding !== 'valid' && String(this.padding) !== '0,0')
      parts.push(`padding=${JSON.stringify(this.padding)}`);
    if (String(this.dilation) !== '1,1') parts.push(`dilation=[${this.dilation}]`);
    if (this.groups !== 1) parts.push(`groups=${this.groups}`);
    if (!this.bias) parts.push('bias=false');
    return parts.join(', ');
  }
}
