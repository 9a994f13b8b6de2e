/** Dropout: zeroes elements with probability p in training and scales the rest by 1/(1-p). */
import type { Tensor } from '../tensor/index.js';
import * as torch from '../tensor/index.js';
import { Module } from './module.js';

export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (!(p >= 0 && p <= 1)) throw new RangeError(`Dropout: p must be in [0, 1], got ${p}`);
  }

  forward(input: Tensor): Tensor {
    return torch.dropout(input, this.p, this.training);
  }

  protected override extraRepr(): string {
    return `p=${this.p}`;
  }
}
