/**
 * LSTM and GRU over whole sequences, through LibTorch's fused aten::lstm / aten::gru, with
 * torch.nn.LSTM/GRU's parameter names (weight_ih_l0, bias_hh_l1_reverse, ...) and initialisation.
 */
import type { Tensor } from '../tensor/index.js';
import * as torch from '../tensor/index.js';
import { checkInt, checkOptions } from '../util/options.js';
import { uniform_ } from './init.js';
import { Module } from './module.js';

export interface RecurrentOptions {
  numLayers?: number;
  bias?: boolean;
  /** input and output as [N, T, F] instead of [T, N, F] */
  batchFirst?: boolean;
  /** dropout between layers (training only) */
  dropout?: number;
  bidirectional?: boolean;
  dtype?: torch.DType;
}

abstract class RecurrentBase extends Module {
  readonly numLayers: number;
  readonly hasBias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly #flat: Tensor[] = [];

  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    gates: number,
    options: RecurrentOptions,
  ) {
    super();
    checkOptions(this.constructor.name, options, [
      'numLayers',
      'bias',
      'batchFirst',
      'dropout',
      'bidirectional',
      'dtype',
    ]);
    checkInt(this.constructor.name, 'inputSize', inputSize, 1);
    checkInt(this.constructor.name, 'hiddenSize', hiddenSize, 1);
    this.numLayers = checkInt(this.constructor.name, 'numLayers', options.numLayers ?? 1, 1);
    this.hasBias = options.bias ?? true;
    this.batchFirst = options.batchFirst ?? false;
    this.dropout = options.dropout ?? 0;
    this.bidirectional = options.bidirectional ?? false;
    const dtype = options.dtype ?? 'float32';
    const dirs = this.bidirectional ? 2 : 1;
    const bound = 1 / Math.sqrt(hiddenSize);
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let d = 0; d < dirs; d++) {
        const suffix = `_l${layer}${d === 1 ? '_reverse' : ''}`;
        const layerInput = layer === 0 ? inputSize : hiddenSize * dirs;
        const shapes: [string, number[]][] = [
          [`weight_ih${suffix}`, [gates * hiddenSize, layerInput]],
          [`weight_hh${suffix}`, [gates * hiddenSize, hiddenSize]],
        ];
        if (this.hasBias)
          shapes.push([`bias_ih${suffix}`, [gates * hiddenSize]], [`bias_hh${suffix}`, [gates * hiddenSize]]);
        for (const [name, shape] of shapes) {
          const p = this.registerParameter(name, torch.empty(shape, { dtype }));
          uniform_(p, -bound, bound);
          this.#flat.push(p);
        }
      }
    }
  }

  /** The trailing arguments of aten::lstm.input / aten::gru.input, in schema order. */
  protected fusedOptions(): [boolean, number, number, boolean, boolean, boolean] {
    return [this.hasBias, this.numLayers, this.dropout, this.training, this.bidirectional, this.batchFirst];
  }

  /** The parameters in the order aten::lstm / aten::gru expect. */
  protected get flatWeights(): Tensor[] {
    return this.#flat;
  }

  /** Where the batch dimension of the input and output is. */
  protected get batchDim(): 0 | 1 {
    return this.batchFirst ? 0 : 1;
  }

  /**
   * The batched input: unbatched input [T, F] runs as a batch of one, as in torch.nn (its states are
   * then [L*D, H] and get a batch dimension too).
   */
  protected batched(input: Tensor): { x: Tensor; unbatched: boolean } {
    const unbatched = input.ndim === 2;
    return { x: unbatched ? input.unsqueeze(this.batchDim) : input, unbatched };
  }

  /** The given initial state (with a batch dimension if the input had none) or zeros. */
  protected initialState(x: Tensor, state: Tensor | undefined, unbatched: boolean): Tensor {
    if (state) return unbatched ? state.unsqueeze(1) : state;
    const dirs = this.bidirectional ? 2 : 1;
    return torch.zeros([this.numLayers * dirs, x.size(this.batchDim), this.hiddenSize], { dtype: x.dtype });
  }

  protected override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}, numLayers=${this.numLayers}, batchFirst=${this.batchFirst}, bidirectional=${this.bidirectional}`;
  }
}

/** Output and final states of an LSTM. */
export interface LSTMResult {
  output: Tensor;
  h: Tensor;
  c: Tensor;
}

/**
 * @example
 * ```ts
 * const lstm = new LSTM(8, 32, { numLayers: 2, batchFirst: true });
 * const { output, h, c } = lstm.run(x);   // x: [N, T, 8] -> output [N, T, 32]
 * ```
 */
export class LSTM extends RecurrentBase {
  constructor(inputSize: number, hiddenSize: number, options: RecurrentOptions = {}) {
    super(inputSize, hiddenSize, 4, options);
  }

  /** Runs the sequence from the given (or zero) states; returns output and final h, c. */
  run(input: Tensor, state?: { h: Tensor; c: Tensor }): LSTMResult {
    return torch.scope(() => {
      const { x, unbatched } = this.batched(input);
      const h0 = this.initialState(x, state?.h, unbatched);
      const c0 = this.initialState(x, state?.c, unbatched);
      const [output, h, c] = torch.ops.aten.lstm.input(x, [h0, c0], this.flatWeights, ...this.fusedOptions()) as [
        Tensor,
        Tensor,
        Tensor,
      ];
      if (unbatched) return { output: output.squeeze(this.batchDim), h: h.squeeze(1), c: c.squeeze(1) };
      return { output, h, c };
    });
  }

  forward(input: Tensor): Tensor {
    return torch.scope(() => this.run(input).output);
  }
}

/** Output and final state of a GRU. */
export interface GRUResult {
  output: Tensor;
  h: Tensor;
}

export class GRU extends RecurrentBase {
  constructor(inputSize: number, hiddenSize: number, options: RecurrentOptions = {}) {
    super(inputSize, hiddenSize, 3, options);
  }

  run(input: Tensor, state?: { h: Tensor }): GRUResult {
    return torch.scope(() => {
      const { x, unbatched } = this.batched(input);
      const h0 = this.initialState(x, state?.h, unbatched);
      const [output, h] = torch.ops.aten.gru.input(x, h0, this.flatWeights, ...this.fusedOptions()) as [Tensor, Tensor];
      if (unbatched) return { output: output.squeeze(this.batchDim), h: h.squeeze(1) };
      return { output, h };
    });
  }

  forward(input: Tensor): Tensor {
    return torch.scope(() => this.run(input).output);
  }
}
