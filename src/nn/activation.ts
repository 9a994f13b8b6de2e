/** Activation layers: thin modules over the ops of the same names. */
import type { Tensor } from '../tensor/index.js';
import * as torch from '../tensor/index.js';
import { Module } from './module.js';

export class ReLU extends Module {
  forward(input: Tensor): Tensor {
    return torch.relu(input);
  }
}

export class ReLU6 extends Module {
  forward(input: Tensor): Tensor {
    return torch.hardtanh(input, 0, 6);
  }
}

export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }

  forward(input: Tensor): Tensor {
    return torch.leakyRelu(input, this.negativeSlope);
  }

  protected override extraRepr(): string {
    return `negativeSlope=${this.negativeSlope}`;
  }
}

export class ELU extends Module {
  constructor(readonly alpha = 1) {
    super();
  }

  forward(input: Tensor): Tensor {
    return torch.elu(input, this.alpha);
  }

  protected override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

export class GELU extends Module {
  constructor(readonly approximate: 'none' | 'tanh' = 'none') {
    super();
  }

  forward(input: Tensor): Tensor {
    return torch.gelu(input, { approximate: this.approximate });
  }

  protected override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

export class SiLU extends Module {
  forward(input: Tensor): Tensor {
    return torch.silu(input);
  }
}

export class Sigmoid extends Module {
  forward(input: Tensor): Tensor {
    return torch.sigmoid(input);
  }
}

export class Tanh extends Module {
  forward(input: Tensor): Tensor {
    return torch.tanh(input);
  }
}

export class Softmax extends Module {
  constructor(readonly dim = -1) {
    super();
  }

  forward(input: Tensor): Tensor {
    return torch.softmax(input, this.dim);
  }

  protected override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

export class LogSoftmax extends Module {
  constructor(readonly dim = -1) {
    super();
  }

  forward(input: Tensor): Tensor {
    return torch.logSoftmax(input, this.dim);
  }

  protected override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
