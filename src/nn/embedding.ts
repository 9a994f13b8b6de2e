/** Embedding: a lookup table of vectors indexed by int64 ids. */
import type { Tensor } from '../tensor/index.js';
import * as torch from '../tensor/index.js';
import { normal_ } from './init.js';
import { Module } from './module.js';

export class Embedding extends Module {
  readonly weight: Tensor;
  /** padding index made non-negative, or -1 for none */
  readonly paddingIdx: number;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    readonly options: { paddingIdx?: number; dtype?: torch.DType } = {},
  ) {
    super();
    this.weight = this.registerParameter(
      'weight',
      torch.empty([numEmbeddings, embeddingDim], { dtype: options.dtype ?? 'float32' }),
    );
    normal_(this.weight);
    const pad = options.paddingIdx;
    if (pad !== undefined) {
      if (pad < -numEmbeddings || pad >= numEmbeddings)
        throw new RangeError(`Embedding: paddingIdx ${pad} out of range`);
      this.paddingIdx = pad < 0 ? pad + numEmbeddings : pad;
      // a block body: the zeroed view must not escape the scope as its result
      torch.noGrad(() =>
        torch.scope(() => {
          this.weight.select(0, this.paddingIdx).zero_();
        }),
      );
    } else {
      this.paddingIdx = -1;
    }
  }

  forward(ids: Tensor): Tensor {
    return torch.embedding(this.weight, ids, this.paddingIdx);
  }

  protected override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}`;
  }
}
