/** Shape and layout ops: Flatten, Reshape, Transpose, Squeeze, Unsqueeze, Concat, Shape, Gather, Identity, Constant. */
import * as torch from '../../../tensor/index.js';
import type { Tensor } from '../../../tensor/tensor.js';
import { nodeError } from '../attributes.js';
import { axis, ints, type OpConverter, type PrepareContext, required } from './converter.js';

const product = (dims: number[]) => dims.reduce((a, d) => a * d, 1);

const flatten: OpConverter = {
  prepare(c) {
    c.attrs.allow(['axis']);
    const ax = c.attrs.int('axis', 1);
    return (inputs) => {
      const x = required(c, inputs, 0);
      const a = ax < 0 ? ax + x.ndim : ax;
      if (a < 0 || a > x.ndim) nodeError(c.node, `axis ${ax} is out of range for rank ${x.ndim}`);
      return [x.reshape([product(x.shape.slice(0, a)), product(x.shape.slice(a))])];
    };
  },
};

const reshape: OpConverter = {
  prepare(c) {
    c.attrs.allow(c.opset >= 14 ? ['allowzero'] : []);
    const allowZero = c.attrs.int('allowzero', 0) === 1;
    return (inputs) => {
      const x = required(c, inputs, 0);
      const shape = ints(required(c, inputs, 1)).map((d, i) => (d === 0 && !allowZero ? (x.shape[i] ?? 0) : d));
      return [x.reshape(shape)];
    };
  },
};

const transpose: OpConverter = {
  prepare(c) {
    c.attrs.allow(['perm']);
    const perm = c.attrs.ints('perm');
    return (inputs) => {
      const x = required(c, inputs, 0);
      const p = perm ?? Array.from({ length: x.ndim }, (_, i) => x.ndim - 1 - i);
      if (p.length !== x.ndim) nodeError(c.node, `perm [${p}] does not fit rank ${x.ndim}`);
      return [x.permute(p)];
    };
  },
};

/** Axes from the attribute (before opset 13) or the second input. */
function axesOf(c: PrepareContext, inputs: readonly (Tensor | undefined)[], attr: number[] | undefined) {
  return c.opset >= 13 ? (inputs[1] ? ints(inputs[1]) : undefined) : attr;
}

const squeeze: OpConverter = {
  prepare(c) {
    c.attrs.allow(c.opset >= 13 ? [] : ['axes']);
    const attr = c.attrs.ints('axes');
    return (inputs) => {
      const x = required(c, inputs, 0);
      const axes = axesOf(c, inputs, attr);
      if (axes === undefined) return [x.squeeze()];
      const dims = axes.map((a) => axis(c, a, x.ndim)).sort((a, b) => b - a);
      for (const d of dims)
        if (x.shape[d] !== 1) nodeError(c.node, `cannot squeeze dimension ${d} of size ${x.shape[d]}`);
      return [x.reshape(x.shape.filter((_, i) => !dims.includes(i)))];
    };
  },
};

const unsqueeze: OpConverter = {
  prepare(c) {
    c.attrs.allow(c.opset >= 13 ? [] : ['axes']);
    const attr = c.attrs.ints('axes');
    return (inputs) => {
      const x = required(c, inputs, 0);
      const axes = axesOf(c, inputs, attr);
      if (axes === undefined) nodeError(c.node, 'axes are required');
      const rank = x.ndim + axes.length;
      const dims = new Set(axes.map((a) => axis(c, a, rank)));
      if (dims.size !== axes.length) nodeError(c.node, `repeated axes [${axes}]`);
      const shape: number[] = [];
      let next = 0;
      for (let i = 0; i < rank; i++) shape.push(dims.has(i) ? 1 : (x.shape[next++] as number));
      return [x.reshape(shape)];
    };
  },
};

const concat: OpConverter = {
  prepare(c) {
    c.attrs.allow(['axis']);
    if (!c.attrs.has('axis')) nodeError(c.node, "attribute 'axis' is required");
    const ax = c.attrs.int('axis', 0);
    return (inputs) => {
      const xs = inputs.map((_, i) => required(c, inputs, i));
      if (xs.length === 0) nodeError(c.node, 'needs at least one input');
      return [torch.cat(xs, axis(c, ax, (xs[0] as Tensor).ndim))];
    };
  },
};

const shape: OpConverter = {
  prepare(c) {
    c.attrs.allow(c.opset >= 15 ? ['start', 'end'] : []);
    const start = c.attrs.int('start', 0);
    const end = c.attrs.has('end') ? c.attrs.int('end', 0) : undefined;
    return (inputs) => {
      const dims = required(c, inputs, 0).shape;
      const clampIndex = (i: number) => Math.min(Math.max(i < 0 ? i + dims.length : i, 0), dims.length);
      const picked = dims.slice(clampIndex(start), end === undefined ? dims.length : clampIndex(end));
      return [torch.tensor(BigInt64Array.from(picked.map(BigInt)), { dtype: 'int64', shape: [picked.length] })];
    };
  },
};

const gather: OpConverter = {
  prepare(c) {
    c.attrs.allow(['axis']);
    const ax = c.attrs.int('axis', 0);
    return (inputs) => {
      const data = required(c, inputs, 0);
      const indices = required(c, inputs, 1);
      const a = axis(c, ax, data.ndim);
      const size = data.shape[a] as number;
      return torch.scope(() => {
        const flat = indices.reshape([-1]).long();
        const positive = torch.where(torch.lt(flat, 0), torch.add(flat, size), flat);
        const picked = torch.indexSelect(data, a, positive);
        return [picked.reshape([...data.shape.slice(0, a), ...indices.shape, ...data.shape.slice(a + 1)])];
      });
    };
  },
};

const identity: OpConverter = {
  prepare(c) {
    c.attrs.allow([]);
    return (inputs) => [required(c, inputs, 0)];
  },
};

const constant: OpConverter = {
  prepare(c) {
    c.attrs.allow(['value', 'value_float', 'value_floats', 'value_int', 'value_ints']);
    const given = ['value', 'value_float', 'value_floats', 'value_int', 'value_ints'].filter((n) => c.attrs.has(n));
    if (given.length !== 1) nodeError(c.node, `needs exactly one value attribute, has ${given.length}`);
    const kind = given[0];
    let value: Tensor;
    if (kind === 'value') value = c.attrs.tensor('value') as Tensor;
    else if (kind === 'value_float') value = torch.tensor([c.attrs.float('value_float', 0)], { shape: [] });
    else if (kind === 'value_floats') value = torch.tensor(c.attrs.floats('value_floats') ?? [], { dtype: 'float32' });
    else if (kind === 'value_int') {
      value = torch.tensor(BigInt64Array.from([BigInt(c.attrs.int('value_int', 0))]), { dtype: 'int64', shape: [] });
    } else value = torch.tensor(BigInt64Array.from((c.attrs.ints('value_ints') ?? []).map(BigInt)), { dtype: 'int64' });
    const t = c.constant(value);
    return () => [t];
  },
};

export const shapeOps: Record<string, OpConverter> = {
  Flatten: flatten,
  Reshape: reshape,
  Transpose: transpose,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Concat: concat,
  Shape: shape,
  Gather: gather,
  Identity: identity,
  Constant: constant,
};
