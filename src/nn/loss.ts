/** Loss modules: forward(input, target) -> loss, with PyTorch's options and reductions. */
import type { Tensor } from '../tensor/index.js';
import * as torch from '../tensor/index.js';
import { checkChoice } from '../util/options.js';
import { crossEntropy } from './functional.js';
import type { Module } from './module.js';
import { isRegularized } from './regularizer.js';

export type Reduction = torch.Reduction;

export abstract class Loss {
  readonly reduction: Reduction;

  constructor(options: { reduction?: Reduction } = {}) {
    if (options === null || typeof options !== 'object')
      throw new TypeError(
        `${new.target.name}: options must be an object such as { reduction: 'mean' }, got ${String(options)}`,
      );
    this.reduction = checkChoice(new.target.name, 'reduction', options.reduction ?? 'mean', ['mean', 'sum', 'none']);
  }

  abstract forward(input: Tensor, target: Tensor): Tensor;
}

/** Binary cross entropy on probabilities, with optional per-element weight. */
export class BCELoss extends Loss {
  constructor(readonly options: { weight?: Tensor; reduction?: Reduction } = {}) {
    super(options);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return torch.binaryCrossEntropy(input, target, this.options.weight ?? null, this.reduction);
  }
}

/**
 * Sigmoid + binary cross entropy, numerically stable; `posWeight` [C] up-weights positives per class
 * (the usual answer to rare findings in multi-label chest X-rays).
 */
export class BCEWithLogitsLoss extends Loss {
  constructor(readonly options: { weight?: Tensor; posWeight?: Tensor; reduction?: Reduction } = {}) {
    super(options);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return torch.binaryCrossEntropyWithLogits(input, target, {
      weight: this.options.weight ?? null,
      posWeight: this.options.posWeight ?? null,
      reduction: this.reduction,
    });
  }
}

export class CrossEntropyLoss extends Loss {
  constructor(
    readonly options: { weight?: Tensor; ignoreIndex?: number; labelSmoothing?: number; reduction?: Reduction } = {},
  ) {
    super(options);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, {
      weight: this.options.weight ?? null,
      ignoreIndex: this.options.ignoreIndex ?? -100,
      labelSmoothing: this.options.labelSmoothing ?? 0,
      reduction: this.reduction,
    });
  }
}

export class NLLLoss extends Loss {
  constructor(readonly options: { weight?: Tensor; ignoreIndex?: number; reduction?: Reduction } = {}) {
    super(options);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return torch.nllLossNd(
      input,
      target,
      this.options.weight ?? null,
      this.reduction,
      this.options.ignoreIndex ?? -100,
    );
  }
}

/** PyTorch's warning when a target's shape differs from the input's and broadcasting will pair them up. */
const warned = new Set<string>();

function warnOnBroadcast(loss: string, input: Tensor, target: Tensor): void {
  const a = input.shape;
  const b = target.shape;
  if (a.length === b.length && a.every((d, i) => d === b[i])) return;
  const key = `${loss}:${a}:${b}`;
  if (warned.has(key)) return; // once per shape pair, as Python shows a warning once per place
  warned.add(key);
  process.emitWarning(
    `${loss}: using a target size ([${b.join(', ')}]) that is different to the input size ([${a.join(', ')}]). ` +
      'This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.',
    { type: 'UserWarning', code: `TSZOO_${loss.toUpperCase()}_BROADCAST` },
  );
}

export class MSELoss extends Loss {
  forward(input: Tensor, target: Tensor): Tensor {
    warnOnBroadcast('MSELoss', input, target);
    return torch.mseLoss(input, target, this.reduction);
  }
}

export class L1Loss extends Loss {
  forward(input: Tensor, target: Tensor): Tensor {
    warnOnBroadcast('L1Loss', input, target);
    return torch.l1Loss(input, target, this.reduction);
  }
}

export class SmoothL1Loss extends Loss {
  constructor(readonly options: { beta?: number; reduction?: Reduction } = {}) {
    super(options);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return torch.smoothL1Loss(input, target, this.reduction, this.options.beta ?? 1);
  }
}

/** Sum of every layer's weight/bias penalties in a model (BigDL's regularizers), or 0. */
export function regularizationLoss(model: Module): Tensor {
  return torch.scope(() => {
    let total = torch.zeros([]);
    for (const m of model.modules()) {
      if (!isRegularized(m)) continue;
      const r = m.regularizationLoss();
      if (r) total = total.add(r);
    }
    return total;
  });
}
