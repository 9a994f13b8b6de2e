/** Linear (fully connected), Identity and Flatten layers. */
import type { Tensor } from '../tensor/index.js';
import * as torch from '../tensor/index.js';
import { checkInt, checkOptions } from '../util/options.js';
import { kaimingUniform_, uniform_ } from './init.js';
import { Module } from './module.js';
import type { Regularized, Regularizer } from './regularizer.js';

export interface LinearOptions {
  bias?: boolean;
  dtype?: torch.DType;
  /** penalty on the weight (BigDL's W_regularizer) */
  wRegularizer?: Regularizer;
  /** penalty on the bias (BigDL's b_regularizer) */
  bRegularizer?: Regularizer;
}

/**
 * y = x W^T + b, over the last dimension. Weights and bias initialised as torch.nn.Linear:
 * U(-1/sqrt(inFeatures), 1/sqrt(inFeatures)).
 *
 * @example
 * ```ts
 * const head = new Linear(2048, 14);
 * const logits = head.forward(features);   // [N, 2048] -> [N, 14]
 * ```
 */
export class Linear extends Module implements Regularized {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly #wReg: Regularizer | undefined;
  readonly #bReg: Regularizer | undefined;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LinearOptions = {},
  ) {
    super();
    checkOptions('Linear', options, ['bias', 'dtype', 'wRegularizer', 'bRegularizer']);
    checkInt('Linear', 'inFeatures', inFeatures);
    checkInt('Linear', 'outFeatures', outFeatures);
    const dtype = options.dtype ?? 'float32';
    this.weight = this.registerParameter('weight', torch.empty([outFeatures, inFeatures], { dtype }));
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    this.bias = this.registerParameter('bias', options.bias === false ? null : torch.empty([outFeatures], { dtype }));
    if (this.bias) {
      const bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
      uniform_(this.bias, -bound, bound);
    }
    this.#wReg = options.wRegularizer;
    this.#bReg = options.bRegularizer;
  }

  forward(input: Tensor): Tensor {
    return torch.linear(input, this.weight, this.bias);
  }

  regularizationLoss(): Tensor | null {
    return regularization(this.weight, this.#wReg, this.bias, this.#bReg);
  }

  protected override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/** @internal Sum of weight and bias penalties, or null when neither is set. */
export function regularization(
  weight: Tensor,
  wReg: Regularizer | undefined,
  bias: Tensor | null,
  bReg: Regularizer | undefined,
): Tensor | null {
  if (!wReg && !(bReg && bias)) return null;
  // one scope around both penalties: only the sum leaves it
  return torch.scope(() => {
    const terms: Tensor[] = [];
    if (wReg) terms.push(wReg.penalty(weight));
    if (bReg && bias) terms.push(bReg.penalty(bias));
    return terms.length === 1 ? (terms[0] as Tensor) : torch.stack(terms).sum();
  });
}

/** Returns its input. */
export class Identity extends Module {
  forward(input: Tensor): Tensor {
    return input;
  }
}

/** Flattens dimensions startDim..endDim into one (default: all but the batch dimension). */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }

  forward(input: Tensor): Tensor {
    return input.flatten(this.startDim, this.endDim);
  }

  protected override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}
