/**
 * Indexing and tensor-construction ops of exported shape arithmetic: Slice, Split, Expand, Where, Tile,
 * Range, ConstantOfShape, ArgMax/ArgMin.
 */
import * as torch from '../../../tensor/index.js';
import type { Tensor } from '../../../tensor/tensor.js';
import { nodeError } from '../attributes.js';
import { axis, ints, type OpConverter, type PrepareContext, required } from './converter.js';

const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);

/** x[start:end:step] along dimension `a`, with ONNX's clamping (steps may be negative). */
function sliceAxis(c: PrepareContext, x: Tensor, a: number, start: number, end: number, step: number): Tensor {
  if (step === 0) nodeError(c.node, 'steps must not be 0');
  const dim = x.shape[a] as number;
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = clamp(s, 0, dim);
    e = clamp(e, 0, dim);
    return torch.slice(x, a, s, Math.max(s, e), step);
  }
  s = clamp(s, 0, dim - 1);
  e = clamp(e, -1, dim - 1);
  const picked: number[] = [];
  for (let i = s; i > e; i += step) picked.push(i);
  const index = torch.tensor(BigInt64Array.from(picked.map(BigInt)), { dtype: 'int64' });
  return torch.indexSelect(x, a, index);
}

const slice: OpConverter = {
  prepare(c) {
    const legacy = c.opset < 10;
    c.attrs.allow(legacy ? ['starts', 'ends', 'axes'] : []);
    const attrs = { starts: c.attrs.ints('starts'), ends: c.attrs.ints('ends'), axes: c.attrs.ints('axes') };
    if (legacy && (!attrs.starts || !attrs.ends)) nodeError(c.node, "attributes 'starts' and 'ends' are required");
    return (inputs) => {
      const x = required(c, inputs, 0);
      const starts = legacy ? (attrs.starts as number[]) : ints(required(c, inputs, 1));
      const ends = legacy ? (attrs.ends as number[]) : ints(required(c, inputs, 2));
      const axesGiven = legacy ? attrs.axes : inputs[3] ? ints(inputs[3]) : undefined;
      const axes = axesGiven ?? starts.map((_, i) => i);
      const steps = !legacy && inputs[4] ? ints(inputs[4]) : starts.map(() => 1);
      if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
        nodeError(
          c.node,
          `starts, ends, axes and steps differ in length (${starts.length}, ${ends.length}, ${axes.length}, ${steps.length})`,
        );
      }
      let y = x;
      starts.forEach((s, i) => {
        y = sliceAxis(c, y, axis(c, axes[i] as number, x.ndim), s, ends[i] as number, steps[i] as number);
      });
      return [y];
    };
  },
};

const split: OpConverter = {
  prepare(c) {
    c.attrs.allow(c.opset >= 18 ? ['axis', 'num_outputs'] : c.opset >= 13 ? ['axis'] : ['axis', 'split']);
    const ax = c.attrs.int('axis', 0);
    const splitAttr = c.attrs.ints('split');
    const count = c.opset >= 18 && c.attrs.has('num_outputs') ? c.attrs.int('num_outputs', 0) : c.outputs.length;
    return (inputs) => {
      const x = required(c, inputs, 0);
      const a = axis(c, ax, x.ndim);
      const dim = x.shape[a] as number;
      const given = c.opset >= 13 ? (inputs[1] ? ints(inputs[1]) : undefined) : splitAttr;
      let sizes: number[];
      if (given) sizes = given;
      else {
        // equal parts; from opset 18 the last may be smaller, before it they must divide evenly
        const part = Math.ceil(dim / count);
        if (c.opset < 18 && part * count !== dim)
          nodeError(c.node, `dimension ${dim} does not split into ${count} equal parts`);
        sizes = Array.from({ length: count }, (_, i) => Math.max(0, Math.min(part, dim - i * part)));
      }
      if (sizes.reduce((s, v) => s + v, 0) !== dim) {
        nodeError(c.node, `split sizes [${sizes}] do not add up to dimension ${a}'s ${dim}`);
      }
      let start = 0;
      return sizes.map((n) => {
        const piece = torch.slice(x, a, start, start + n);
        start += n;
        return piece;
      });
    };
  },
};

/** The broadcast of two shapes (numpy rules), or an error naming both. */
function broadcastShape(c: PrepareContext, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) nodeError(c.node, `shapes [${a}] and [${b}] do not broadcast`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

const expand: OpConverter = {
  prepare(c) {
    c.attrs.allow([]);
    return (inputs) => {
      const x = required(c, inputs, 0);
      return [torch.expand(x, broadcastShape(c, x.shape, ints(required(c, inputs, 1))))];
    };
  },
};

const where: OpConverter = {
  prepare(c) {
    c.attrs.allow([]);
    return (inputs) => {
      const cond = required(c, inputs, 0);
      return [torch.where(cond.dtype === 'bool' ? cond : cond.bool(), required(c, inputs, 1), required(c, inputs, 2))];
    };
  },
};

const tile: OpConverter = {
  prepare(c) {
    c.attrs.allow([]);
    return (inputs) => {
      const x = required(c, inputs, 0);
      const repeats = ints(required(c, inputs, 1));
      if (repeats.length !== x.ndim) nodeError(c.node, `repeats [${repeats}] do not fit rank ${x.ndim}`);
      return [torch.repeat(x, repeats)];
    };
  },
};

const range: OpConverter = {
  prepare(c) {
    c.attrs.allow([]);
    return (inputs) => {
      const [start, limit, delta] = [0, 1, 2].map((i) => required(c, inputs, i));
      const v = (t: Tensor) => Number(t.item());
      if (v(delta as Tensor) === 0) nodeError(c.node, 'delta must not be 0');
      return [
        torch.arange(v(start as Tensor), v(limit as Tensor), v(delta as Tensor), { dtype: (start as Tensor).dtype }),
      ];
    };
  },
};

const constantOfShape: OpConverter = {
  prepare(c) {
    c.attrs.allow(['value']);
    const value = c.attrs.tensor('value');
    if (value && value.numel() !== 1)
      nodeError(c.node, `attribute 'value' must hold one element, has ${value.numel()}`);
    const fill = value ? Number(value.reshape([]).item()) : 0;
    const dtype = value?.dtype ?? 'float32';
    value?.dispose();
    return (inputs) => [torch.full(ints(required(c, inputs, 0)), fill, { dtype })];
  },
};

function argReduce(fn: typeof torch.argmax): OpConverter {
  return {
    prepare(c) {
      c.attrs.allow(['axis', 'keepdims', 'select_last_index']);
      const ax = c.attrs.int('axis', 0);
      const keep = c.attrs.int('keepdims', 1) === 1;
      if (c.attrs.int('select_last_index', 0) !== 0) nodeError(c.node, 'select_last_index=1 is not supported');
      return (inputs) => {
        const x = required(c, inputs, 0);
        return [fn(x, axis(c, ax, x.ndim), keep)];
      };
    },
  };
}

export const indexingOps: Record<string, OpConverter> = {
  Slice: slice,
  Split: split,
  Expand: expand,
  Where: where,
  Tile: tile,
  Range: range,
  ConstantOfShape: constantOfShape,
  ArgMax: argReduce(torch.argmax),
  ArgMin: argReduce(torch.argmin),
};
