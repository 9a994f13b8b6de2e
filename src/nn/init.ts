/**
 * Parameter initialisation, matching torch.nn.init: fan computation, gains, and the in-place fills.
 * All functions fill `t` in place under noGrad and return it.
 */
import { noGrad, ops, type Tensor } from '../tensor/index.js';

export type Nonlinearity = 'linear' | 'conv2d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

/** torch.nn.init.calculate_gain. */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv2d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
  }
}

/** [fanIn, fanOut] of a weight shaped [out, in, ...kernel] (torch's _calculate_fan_in_and_fan_out). */
export function fans(t: Tensor): [number, number] {
  const s = t.shape;
  if (s.length < 2) throw new RangeError(`init: fan in and fan out need at least 2 dimensions, got [${s.join(', ')}]`);
  const receptive = s.slice(2).reduce((a, b) => a * b, 1);
  return [(s[1] as number) * receptive, (s[0] as number) * receptive];
}

export function uniform_(t: Tensor, low = 0, high = 1): Tensor {
  noGrad(() => t.uniform_(low, high));
  return t;
}

export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  noGrad(() => t.normal_(mean, std));
  return t;
}

/**
 * Normal(mean, std) truncated to [a, b], as torch.nn.init.trunc_normal_ (inverse-CDF method: uniform,
 * erfinv, scale, clamp).
 */
export function truncNormal_(t: Tensor, mean = 0, std = 1, a = -2, b = 2): Tensor {
  const cdf = (x: number) => (1 + erf(x / Math.SQRT2)) / 2;
  const l = cdf((a - mean) / std);
  const u = cdf((b - mean) / std);
  noGrad(() => {
    t.uniform_(2 * l - 1, 2 * u - 1);
    (ops.aten.erfinv_ as unknown as (x: Tensor) => Tensor)(t);
    t.mul_(std * Math.SQRT2)
      .add_(mean)
      .clamp_(a, b);
  });
  return t;
}

/** Error function: Maclaurin series below 3, the erfc continued fraction above (about 1e-15). */
function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const ax = Math.abs(x);
  if (ax < 3) {
    // Maclaurin series: erf(x) = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1))
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 200; n++) {
      term *= (-ax * ax) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (sign * 2 * sum) / Math.sqrt(Math.PI);
  }
  // Continued fraction for erfc at larger x.
  let f = 0;
  for (let k = 60; k >= 1; k--) f = k / 2 / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return sign * (1 - erfc);
}

export function constant_(t: Tensor, value: number): Tensor {
  noGrad(() => t.fill_(value));
  return t;
}

export function zeros_(t: Tensor): Tensor {
  noGrad(() => t.zero_());
  return t;
}

export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}

export interface KaimingOptions {
  /** negative slope of the rectifier after this layer (leaky_relu) */
  a?: number;
  mode?: 'fanIn' | 'fanOut';
  nonlinearity?: Nonlinearity;
}

function kaimingStd(t: Tensor, o: KaimingOptions): number {
  const [fanIn, fanOut] = fans(t);
  const fan = (o.mode ?? 'fanIn') === 'fanIn' ? fanIn : fanOut;
  return calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(fan);
}

/** He uniform: U(-b, b), b = gain * sqrt(3 / fan). */
export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  if (t.numel() === 0) return t; // as PyTorch: initializing a zero-element tensor is a no-op
  const bound = Math.sqrt(3) * kaimingStd(t, options);
  return uniform_(t, -bound, bound);
}

/** He normal: N(0, gain / sqrt(fan)). */
export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  if (t.numel() === 0) return t;
  return normal_(t, 0, kaimingStd(t, options));
}

/** Glorot uniform: U(-b, b), b = gain * sqrt(6 / (fanIn + fanOut)). */
export function xavierUniform_(t: Tensor, gain = 1): Tensor {
  if (t.numel() === 0) return t;
  const [fanIn, fanOut] = fans(t);
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -bound, bound);
}

/** Glorot normal: N(0, gain * sqrt(2 / (fanIn + fanOut))). */
export function xavierNormal_(t: Tensor, gain = 1): Tensor {
  const [fanIn, fanOut] = fans(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)));
}
