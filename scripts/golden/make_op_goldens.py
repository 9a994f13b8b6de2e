#!/usr/bin/env python3
"""Writes test/golden/ops.json: inputs, arguments, and PyTorch's outputs and gradients for tszoo's ops.

Run with Debian's PyTorch: `/usr/bin/python3 scripts/golden/make_op_goldens.py` (npm run golden).
src/tensor/ops.golden.test.ts replays every case through tszoo and compares.

A case names a tszoo function (`op`, camelCase as exported by src/tensor/index.ts; `to` is the method;
`ops.aten.name` an operator called by schema name) and its arguments as tszoo takes them. In `args`
and `options`, '$x' stands for the input tensor x. `fn` computes the same thing with PyTorch's Python
API, taking the inputs positionally in the order they are listed. `grad` lists float inputs to differentiate:
the file then holds a cotangent per float output and the gradients of sum(output * cotangent).
`after` lists inputs that the op mutates (running stats, in-place ops) and records their new values.
"""
import json
import math
import os

import torch
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
OUT = os.path.join(ROOT, 'test', 'golden', 'ops.json')

DTYPES = {torch.float32: 'float32', torch.float64: 'float64', torch.int64: 'int64', torch.bool: 'bool'}
F64 = torch.float64
CASES = []


def num(v, dtype=None):
    """A JSON-safe number: NaN and infinities as strings, float32 values with 9 significant digits."""
    if isinstance(v, float):
        if math.isnan(v):
            return 'nan'
        if math.isinf(v):
            return 'inf' if v > 0 else '-inf'
        if dtype == 'float32':
            return float('%.9g' % v)
    return v


def enc(t):
    if isinstance(t, (bool, int, float)):
        return num(t)
    assert t.numel() <= 300, f'tensor too large for the golden file: {list(t.shape)}'
    dtype = DTYPES[t.dtype]
    data = [num(v, dtype) for v in t.detach().reshape(-1).tolist()]
    return {'shape': list(t.shape), 'dtype': dtype, 'data': data}


def arg(a):
    if isinstance(a, str) and a.startswith('$'):
        return {'tensor': a[1:]}
    if isinstance(a, (list, tuple)):
        return [arg(x) for x in a]
    if isinstance(a, dict):
        return {k: arg(v) for k, v in a.items()}
    if isinstance(a, float) and not math.isfinite(a):
        return {'float': num(a)}
    return a


def case(name, op, args, inputs, fn, options=None, grad=None, after=None, rtol=None, atol=None):
    assert all(c['name'] != name for c in CASES), f'duplicate case {name}'
    entry = {'name': name, 'op': op, 'args': arg(args)}
    if options is not None:
        entry['options'] = arg(options)
    entry['inputs'] = {k: enc(v) for k, v in inputs.items()}
    leaves = {k: v.detach().clone().requires_grad_(k in (grad or [])) for k, v in inputs.items()}
    result = fn(*leaves.values())
    outs = list(result) if isinstance(result, (tuple, list)) else [result]
    entry['outputs'] = [enc(o) for o in outs]
    if after:
        entry['after'] = {k: enc(leaves[k]) for k in after}
    if grad:
        cots = [torch.randn(o.shape, dtype=o.dtype) if torch.is_tensor(o) and o.requires_grad else None for o in outs]
        total = sum((o * c).sum() for o, c in zip(outs, cots) if c is not None)
        grads = torch.autograd.grad(total, [leaves[k] for k in grad])
        entry['grad'] = {
            'wrt': grad,
            'cotangents': [None if c is None else enc(c) for c in cots],
            'expected': {k: enc(g) for k, g in zip(grad, grads)},
        }
    if rtol is not None:
        entry['rtol'] = rtol
    if atol is not None:
        entry['atol'] = atol
    CASES.append(entry)


def rn(*shape, dtype=torch.float32):
    return torch.randn(*shape, dtype=dtype)


def pos(*shape, dtype=torch.float32):
    """Positive values in [0.5, 2.5), for log, sqrt, pow and divisors."""
    return torch.rand(*shape, dtype=dtype) * 2 + 0.5


def ints(lo, hi, *shape):
    return torch.randint(lo, hi, shape)


def away_from_zero(*shape, dtype=F64):
    """Values with |x| >= 0.1, for ops with a kink at 0."""
    x = torch.randn(*shape, dtype=dtype)
    return x + 0.1 * torch.sign(x)


def creation():
    case('zeros', 'zeros', [[2, 3]], {}, lambda: torch.zeros(2, 3))
    case('zeros_float64', 'zeros', [[4]], {}, lambda: torch.zeros(4, dtype=F64), options={'dtype': 'float64'})
    case('ones_int64', 'ones', [[2, 2]], {}, lambda: torch.ones(2, 2, dtype=torch.int64), options={'dtype': 'int64'})
    case('ones_scalar_size', 'ones', [3], {}, lambda: torch.ones(3))
    case('full_float', 'full', [[2, 3], 3.5], {}, lambda: torch.full((2, 3), 3.5))
    # JS numbers carry no int/float distinction: tszoo's full/arange give int64 only when asked
    case('full_int', 'full', [[2], 7], {}, lambda: torch.full((2,), 7), options={'dtype': 'int64'})
    case('full_dtype', 'full', [[3], -1.25], {}, lambda: torch.full((3,), -1.25, dtype=F64), options={'dtype': 'float64'})
    case('arange_end', 'arange', [5], {}, lambda: torch.arange(5), options={'dtype': 'int64'})
    case('arange_start_step', 'arange', [1, 10, 3], {}, lambda: torch.arange(1, 10, 3), options={'dtype': 'int64'})
    case('arange_float_step', 'arange', [0, 1, 0.125], {}, lambda: torch.arange(0, 1, 0.125))
    case('arange_negative_step', 'arange', [2.5, -1, -0.5], {}, lambda: torch.arange(2.5, -1, -0.5))
    case('arange_step_option', 'arange', [1, 2], {}, lambda: torch.arange(1, 2, 0.25), options={'step': 0.25})
    case('arange_dtype', 'arange', [0, 6, 2], {}, lambda: torch.arange(0, 6, 2, dtype=F64), options={'dtype': 'float64'})
    case('eye', 'eye', [3], {}, lambda: torch.eye(3))
    case('eye_rect', 'eye', [2, 4], {}, lambda: torch.eye(2, 4))
    case('linspace', 'linspace', [0, 1, 5], {}, lambda: torch.linspace(0, 1, 5))
    case('linspace_float64', 'linspace', [-1, 2, 7], {}, lambda: torch.linspace(-1, 2, 7, dtype=F64), options={'dtype': 'float64'})
    case('zeros_like', 'zerosLike', ['$x'], {'x': rn(2, 3)}, lambda x: torch.zeros_like(x))
    case('ones_like_dtype', 'onesLike', ['$x'], {'x': rn(3)}, lambda x: torch.ones_like(x, dtype=torch.int64), options={'dtype': 'int64'})
    case('full_like', 'fullLike', ['$x', 2.5], {'x': rn(2, 2, dtype=F64)}, lambda x: torch.full_like(x, 2.5))


def views():
    x = rn(2, 3, 4, dtype=F64)
    case('reshape', 'reshape', ['$x', [4, 6]], {'x': x}, lambda x: x.reshape(4, 6), grad=['x'])
    case('reshape_infer', 'reshape', ['$x', [-1, 3]], {'x': rn(2, 3, 2)}, lambda x: x.reshape(-1, 3))
    case('view', 'view', ['$x', [6, 4]], {'x': x}, lambda x: x.view(6, 4), grad=['x'])
    case('permute', 'permute', ['$x', [2, 0, 1]], {'x': x}, lambda x: x.permute(2, 0, 1), grad=['x'])
    case('transpose', 'transpose', ['$x', 0, 2], {'x': x}, lambda x: x.transpose(0, 2), grad=['x'])
    case('transpose_negative', 'transpose', ['$x', -1, -2], {'x': rn(2, 3, 4)}, lambda x: x.transpose(-1, -2))
    case('t', 't', ['$x'], {'x': rn(2, 3)}, lambda x: x.t())
    case('squeeze_all', 'squeeze', ['$x'], {'x': rn(1, 3, 1, 2)}, lambda x: x.squeeze())
    case('squeeze_dim', 'squeeze', ['$x', 2], {'x': rn(1, 3, 1, 2, dtype=F64)}, lambda x: x.squeeze(2), grad=['x'])
    case('unsqueeze', 'unsqueeze', ['$x', 1], {'x': rn(2, 3)}, lambda x: x.unsqueeze(1))
    case('unsqueeze_negative', 'unsqueeze', ['$x', -1], {'x': rn(2, 3, dtype=F64)}, lambda x: x.unsqueeze(-1), grad=['x'])
    case('cat', 'cat', [['$a', '$b'], 1], {'a': rn(2, 3, dtype=F64), 'b': rn(2, 2, dtype=F64)},
         lambda a, b: torch.cat([a, b], 1), grad=['a', 'b'])
    case('cat_default_dim', 'cat', [['$a', '$b', '$c']], {'a': rn(1, 3), 'b': rn(2, 3), 'c': rn(1, 3)},
         lambda a, b, c: torch.cat([a, b, c]))
    case('cat_int', 'cat', [['$a', '$b'], -1], {'a': ints(0, 9, 2, 2), 'b': ints(0, 9, 2, 1)}, lambda a, b: torch.cat([a, b], -1))
    case('stack', 'stack', [['$a', '$b']], {'a': rn(2, 3, dtype=F64), 'b': rn(2, 3, dtype=F64)},
         lambda a, b: torch.stack([a, b]), grad=['a', 'b'])
    case('stack_last_dim', 'stack', [['$a', '$b', '$c']], {'a': rn(3), 'b': rn(3), 'c': rn(3)},
         lambda a, b, c: torch.stack([a, b, c], -1), options={'dim': -1})
    y = rn(3, 6, dtype=F64)
    case('slice_step', 'slice', ['$x', 1, 1, 5, 2], {'x': y}, lambda x: x[:, 1:5:2], grad=['x'])
    case('slice_negative', 'slice', ['$x'], {'x': y}, lambda x: x[:, -3:], options={'dim': 1, 'start': -3}, grad=['x'])
    case('slice_dim0', 'slice', ['$x', 0, 1, None], {'x': y}, lambda x: x[1:])
    case('narrow', 'narrow', ['$x', 0, 1, 2], {'x': y}, lambda x: x.narrow(0, 1, 2), grad=['x'])
    case('narrow_dim1', 'narrow', ['$x', 1, 2, 3], {'x': y}, lambda x: x.narrow(1, 2, 3))
    idx = torch.tensor([4, 0, 4, 2])
    case('index_select', 'indexSelect', ['$x', 1, '$i'], {'x': y, 'i': idx}, lambda x, i: x.index_select(1, i), grad=['x'])
    case('index_select_dim0', 'indexSelect', ['$x', 0, '$i'], {'x': y, 'i': torch.tensor([2, 0])},
         lambda x, i: x.index_select(0, i))
    case('gather', 'gather', ['$x', 1, '$i'], {'x': y, 'i': ints(0, 6, 3, 4)}, lambda x, i: x.gather(1, i), grad=['x'])
    case('gather_dim0', 'gather', ['$x', 0, '$i'], {'x': y, 'i': ints(0, 3, 2, 6)}, lambda x, i: x.gather(0, i))
    case('flatten', 'flatten', ['$x'], {'x': x}, lambda x: x.flatten(), grad=['x'])
    case('flatten_start', 'flatten', ['$x', 1], {'x': x}, lambda x: x.flatten(1))
    case('flatten_range', 'flatten', ['$x'], {'x': rn(2, 3, 2, 2)}, lambda x: x.flatten(0, 1), options={'startDim': 0, 'endDim': 1})
    z = rn(3, 1, dtype=F64)
    case('expand', 'expand', ['$x', [2, 3, 4]], {'x': z}, lambda x: x.expand(2, 3, 4), grad=['x'])
    case('expand_keep', 'expand', ['$x', [-1, 5]], {'x': z}, lambda x: x.expand(-1, 5))
    case('flip', 'flip', ['$x', [0, 2]], {'x': x}, lambda x: x.flip(0, 2), grad=['x'])
    case('flip_last', 'flip', ['$x', [-1]], {'x': ints(0, 9, 2, 4)}, lambda x: x.flip(-1))
    case('repeat', 'repeat', ['$x', [2, 1, 3]], {'x': rn(2, 3, dtype=F64)}, lambda x: x.repeat(2, 1, 3), grad=['x'])
    case('select', 'select', ['$x', 1, -1], {'x': x}, lambda x: x.select(1, -1), grad=['x'])
    case('select_dim0', 'select', ['$x', 0, 1], {'x': y}, lambda x: x.select(0, 1))
    m = torch.rand(3, 6) > 0.5
    case('masked_fill', 'maskedFill', ['$x', '$m', -1.5], {'x': y, 'm': m}, lambda x, m: x.masked_fill(m, -1.5), grad=['x'])
    case('masked_fill_broadcast_ninf', 'maskedFill', ['$x', '$m', -math.inf],
         {'x': rn(2, 3, 4), 'm': torch.tensor([[True, False, False, True]])}, lambda x, m: x.masked_fill(m, -math.inf))
    case('masked_fill_tensor_value', 'maskedFill', ['$x', '$m', '$v'], {'x': rn(2, 3), 'm': torch.rand(2, 3) > 0.5,
                                                                         'v': torch.tensor(9.0)},
         lambda x, m, v: x.masked_fill(m, v))
    case('masked_select', 'maskedSelect', ['$x', '$m'], {'x': y, 'm': m}, lambda x, m: x.masked_select(m))
    case('chunk', 'chunk', ['$x', 2, 1], {'x': rn(2, 5)}, lambda x: x.chunk(2, 1))
    case('split_sizes', 'split', ['$x', [1, 2]], {'x': rn(3, 2, dtype=F64)}, lambda x: x.split([1, 2]), grad=['x'])
    case('unbind', 'unbind', ['$x', 1], {'x': rn(2, 3)}, lambda x: x.unbind(1))
    case('tril', 'tril', ['$x'], {'x': rn(3, 4)}, lambda x: x.tril())
    case('triu_diagonal', 'triu', ['$x', 1], {'x': rn(3, 4)}, lambda x: x.triu(1))
    case('roll', 'roll', ['$x', [1, -1], [0, 1]], {'x': rn(3, 4)}, lambda x: x.roll([1, -1], [0, 1]))
    case('movedim', 'movedim', ['$x', 0, -1], {'x': rn(2, 3, 4)}, lambda x: x.movedim(0, -1))
    case('constant_pad_nd', 'constantPadNd', ['$x', [1, 2, 0, 1], 0.5], {'x': rn(1, 2, 3, dtype=F64)},
         lambda x: F.pad(x, [1, 2, 0, 1], value=0.5), grad=['x'])
    case('pad', 'pad', ['$x', [1, 1]], {'x': rn(2, 3)}, lambda x: F.pad(x, [1, 1]))
    case('diag', 'diag', ['$x'], {'x': rn(3, 3)}, lambda x: torch.diag(x))
    case('one_hot', 'oneHot', ['$x', 5], {'x': torch.tensor([0, 3, 1, 4])}, lambda x: F.one_hot(x, 5))
    case('embedding', 'embedding', ['$w', '$i'], {'w': rn(5, 3, dtype=F64), 'i': torch.tensor([[0, 2], [4, 2]])},
         lambda w, i: F.embedding(i, w), grad=['w'])
    case('nonzero', 'nonzero', ['$x'], {'x': torch.tensor([[0, 1, 0], [2, 0, 3]])}, lambda x: torch.nonzero(x))
    case('scatter_src', 'scatter', ['$x', 1, '$i', '$s'],
         {'x': torch.zeros(2, 4), 'i': torch.tensor([[0, 3], [2, 1]]), 's': rn(2, 2)},
         lambda x, i, s: x.scatter(1, i, s))
    case('contiguous', 'contiguous', ['$x'], {'x': rn(3, 2)}, lambda x: x.contiguous())


def math_ops():
    a, b = rn(2, 3, dtype=F64), rn(3, dtype=F64)
    case('add_broadcast', 'add', ['$a', '$b'], {'a': a, 'b': b}, lambda a, b: a + b, grad=['a', 'b'])
    case('add_alpha', 'add', ['$a', '$b'], {'a': a, 'b': b}, lambda a, b: torch.add(a, b, alpha=2), options={'alpha': 2},
         grad=['a', 'b'])
    case('add_scalar', 'add', ['$a', 2.5], {'a': rn(2, 3)}, lambda a: a + 2.5)
    case('add_scalar_alpha', 'add', ['$a', 3, 0.5], {'a': rn(4)}, lambda a: torch.add(a, 3, alpha=0.5))
    case('add_int', 'add', ['$a', '$b'], {'a': ints(-5, 5, 4), 'b': ints(-5, 5, 4)}, lambda a, b: a + b)
    case('add_int_float_promotion', 'add', ['$a', '$b'], {'a': ints(-5, 5, 2, 2), 'b': rn(2, 2)}, lambda a, b: a + b)
    case('add_int_scalar', 'add', ['$a', 3], {'a': ints(-5, 5, 4)}, lambda a: a + 3)
    case('add_int_float_scalar', 'add', ['$a', 0.5], {'a': ints(-5, 5, 4)}, lambda a: a + 0.5)
    case('sub', 'sub', ['$a', '$b'], {'a': a, 'b': b}, lambda a, b: a - b, grad=['a', 'b'])
    case('sub_alpha', 'sub', ['$a', '$b'], {'a': a, 'b': b}, lambda a, b: torch.sub(a, b, alpha=0.5), options={'alpha': 0.5})
    case('sub_scalar', 'sub', ['$a', 1.25], {'a': rn(3)}, lambda a: a - 1.25)
    c, d = rn(2, 1, 3, dtype=F64), rn(4, 1, dtype=F64)
    case('mul_broadcast', 'mul', ['$a', '$b'], {'a': c, 'b': d}, lambda a, b: a * b, grad=['a', 'b'])
    case('mul_scalar', 'mul', ['$a', -3], {'a': rn(2, 3, dtype=F64)}, lambda a: a * -3, grad=['a'])
    case('mul_bool_int', 'mul', ['$a', '$b'], {'a': torch.tensor([True, False, True]), 'b': ints(-5, 5, 3)},
         lambda a, b: a * b)
    e, f = rn(2, 3, dtype=F64), pos(2, 3, dtype=F64) * torch.tensor([1.0, -1.0, 1.0], dtype=F64)
    case('div', 'div', ['$a', '$b'], {'a': e, 'b': f}, lambda a, b: a / b, grad=['a', 'b'])
    case('div_scalar', 'div', ['$a', 4], {'a': rn(3)}, lambda a: a / 4)
    case('div_floor', 'div', ['$a', '$b'], {'a': rn(2, 3) * 4, 'b': pos(2, 3) * torch.tensor([1.0, -1.0, 1.0])},
         lambda a, b: torch.div(a, b, rounding_mode='floor'), options={'roundingMode': 'floor'})
    case('div_floor_scalar', 'div', ['$a', 2.5], {'a': rn(6) * 4}, lambda a: torch.div(a, 2.5, rounding_mode='floor'),
         options={'roundingMode': 'floor'})
    case('div_trunc', 'div', ['$a', '$b'], {'a': rn(5) * 4, 'b': pos(5) * torch.tensor([1.0, -1, 1, -1, 1])},
         lambda a, b: torch.div(a, b, rounding_mode='trunc'), options={'roundingMode': 'trunc'})
    ia, ib = torch.tensor([7, -7, 5, -9, 0]), torch.tensor([2, 2, -3, -4, 3])
    case('div_int_true', 'div', ['$a', '$b'], {'a': ia, 'b': ib}, lambda a, b: a / b)
    case('div_int_floor', 'div', ['$a', '$b'], {'a': ia, 'b': ib}, lambda a, b: torch.div(a, b, rounding_mode='floor'),
         options={'roundingMode': 'floor'})
    p = pos(2, 3, dtype=F64)
    case('pow_scalar', 'pow', ['$x', 2], {'x': rn(2, 3, dtype=F64)}, lambda x: x ** 2, grad=['x'])
    case('pow_fractional', 'pow', ['$x', 0.5], {'x': p}, lambda x: x ** 0.5, grad=['x'])
    case('pow_negative', 'pow', ['$x', -1.5], {'x': p}, lambda x: x ** -1.5, grad=['x'])
    case('pow_tensor', 'pow', ['$x', '$y'], {'x': p, 'y': rn(3, dtype=F64)}, lambda x, y: x ** y, grad=['x', 'y'])
    case('pow_scalar_base', 'pow', [2.5, '$y'], {'y': rn(2, 3, dtype=F64)}, lambda y: torch.pow(2.5, y), grad=['y'])
    case('pow_int', 'pow', ['$x', 3], {'x': ints(-4, 5, 5)}, lambda x: x ** 3)
    case('exp', 'exp', ['$x'], {'x': rn(2, 3, dtype=F64)}, lambda x: x.exp(), grad=['x'])
    case('exp_float32', 'exp', ['$x'], {'x': rn(10)}, lambda x: x.exp())
    case('log', 'log', ['$x'], {'x': p}, lambda x: x.log(), grad=['x'])
    case('log_special', 'log', ['$x'], {'x': torch.tensor([0.0, -1.0, 1.0, math.inf])}, lambda x: x.log())
    case('sqrt', 'sqrt', ['$x'], {'x': p}, lambda x: x.sqrt(), grad=['x'])
    case('sqrt_negative', 'sqrt', ['$x'], {'x': torch.tensor([-1.0, 0.0, 4.0])}, lambda x: x.sqrt())
    case('abs', 'abs', ['$x'], {'x': away_from_zero(2, 3)}, lambda x: x.abs(), grad=['x'])
    case('abs_int', 'abs', ['$x'], {'x': ints(-5, 5, 6)}, lambda x: x.abs())
    q = rn(2, 5, dtype=F64)
    case('clamp', 'clamp', ['$x', -0.5, 0.5], {'x': q}, lambda x: x.clamp(-0.5, 0.5), grad=['x'])
    case('clamp_min', 'clamp', ['$x'], {'x': q}, lambda x: x.clamp(min=0), options={'min': 0}, grad=['x'])
    case('clamp_max', 'clamp', ['$x'], {'x': q}, lambda x: x.clamp(max=0.25), options={'max': 0.25})
    case('clamp_min_null', 'clamp', ['$x', None, 0.1], {'x': q}, lambda x: x.clamp(None, 0.1))
    case('clamp_tensor', 'clamp', ['$x', '$lo', '$hi'], {'x': q, 'lo': rn(5, dtype=F64) - 1, 'hi': rn(5, dtype=F64) + 1},
         lambda x, lo, hi: x.clamp(lo, hi), grad=['x'])
    case('clamp_tensor_option', 'clamp', ['$x'], {'x': q, 'lo': rn(5, dtype=F64)}, lambda x, lo: x.clamp(min=lo),
         options={'min': '$lo'})
    case('clamp_int', 'clamp', ['$x', -2, 3], {'x': ints(-6, 6, 8)}, lambda x: x.clamp(-2, 3))
    case('clamp_min_fn', 'clampMin', ['$x', 0.2], {'x': rn(5)}, lambda x: x.clamp_min(0.2))
    case('clamp_max_fn', 'clampMax', ['$x', 0.2], {'x': rn(5)}, lambda x: x.clamp_max(0.2))
    u = rn(2, 3, dtype=F64)
    for name, fn in [('neg', torch.neg), ('sin', torch.sin), ('cos', torch.cos), ('square', torch.square),
                     ('expm1', torch.expm1)]:
        case(name, name, ['$x'], {'x': u}, fn, grad=['x'])
    for name, fn in [('reciprocal', torch.reciprocal), ('rsqrt', torch.rsqrt), ('log2', torch.log2),
                     ('log1p', torch.log1p)]:
        case(name, name, ['$x'], {'x': p}, fn, grad=['x'])
    r = torch.tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -1.7, 1.2, 0.0])
    for name, fn in [('sign', torch.sign), ('floor', torch.floor), ('ceil', torch.ceil), ('round', torch.round),
                     ('trunc', torch.trunc)]:
        case(f'{name}_values', name, ['$x'], {'x': r}, fn)
    case('fmod', 'fmod', ['$a', 1.5], {'a': rn(6) * 3}, lambda a: torch.fmod(a, 1.5))
    case('remainder', 'remainder', ['$a', '$b'], {'a': rn(6) * 3, 'b': torch.tensor([1.5, -1.5, 2, -2, 1, 3])},
         lambda a, b: torch.remainder(a, b))
    case('remainder_int', 'remainder', ['$a', 3], {'a': torch.tensor([-7, -1, 0, 4, 8])}, lambda a: torch.remainder(a, 3))
    case('maximum', 'maximum', ['$a', '$b'], {'a': rn(2, 3, dtype=F64), 'b': rn(3, dtype=F64)},
         lambda a, b: torch.maximum(a, b), grad=['a', 'b'])
    case('minimum', 'minimum', ['$a', '$b'], {'a': rn(2, 3), 'b': rn(2, 3)}, lambda a, b: torch.minimum(a, b))
    case('lerp', 'lerp', ['$a', '$b', 0.3], {'a': rn(4, dtype=F64), 'b': rn(4, dtype=F64)}, lambda a, b: torch.lerp(a, b, 0.3),
         grad=['a', 'b'])
    case('addcmul', 'addcmul', ['$a', '$b', '$c'], {'a': rn(3, dtype=F64), 'b': rn(3, dtype=F64), 'c': rn(2, 3, dtype=F64)},
         lambda a, b, c: torch.addcmul(a, b, c, value=0.5), options={'value': 0.5}, grad=['a', 'b', 'c'])
    case('addcdiv', 'addcdiv', ['$a', '$b', '$c'], {'a': rn(3), 'b': rn(3), 'c': pos(3)},
         lambda a, b, c: torch.addcdiv(a, b, c, value=2), options={'value': 2})


def linalg():
    case('matmul_1d_1d', 'matmul', ['$a', '$b'], {'a': rn(4, dtype=F64), 'b': rn(4, dtype=F64)}, torch.matmul,
         grad=['a', 'b'])
    case('matmul_1d_2d', 'matmul', ['$a', '$b'], {'a': rn(3, dtype=F64), 'b': rn(3, 4, dtype=F64)}, torch.matmul,
         grad=['a', 'b'])
    case('matmul_2d_1d', 'matmul', ['$a', '$b'], {'a': rn(3, 4, dtype=F64), 'b': rn(4, dtype=F64)}, torch.matmul,
         grad=['a', 'b'])
    case('matmul_2d', 'matmul', ['$a', '$b'], {'a': rn(3, 4, dtype=F64), 'b': rn(4, 2, dtype=F64)}, torch.matmul,
         grad=['a', 'b'])
    case('matmul_float32', 'matmul', ['$a', '$b'], {'a': rn(5, 8), 'b': rn(8, 3)}, torch.matmul)
    case('matmul_batched_broadcast', 'matmul', ['$a', '$b'], {'a': rn(2, 1, 3, 4, dtype=F64), 'b': rn(3, 4, 2, dtype=F64)},
         torch.matmul, grad=['a', 'b'])
    case('matmul_batched_1d', 'matmul', ['$a', '$b'], {'a': rn(2, 3, 4, dtype=F64), 'b': rn(4, dtype=F64)}, torch.matmul,
         grad=['a', 'b'])
    case('mm', 'mm', ['$a', '$b'], {'a': rn(2, 3, dtype=F64), 'b': rn(3, 4, dtype=F64)}, torch.mm, grad=['a', 'b'])
    case('bmm', 'bmm', ['$a', '$b'], {'a': rn(2, 3, 4, dtype=F64), 'b': rn(2, 4, 2, dtype=F64)}, torch.bmm, grad=['a', 'b'])
    case('addmm', 'addmm', ['$c', '$a', '$b'], {'c': rn(3, dtype=F64), 'a': rn(2, 4, dtype=F64), 'b': rn(4, 3, dtype=F64)},
         torch.addmm, grad=['c', 'a', 'b'])
    case('addmm_beta_alpha', 'addmm', ['$c', '$a', '$b'],
         {'c': rn(2, 3, dtype=F64), 'a': rn(2, 4, dtype=F64), 'b': rn(4, 3, dtype=F64)},
         lambda c, a, b: torch.addmm(c, a, b, beta=0.5, alpha=-2), options={'beta': 0.5, 'alpha': -2}, grad=['c', 'a', 'b'])
    case('outer', 'outer', ['$a', '$b'], {'a': rn(3, dtype=F64), 'b': rn(2, dtype=F64)}, torch.outer, grad=['a', 'b'])
    case('dot', 'dot', ['$a', '$b'], {'a': rn(5), 'b': rn(5)}, torch.dot)


def reductions():
    x = rn(2, 3, 4, dtype=F64)
    case('sum_all', 'sum', ['$x'], {'x': x}, lambda x: x.sum(), grad=['x'])
    case('sum_dim', 'sum', ['$x', 1], {'x': x}, lambda x: x.sum(1), grad=['x'])
    case('sum_dims_keepdim', 'sum', ['$x', [0, 2], True], {'x': x}, lambda x: x.sum([0, 2], keepdim=True), grad=['x'])
    case('sum_options', 'sum', ['$x'], {'x': x}, lambda x: x.sum(-1, keepdim=True), options={'dim': [-1], 'keepdim': True})
    case('sum_dtype', 'sum', ['$x'], {'x': rn(10)}, lambda x: x.sum(dtype=F64), options={'dtype': 'float64'})
    case('sum_int', 'sum', ['$x'], {'x': ints(-9, 9, 3, 4)}, lambda x: x.sum())
    case('sum_bool', 'sum', ['$x', 0], {'x': torch.rand(3, 4) > 0.5}, lambda x: x.sum(0))
    case('mean_all', 'mean', ['$x'], {'x': x}, lambda x: x.mean(), grad=['x'])
    case('mean_dim_keepdim', 'mean', ['$x', [1], True], {'x': x}, lambda x: x.mean([1], keepdim=True), grad=['x'])
    case('mean_dims', 'mean', ['$x', [0, -1]], {'x': rn(2, 3, 4)}, lambda x: x.mean([0, -1]))
    y = rn(3, 5, dtype=F64)
    case('max_all', 'max', ['$x'], {'x': y}, lambda x: x.max(), grad=['x'])
    case('max_dim', 'max', ['$x', 1], {'x': y}, lambda x: x.max(1), grad=['x'])
    case('max_dim_keepdim', 'max', ['$x', 0, True], {'x': y}, lambda x: x.max(0, keepdim=True))
    case('max_other', 'max', ['$a', '$b'], {'a': rn(2, 3), 'b': rn(3)}, lambda a, b: torch.max(a, b))
    case('max_int_dim', 'max', ['$x', -1], {'x': torch.tensor([[3, 9, 1], [7, 2, 8]])}, lambda x: x.max(-1))
    case('min_all', 'min', ['$x'], {'x': y}, lambda x: x.min())
    case('min_dim', 'min', ['$x', 0], {'x': y}, lambda x: x.min(0), grad=['x'])
    case('min_dim_keepdim_option', 'min', ['$x', 1], {'x': y}, lambda x: x.min(1, keepdim=True), options={'keepdim': True})
    case('amax', 'amax', ['$x', [0, 2]], {'x': x}, lambda x: x.amax([0, 2]))
    case('amin', 'amin', ['$x', 1, True], {'x': x}, lambda x: x.amin(1, True))
    case('argmax_all', 'argmax', ['$x'], {'x': y}, lambda x: x.argmax())
    case('argmax_dim', 'argmax', ['$x', 1], {'x': y}, lambda x: x.argmax(1))
    case('argmax_keepdim', 'argmax', ['$x'], {'x': y}, lambda x: x.argmax(0, keepdim=True), options={'dim': 0, 'keepdim': True})
    case('argmin_dim', 'argmin', ['$x', -1], {'x': y}, lambda x: x.argmin(-1))
    case('prod_dim', 'prod', ['$x', 1], {'x': rn(2, 3, dtype=F64)}, lambda x: x.prod(1), grad=['x'])
    case('norm', 'norm', ['$x'], {'x': rn(2, 3, dtype=F64)}, lambda x: x.norm(), grad=['x'])
    case('norm_p1_dim', 'norm', ['$x', 1, [1]], {'x': rn(2, 3)}, lambda x: x.norm(1, [1]))
    s = rn(4, 5, dtype=F64)
    case('softmax', 'softmax', ['$x', 1], {'x': s}, lambda x: x.softmax(1), grad=['x'])
    case('softmax_dim0', 'softmax', ['$x', 0], {'x': rn(3, 4)}, lambda x: x.softmax(0))
    case('softmax_dtype', 'softmax', ['$x', -1, 'float64'], {'x': rn(2, 5)}, lambda x: torch.softmax(x, -1, dtype=F64))
    case('softmax_large', 'softmax', ['$x', -1], {'x': torch.tensor([[1000.0, 1001.0, 999.0], [-1000.0, 0.0, 1000.0]])},
         lambda x: x.softmax(-1))
    case('log_softmax', 'logSoftmax', ['$x', -1], {'x': s}, lambda x: x.log_softmax(-1), grad=['x'])
    case('log_softmax_3d', 'logSoftmax', ['$x', 1], {'x': rn(2, 3, 4)}, lambda x: x.log_softmax(1))
    case('std_all', 'std', ['$x'], {'x': s}, lambda x: x.std(), grad=['x'])
    case('std_biased', 'std', ['$x', False], {'x': s}, lambda x: x.std(unbiased=False))
    case('std_dim', 'std', ['$x', [1], True, True], {'x': s}, lambda x: x.std(1, unbiased=True, keepdim=True), grad=['x'])
    case('std_correction', 'std', ['$x'], {'x': s}, lambda x: torch.std(x, 0, correction=0),
         options={'dim': [0], 'correction': 0})
    case('var_all', 'var_', ['$x'], {'x': s}, lambda x: x.var(), grad=['x'])
    case('var_dim_biased', 'var_', ['$x', [0], False], {'x': s}, lambda x: x.var(0, unbiased=False), grad=['x'])
    case('var_keepdim_option', 'var_', ['$x', [-1]], {'x': rn(2, 3, 4)}, lambda x: x.var(-1, keepdim=True),
         options={'keepdim': True})
    case('logsumexp', 'logsumexp', ['$x', [1]], {'x': s}, lambda x: x.logsumexp(1), grad=['x'])
    case('logsumexp_keepdim', 'logsumexp', ['$x', 0, True], {'x': s}, lambda x: x.logsumexp(0, keepdim=True))
    case('logsumexp_large', 'logsumexp', ['$x', [-1]], {'x': torch.tensor([[1000.0, 1000.0], [-math.inf, 0.0]])},
         lambda x: x.logsumexp(-1))
    case('cumsum', 'cumsum', ['$x', 1], {'x': s}, lambda x: x.cumsum(1), grad=['x'])
    case('cumsum_int', 'cumsum', ['$x', 0], {'x': ints(-5, 5, 6)}, lambda x: x.cumsum(0))
    case('cumsum_dtype', 'cumsum', ['$x', 0], {'x': rn(3, 2)}, lambda x: x.cumsum(0, dtype=F64), options={'dtype': 'float64'})
    t = rn(3, 6, dtype=F64)
    case('topk', 'topk', ['$x', 3], {'x': t}, lambda x: x.topk(3), grad=['x'])
    case('topk_smallest_dim0', 'topk', ['$x', 2, 0, False], {'x': t}, lambda x: x.topk(2, 0, largest=False))
    case('topk_options', 'topk', ['$x', 2], {'x': t}, lambda x: x.topk(2, dim=1, largest=False),
         options={'dim': 1, 'largest': False})
    case('sort', 'sort', ['$x'], {'x': t}, lambda x: x.sort(), grad=['x'])
    case('sort_descending_dim0', 'sort', ['$x', 0, True], {'x': t}, lambda x: x.sort(0, descending=True))
    case('sort_options', 'sort', ['$x'], {'x': rn(8)}, lambda x: x.sort(descending=True), options={'descending': True})
    case('argsort', 'argsort', ['$x'], {'x': rn(2, 5)}, lambda x: x.argsort())
    bx = torch.tensor([[True, False, True], [True, True, True]])
    case('all', 'all', ['$x'], {'x': bx}, lambda x: x.all())
    case('all_dim', 'all', ['$x', 1], {'x': bx}, lambda x: x.all(1))
    case('any_dim', 'any', ['$x', 0], {'x': torch.tensor([[False, False, True], [False, False, False]])}, lambda x: x.any(0))


def conv_pool():
    x = rn(1, 2, 5, 5, dtype=F64)
    w = rn(3, 2, 3, 3, dtype=F64)
    b = rn(3, dtype=F64)
    case('conv2d_bias', 'conv2d', ['$x', '$w', '$b'], {'x': x, 'w': w, 'b': b}, F.conv2d, grad=['x', 'w', 'b'])
    case('conv2d_stride_padding', 'conv2d', ['$x', '$w', '$b', 2, 1], {'x': x, 'w': w, 'b': b},
         lambda x, w, b: F.conv2d(x, w, b, 2, 1), grad=['x', 'w', 'b'])
    case('conv2d_dilation', 'conv2d', ['$x', '$w', None, 1, 2, 2], {'x': x, 'w': w},
         lambda x, w: F.conv2d(x, w, None, 1, 2, 2), grad=['x', 'w'])
    case('conv2d_asymmetric', 'conv2d', ['$x', '$w'], {'x': rn(2, 2, 4, 5, dtype=F64), 'w': rn(3, 2, 2, 3, dtype=F64)},
         lambda x, w: F.conv2d(x, w, stride=[1, 2], padding=[1, 0]), options={'stride': [1, 2], 'padding': [1, 0]},
         grad=['x', 'w'])
    case('conv2d_groups', 'conv2d', ['$x', '$w', '$b'],
         {'x': rn(1, 4, 4, 4, dtype=F64), 'w': rn(4, 2, 3, 3, dtype=F64), 'b': rn(4, dtype=F64)},
         lambda x, w, b: F.conv2d(x, w, b, padding=1, groups=2), options={'padding': 1, 'groups': 2}, grad=['x', 'w', 'b'])
    case('conv2d_depthwise_float32', 'conv2d', ['$x', '$w', '$b', 1, 1, 1, 3],
         {'x': rn(2, 3, 5, 5), 'w': rn(3, 1, 3, 3), 'b': rn(3)}, lambda x, w, b: F.conv2d(x, w, b, 1, 1, 1, 3))
    case('conv2d_padding_same', 'conv2d', ['$x', '$w'], {'x': x, 'w': w}, lambda x, w: F.conv2d(x, w, padding='same'),
         options={'padding': 'same'}, grad=['x', 'w'])
    case('conv2d_padding_valid_positional', 'conv2d', ['$x', '$w', '$b', 1, 'valid'], {'x': x, 'w': w, 'b': b},
         lambda x, w, b: F.conv2d(x, w, b, 1, 'valid'))
    case('conv1d', 'conv1d', ['$x', '$w', '$b', 1, 1], {'x': rn(2, 2, 6, dtype=F64), 'w': rn(3, 2, 3, dtype=F64),
                                                      'b': rn(3, dtype=F64)},
         lambda x, w, b: F.conv1d(x, w, b, 1, 1), grad=['x', 'w', 'b'])
    case('conv_transpose2d', 'convTranspose2d', ['$x', '$w', '$b', 2, 1, 1],
         {'x': rn(1, 2, 3, 3, dtype=F64), 'w': rn(2, 3, 3, 3, dtype=F64), 'b': rn(3, dtype=F64)},
         lambda x, w, b: F.conv_transpose2d(x, w, b, 2, 1, 1), grad=['x', 'w', 'b'])
    p = rn(1, 2, 6, 6, dtype=F64)
    case('max_pool2d', 'maxPool2d', ['$x', 2], {'x': p}, lambda x: F.max_pool2d(x, 2), grad=['x'])
    case('max_pool2d_stride_padding', 'maxPool2d', ['$x', 3, 2, 1], {'x': p}, lambda x: F.max_pool2d(x, 3, 2, 1),
         grad=['x'])
    case('max_pool2d_options', 'maxPool2d', ['$x', [2, 3]], {'x': rn(1, 2, 5, 7)},
         lambda x: F.max_pool2d(x, [2, 3], stride=[2, 2], dilation=[1, 2], ceil_mode=True),
         options={'stride': [2, 2], 'dilation': [1, 2], 'ceilMode': True})
    case('max_pool2d_with_indices', 'maxPool2dWithIndices', ['$x', 2], {'x': rn(1, 1, 4, 4)},
         lambda x: F.max_pool2d(x, 2, return_indices=True))
    case('avg_pool2d', 'avgPool2d', ['$x', 2], {'x': p}, lambda x: F.avg_pool2d(x, 2), grad=['x'])
    case('avg_pool2d_padding_include', 'avgPool2d', ['$x', 3, 2, 1], {'x': p}, lambda x: F.avg_pool2d(x, 3, 2, 1),
         grad=['x'])
    case('avg_pool2d_exclude_pad', 'avgPool2d', ['$x', 3, 2, 1, False, False], {'x': p},
         lambda x: F.avg_pool2d(x, 3, 2, 1, False, False), grad=['x'])
    case('avg_pool2d_ceil_options', 'avgPool2d', ['$x', 3], {'x': rn(1, 2, 5, 5)},
         lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
         options={'stride': 2, 'padding': 1, 'ceilMode': True, 'countIncludePad': False})
    case('avg_pool2d_divisor', 'avgPool2d', ['$x', 2], {'x': rn(1, 1, 4, 4)}, lambda x: F.avg_pool2d(x, 2, divisor_override=3),
         options={'divisorOverride': 3})
    case('adaptive_avg_pool2d_global', 'adaptiveAvgPool2d', ['$x', [1, 1]], {'x': p},
         lambda x: F.adaptive_avg_pool2d(x, 1), grad=['x'])
    case('adaptive_avg_pool2d_uneven', 'adaptiveAvgPool2d', ['$x', [2, 3]], {'x': rn(1, 2, 5, 7, dtype=F64)},
         lambda x: F.adaptive_avg_pool2d(x, [2, 3]), grad=['x'])
    case('adaptive_avg_pool2d_int', 'adaptiveAvgPool2d', ['$x', 3], {'x': rn(2, 1, 6, 4)}, lambda x: F.adaptive_avg_pool2d(x, 3))
    case('adaptive_max_pool2d', 'adaptiveMaxPool2d', ['$x', [2, 2]], {'x': rn(1, 2, 5, 5)},
         lambda x: F.adaptive_max_pool2d(x, 2, return_indices=True))


def norm_dropout():
    x = rn(4, 3, 2, 2, dtype=F64) * 2 + 1
    w, b = rn(3, dtype=F64), rn(3, dtype=F64)

    def stats():
        return {'rm': torch.rand(3, dtype=F64), 'rv': torch.rand(3, dtype=F64) + 0.5}

    case('batch_norm_training', 'batchNorm', ['$x', '$w', '$b', '$rm', '$rv', True, 0.1, 1e-5, False],
         {'x': x, 'w': w, 'b': b, **stats()},
         lambda x, w, b, rm, rv: torch.batch_norm(x, w, b, rm, rv, True, 0.1, 1e-5, False),
         grad=['x', 'w', 'b'], after=['rm', 'rv'])
    case('batch_norm_training_momentum', 'batchNorm', ['$x', '$w', '$b', '$rm', '$rv', True, 0.3, 1e-3, False],
         {'x': rn(5, 2, 3), 'w': rn(2), 'b': rn(2), 'rm': torch.rand(2), 'rv': torch.rand(2) + 0.5},
         lambda x, w, b, rm, rv: torch.batch_norm(x, w, b, rm, rv, True, 0.3, 1e-3, False), after=['rm', 'rv'])
    case('batch_norm_eval', 'batchNorm', ['$x', '$w', '$b', '$rm', '$rv', False, 0.1, 1e-5, False],
         {'x': x, 'w': w, 'b': b, **stats()},
         lambda x, w, b, rm, rv: torch.batch_norm(x, w, b, rm, rv, False, 0.1, 1e-5, False),
         grad=['x', 'w', 'b'], after=['rm', 'rv'])
    case('batch_norm_no_stats_no_affine', 'batchNorm', ['$x', None, None, None, None, True, 0.1, 1e-5, False], {'x': x},
         lambda x: torch.batch_norm(x, None, None, None, None, True, 0.1, 1e-5, False), grad=['x'])
    case('batch_norm_2d_input', 'batchNorm', ['$x', '$w', '$b', None, None, True, 0.1, 1e-5, False],
         {'x': rn(6, 3, dtype=F64), 'w': w, 'b': b},
         lambda x, w, b: torch.batch_norm(x, w, b, None, None, True, 0.1, 1e-5, False), grad=['x', 'w', 'b'])
    case('layer_norm', 'layerNorm', ['$x', [4], '$w', '$b'], {'x': rn(2, 3, 4, dtype=F64), 'w': rn(4, dtype=F64),
                                                            'b': rn(4, dtype=F64)},
         lambda x, w, b: F.layer_norm(x, [4], w, b), grad=['x', 'w', 'b'])
    case('group_norm', 'groupNorm', ['$x', 2], {'x': rn(2, 4, 3, dtype=F64)}, lambda x: F.group_norm(x, 2), grad=['x'])
    d = rn(3, 4, dtype=F64)
    case('dropout_p0_train', 'dropout', ['$x', 0, True], {'x': d}, lambda x: torch.dropout(x, 0.0, True), grad=['x'])
    case('dropout_eval', 'dropout', ['$x', 0.5, False], {'x': d}, lambda x: torch.dropout(x, 0.5, False), grad=['x'])


def activations():
    x = away_from_zero(3, 5)
    for name, op, fn in [('relu', 'relu', F.relu), ('sigmoid', 'sigmoid', torch.sigmoid), ('tanh', 'tanh', torch.tanh),
                         ('gelu', 'gelu', F.gelu), ('leaky_relu', 'leakyRelu', F.leaky_relu), ('elu', 'elu', F.elu),
                         ('silu', 'silu', F.silu), ('relu6', 'relu6', F.relu6), ('hardswish', 'hardswish', F.hardswish),
                         ('hardsigmoid', 'hardsigmoid', F.hardsigmoid), ('softplus', 'softplus', F.softplus)]:
        case(name, op, ['$x'], {'x': x * 2}, fn, grad=['x'])
    case('relu_float32', 'relu', ['$x'], {'x': rn(10)}, F.relu)
    case('sigmoid_extremes', 'sigmoid', ['$x'], {'x': torch.tensor([-100.0, -10.0, 0.0, 10.0, 100.0])}, torch.sigmoid)
    case('gelu_tanh', 'gelu', ['$x'], {'x': x * 2}, lambda x: F.gelu(x, approximate='tanh'), options={'approximate': 'tanh'},
         grad=['x'])
    case('gelu_float32', 'gelu', ['$x'], {'x': rn(10)}, F.gelu)
    case('leaky_relu_slope', 'leakyRelu', ['$x', 0.2], {'x': x}, lambda x: F.leaky_relu(x, 0.2), grad=['x'])
    case('elu_alpha', 'elu', ['$x', 0.5], {'x': x}, lambda x: F.elu(x, 0.5), grad=['x'])
    case('elu_scale_options', 'elu', ['$x'], {'x': x}, lambda x: torch.ops.aten.elu(x, 1.5, 2.0, 1.0),
         options={'alpha': 1.5, 'scale': 2})
    case('hardtanh', 'hardtanh', ['$x', -0.5, 0.5], {'x': x}, lambda x: F.hardtanh(x, -0.5, 0.5), grad=['x'])
    case('softplus_beta', 'softplus', ['$x', 2, 1], {'x': x * 2}, lambda x: F.softplus(x, 2, 1), grad=['x'])
    case('linear', 'linear', ['$x', '$w', '$b'], {'x': rn(4, 3, dtype=F64), 'w': rn(2, 3, dtype=F64), 'b': rn(2, dtype=F64)},
         F.linear, grad=['x', 'w', 'b'])
    case('linear_no_bias_3d', 'linear', ['$x', '$w'], {'x': rn(2, 3, 4, dtype=F64), 'w': rn(5, 4, dtype=F64)}, F.linear,
         grad=['x', 'w'])
    case('linear_bias_option', 'linear', ['$x', '$w'], {'x': rn(3, 4), 'w': rn(2, 4), 'b': rn(2)},
         lambda x, w, b: F.linear(x, w, b), options={'bias': '$b'})


def interpolation():
    x = rn(1, 2, 3, 4, dtype=F64)
    case('interpolate_nearest_size', 'interpolate', ['$x'], {'x': x}, lambda x: F.interpolate(x, size=[5, 6]),
         options={'size': [5, 6]}, grad=['x'])
    case('interpolate_nearest_scale', 'interpolate', ['$x'], {'x': x},
         lambda x: F.interpolate(x, scale_factor=2, mode='nearest'), options={'scaleFactor': 2, 'mode': 'nearest'},
         grad=['x'])
    case('interpolate_nearest_fractional_scale', 'interpolate', ['$x'], {'x': rn(1, 1, 4, 5)},
         lambda x: F.interpolate(x, scale_factor=[1.5, 0.6]), options={'scaleFactor': [1.5, 0.6]})
    case('interpolate_nearest_down', 'interpolate', ['$x'], {'x': rn(1, 1, 6, 6)}, lambda x: F.interpolate(x, size=4),
         options={'size': 4})
    for ac in (False, True):
        tag = 'align' if ac else 'noalign'
        case(f'interpolate_bilinear_size_{tag}', 'interpolate', ['$x'], {'x': x},
             lambda x, ac=ac: F.interpolate(x, size=[5, 7], mode='bilinear', align_corners=ac),
             options={'size': [5, 7], 'mode': 'bilinear', 'alignCorners': ac}, grad=['x'])
        case(f'interpolate_bilinear_scale_{tag}', 'interpolate', ['$x'], {'x': x},
             lambda x, ac=ac: F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=ac),
             options={'scaleFactor': 2, 'mode': 'bilinear', 'alignCorners': ac}, grad=['x'])
        case(f'interpolate_bilinear_down_{tag}', 'interpolate', ['$x'], {'x': rn(2, 1, 6, 5)},
             lambda x, ac=ac: F.interpolate(x, size=[3, 2], mode='bilinear', align_corners=ac),
             options={'size': [3, 2], 'mode': 'bilinear', 'alignCorners': ac})
    case('interpolate_bilinear_fractional_scale', 'interpolate', ['$x'], {'x': rn(1, 2, 4, 3, dtype=F64)},
         lambda x: F.interpolate(x, scale_factor=1.7, mode='bilinear'), options={'scaleFactor': 1.7, 'mode': 'bilinear'},
         grad=['x'])
    case('interpolate_bilinear_default_align', 'interpolate', ['$x'], {'x': rn(1, 1, 2, 3)},
         lambda x: F.interpolate(x, size=[4, 4], mode='bilinear', align_corners=False),
         options={'size': [4, 4], 'mode': 'bilinear'})
    case('upsample_nearest2d_vec', 'upsampleNearest2d', ['$x', None, [2, 3]], {'x': rn(1, 1, 2, 2)},
         lambda x: torch._C._nn.upsample_nearest2d(x, None, [2.0, 3.0]))


def losses():
    p = torch.rand(3, 4, dtype=F64) * 0.9 + 0.05
    t = torch.rand(3, 4, dtype=F64)
    w = torch.rand(3, 4, dtype=F64) + 0.5
    case('bce', 'binaryCrossEntropy', ['$p', '$t'], {'p': p, 't': t}, F.binary_cross_entropy, grad=['p'])
    case('bce_weight', 'binaryCrossEntropy', ['$p', '$t', '$w'], {'p': p, 't': t, 'w': w},
         lambda p, t, w: F.binary_cross_entropy(p, t, w), grad=['p'])
    case('bce_weight_none', 'binaryCrossEntropy', ['$p', '$t'], {'p': p, 't': t, 'w': w},
         lambda p, t, w: F.binary_cross_entropy(p, t, w, reduction='none'), options={'weight': '$w', 'reduction': 'none'},
         grad=['p'])
    case('bce_sum_float32', 'binaryCrossEntropy', ['$p', '$t', None, 'sum'], {'p': torch.rand(6) * 0.9 + 0.05,
                                                                          't': (torch.rand(6) > 0.5).float()},
         lambda p, t: F.binary_cross_entropy(p, t, reduction='sum'))
    case('bce_saturated', 'binaryCrossEntropy', ['$p', '$t', None, 'none'],
         {'p': torch.tensor([0.0, 1.0, 0.0, 1.0]), 't': torch.tensor([0.0, 1.0, 1.0, 0.0])},
         lambda p, t: F.binary_cross_entropy(p, t, reduction='none'))
    x = rn(3, 4, dtype=F64) * 2
    pw = torch.rand(4, dtype=F64) * 2 + 0.5
    case('bce_logits', 'binaryCrossEntropyWithLogits', ['$x', '$t'], {'x': x, 't': t},
         F.binary_cross_entropy_with_logits, grad=['x'])
    for red in ('none', 'mean', 'sum'):
        case(f'bce_logits_weight_pos_weight_{red}', 'binaryCrossEntropyWithLogits', ['$x', '$t', '$w', '$pw', red],
             {'x': x, 't': t, 'w': w, 'pw': pw},
             lambda x, t, w, pw, red=red: F.binary_cross_entropy_with_logits(x, t, w, reduction=red, pos_weight=pw),
             grad=['x'])
    case('bce_logits_pos_weight_option', 'binaryCrossEntropyWithLogits', ['$x', '$t'], {'x': x, 't': t, 'pw': pw},
         lambda x, t, pw: F.binary_cross_entropy_with_logits(x, t, pos_weight=pw), options={'posWeight': '$pw'},
         grad=['x'])
    case('bce_logits_extreme', 'binaryCrossEntropyWithLogits', ['$x', '$t', None, None, 'none'],
         {'x': torch.tensor([-200.0, 200.0, -200.0, 200.0]), 't': torch.tensor([0.0, 1.0, 1.0, 0.0])},
         lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction='none'))

    logits = rn(4, 5, dtype=F64)
    target = torch.tensor([1, 0, 4, 2])
    cw = torch.rand(5, dtype=F64) + 0.5
    case('cross_entropy', 'crossEntropy', ['$x', '$y'], {'x': logits, 'y': target}, F.cross_entropy, grad=['x'])
    case('cross_entropy_weight', 'crossEntropy', ['$x', '$y'], {'x': logits, 'y': target, 'w': cw},
         lambda x, y, w: F.cross_entropy(x, y, w), options={'weight': '$w'}, grad=['x'])
    case('cross_entropy_none', 'crossEntropy', ['$x', '$y'], {'x': logits, 'y': target},
         lambda x, y: F.cross_entropy(x, y, reduction='none'), options={'reduction': 'none'}, grad=['x'])
    case('cross_entropy_sum_weight', 'crossEntropy', ['$x', '$y'], {'x': logits, 'y': target, 'w': cw},
         lambda x, y, w: F.cross_entropy(x, y, w, reduction='sum'), options={'weight': '$w', 'reduction': 'sum'},
         grad=['x'])
    case('cross_entropy_ignore_default', 'crossEntropy', ['$x', '$y'], {'x': logits, 'y': torch.tensor([1, -100, 4, 2])},
         F.cross_entropy, grad=['x'])
    case('cross_entropy_ignore_index', 'crossEntropy', ['$x', '$y'], {'x': logits, 'y': torch.tensor([1, 3, 3, 2])},
         lambda x, y: F.cross_entropy(x, y, ignore_index=3), options={'ignoreIndex': 3}, grad=['x'])
    case('cross_entropy_label_smoothing', 'crossEntropy', ['$x', '$y'], {'x': logits, 'y': target},
         lambda x, y: F.cross_entropy(x, y, label_smoothing=0.1), options={'labelSmoothing': 0.1}, grad=['x'])
    case('cross_entropy_label_smoothing_weight_ignore', 'crossEntropy', ['$x', '$y'],
         {'x': logits, 'y': torch.tensor([1, -100, 4, 2]), 'w': cw},
         lambda x, y, w: F.cross_entropy(x, y, w, label_smoothing=0.2),
         options={'weight': '$w', 'labelSmoothing': 0.2}, grad=['x'])
    probs = torch.softmax(rn(4, 5, dtype=F64), 1)
    case('cross_entropy_probabilities', 'crossEntropy', ['$x', '$y'], {'x': logits, 'y': probs}, F.cross_entropy,
         grad=['x', 'y'])
    case('cross_entropy_probabilities_smoothing_weight', 'crossEntropy', ['$x', '$y'], {'x': logits, 'y': probs, 'w': cw},
         lambda x, y, w: F.cross_entropy(x, y, w, label_smoothing=0.1), options={'weight': '$w', 'labelSmoothing': 0.1},
         grad=['x'])
    case('cross_entropy_spatial', 'crossEntropy', ['$x', '$y'], {'x': rn(2, 3, 2, 2, dtype=F64), 'y': ints(0, 3, 2, 2, 2)},
         F.cross_entropy, grad=['x'])
    case('cross_entropy_float32', 'crossEntropy', ['$x', '$y'], {'x': rn(6, 4), 'y': ints(0, 4, 6)}, F.cross_entropy)
    case('cross_entropy_loss_generated', 'crossEntropyLoss', ['$x', '$y', None, 'sum', -100, 0.05],
         {'x': logits, 'y': target}, lambda x, y: F.cross_entropy(x, y, reduction='sum', label_smoothing=0.05),
         grad=['x'])

    logp = torch.log_softmax(rn(4, 5, dtype=F64), 1)
    case('nll_loss', 'nllLoss', ['$x', '$y'], {'x': logp, 'y': target}, F.nll_loss, grad=['x'])
    case('nll_loss_weight', 'nllLoss', ['$x', '$y', '$w'], {'x': logp, 'y': target, 'w': cw}, F.nll_loss, grad=['x'])
    case('nll_loss_none', 'nllLoss', ['$x', '$y'], {'x': logp, 'y': target}, lambda x, y: F.nll_loss(x, y, reduction='none'),
         options={'reduction': 'none'}, grad=['x'])
    case('nll_loss_ignore_sum', 'nllLoss', ['$x', '$y', None, 'sum', 2], {'x': logp, 'y': torch.tensor([2, 0, 2, 1])},
         lambda x, y: F.nll_loss(x, y, reduction='sum', ignore_index=2), grad=['x'])
    # tszoo's nllLoss is aten::nll_loss (1-d/2-d input only); F.nll_loss calls nll_loss_nd for the rest.
    case('nll_loss_nd_spatial', 'ops.aten.nll_loss_nd', ['$x', '$y'], {'x': torch.log_softmax(rn(2, 3, 2, 2, dtype=F64), 1),
                                                     'y': ints(0, 3, 2, 2, 2)},
         F.nll_loss, grad=['x'])

    a, b = rn(3, 4, dtype=F64), rn(3, 4, dtype=F64)
    case('mse_loss', 'mseLoss', ['$a', '$b'], {'a': a, 'b': b}, F.mse_loss, grad=['a', 'b'])
    case('mse_loss_sum', 'mseLoss', ['$a', '$b', 'sum'], {'a': a, 'b': b}, lambda a, b: F.mse_loss(a, b, reduction='sum'),
         grad=['a'])
    case('mse_loss_none', 'mseLoss', ['$a', '$b'], {'a': a, 'b': b}, lambda a, b: F.mse_loss(a, b, reduction='none'),
         options={'reduction': 'none'}, grad=['a'])
    case('l1_loss', 'l1Loss', ['$a', '$b'], {'a': a, 'b': b}, F.l1_loss, grad=['a', 'b'])
    case('l1_loss_none', 'l1Loss', ['$a', '$b', 'none'], {'a': rn(5), 'b': rn(5)}, lambda a, b: F.l1_loss(a, b, reduction='none'))
    case('smooth_l1_loss', 'smoothL1Loss', ['$a', '$b'], {'a': a, 'b': b}, F.smooth_l1_loss, grad=['a', 'b'])
    case('smooth_l1_loss_beta', 'smoothL1Loss', ['$a', '$b', 'sum', 0.5], {'a': a, 'b': b},
         lambda a, b: F.smooth_l1_loss(a, b, reduction='sum', beta=0.5), grad=['a'])
    case('smooth_l1_loss_beta_option', 'smoothL1Loss', ['$a', '$b'], {'a': a * 2, 'b': b},
         lambda a, b: F.smooth_l1_loss(a, b, reduction='none', beta=2.0), options={'reduction': 'none', 'beta': 2})
    case('huber_loss', 'huberLoss', ['$a', '$b', 'mean', 0.5], {'a': a, 'b': b},
         lambda a, b: F.huber_loss(a, b, delta=0.5), grad=['a'])
    case('kl_div', 'klDiv', ['$x', '$y', 'sum'], {'x': logp, 'y': torch.softmax(rn(4, 5, dtype=F64), 1)},
         lambda x, y: F.kl_div(x, y, reduction='sum'), grad=['x'])


def comparisons():
    a = torch.tensor([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    b = torch.tensor([2.0, 2.0, 2.0])
    for op in ('eq', 'ne', 'lt', 'le', 'gt', 'ge'):
        fn = getattr(torch, op)
        case(op, op, ['$a', '$b'], {'a': a, 'b': b}, fn)
        case(f'{op}_scalar', op, ['$a', 2], {'a': a}, lambda a, fn=fn: fn(a, 2))
    case('eq_int_float', 'eq', ['$a', '$b'], {'a': torch.tensor([1, 2, 3]), 'b': torch.tensor([1.0, 2.5, 3.0])}, torch.eq)
    case('lt_scalar_fraction', 'lt', ['$a', 1.5], {'a': torch.tensor([1, 2, 3])}, lambda a: a < 1.5)
    case('eq_nan', 'eq', ['$a', '$b'], {'a': torch.tensor([math.nan, 1.0]), 'b': torch.tensor([math.nan, 1.0])}, torch.eq)
    p = torch.tensor([True, True, False, False])
    q = torch.tensor([True, False, True, False])
    case('logical_and', 'logicalAnd', ['$p', '$q'], {'p': p, 'q': q}, torch.logical_and)
    case('logical_or', 'logicalOr', ['$p', '$q'], {'p': p, 'q': q}, torch.logical_or)
    case('logical_xor', 'logicalXor', ['$p', '$q'], {'p': p, 'q': q}, torch.logical_xor)
    case('logical_not', 'logicalNot', ['$p'], {'p': p}, torch.logical_not)
    case('logical_and_float', 'logicalAnd', ['$a', '$b'], {'a': torch.tensor([0.0, 1.5, -2.0, 0.0]),
                                                          'b': torch.tensor([3.0, 0.0, 1.0, 0.0])},
         torch.logical_and)
    case('logical_not_int', 'logicalNot', ['$a'], {'a': torch.tensor([0, 3, -1])}, torch.logical_not)
    special = torch.tensor([1.0, math.nan, math.inf, -math.inf, 0.0])
    case('isnan', 'isnan', ['$x'], {'x': special}, torch.isnan)
    case('isinf', 'isinf', ['$x'], {'x': special}, torch.isinf)
    case('isfinite', 'isfinite', ['$x'], {'x': special}, torch.isfinite)
    case('isnan_int', 'isnan', ['$x'], {'x': torch.tensor([1, 2])}, torch.isnan)
    c = torch.rand(2, 3) > 0.5
    case('where', 'where', ['$c', '$a', '$b'], {'c': c, 'a': rn(2, 3, dtype=F64), 'b': rn(3, dtype=F64)}, torch.where,
         grad=['a', 'b'])
    case('where_scalar_other', 'where', ['$c', '$a', 0.5], {'c': c, 'a': rn(2, 3)}, lambda c, a: torch.where(c, a, 0.5))
    case('where_scalar_self', 'where', ['$c', -1.5, '$b'], {'c': c, 'b': rn(2, 3, dtype=F64)},
         lambda c, b: torch.where(c, -1.5, b), grad=['b'])
    case('where_scalars', 'where', ['$c', 1.5, -0.5], {'c': c}, lambda c: torch.where(c, 1.5, -0.5))
    case('where_int_tensors', 'where', ['$c', '$a', '$b'], {'c': c, 'a': ints(0, 9, 2, 3), 'b': ints(0, 9, 2, 3)}, torch.where)
    case('where_condition_only', 'where', ['$c'], {'c': c}, torch.where)


def casts():
    x = torch.tensor([-2.7, -0.5, 0.0, 0.4, 1.5, 3.9])
    case('to_float64', 'to', ['$x', 'float64'], {'x': x}, lambda x: x.to(F64))
    case('to_float32_from_float64', 'to', ['$x', 'float32'], {'x': rn(5, dtype=F64)}, lambda x: x.to(torch.float32))
    case('to_int64_truncates', 'to', ['$x', 'int64'], {'x': x}, lambda x: x.to(torch.int64))
    case('to_bool', 'to', ['$x', 'bool'], {'x': x}, lambda x: x.to(torch.bool))
    case('to_float32_from_int64', 'to', ['$x', 'float32'], {'x': ints(-100, 100, 5)}, lambda x: x.to(torch.float32))
    case('to_int64_from_bool', 'to', ['$x', 'int64'], {'x': torch.tensor([True, False, True])}, lambda x: x.to(torch.int64))
    case('to_same_dtype', 'to', ['$x', 'float32'], {'x': x}, lambda x: x.to(torch.float32))
    case('to_float64_grad', 'to', ['$x', 'float64'], {'x': rn(4)}, lambda x: x.to(F64), grad=['x'])
    a = rn(2, 3)
    case('allclose_true', 'allclose', ['$a', '$b'], {'a': a, 'b': a + 1e-9}, torch.allclose)
    case('allclose_false', 'allclose', ['$a', '$b'], {'a': a, 'b': a + 1e-3}, torch.allclose)
    case('allclose_atol', 'allclose', ['$a', '$b'], {'a': a, 'b': a + 1e-3}, lambda a, b: torch.allclose(a, b, atol=1e-2),
         options={'atol': 1e-2})
    case('allclose_rtol_positional', 'allclose', ['$a', '$b', 0.1, 0], {'a': pos(4), 'b': pos(4)},
         lambda a, b: torch.allclose(a, b, 0.1, 0))
    nan = torch.tensor([1.0, math.nan])
    case('allclose_nan', 'allclose', ['$a', '$b'], {'a': nan, 'b': nan}, torch.allclose)
    case('allclose_equal_nan', 'allclose', ['$a', '$b'], {'a': nan, 'b': nan}, lambda a, b: torch.allclose(a, b, equal_nan=True),
         options={'equalNan': True})
    case('equal_true', 'equal', ['$a', '$b'], {'a': a, 'b': a.clone()}, torch.equal)
    case('equal_false_value', 'equal', ['$a', '$b'], {'a': a, 'b': a + 1e-6}, torch.equal)
    case('equal_false_shape', 'equal', ['$a', '$b'], {'a': a, 'b': a.reshape(3, 2)}, torch.equal)


def inplace():
    case('add_inplace', 'add_', ['$a', '$b'], {'a': rn(2, 3), 'b': rn(3)}, lambda a, b: a.add_(b, alpha=2),
         options={'alpha': 2}, after=['a'])
    case('mul_inplace_scalar', 'mul_', ['$a', 3], {'a': rn(4)}, lambda a: a.mul_(3), after=['a'])
    case('clamp_inplace', 'clamp_', ['$a', -0.2, 0.2], {'a': rn(5)}, lambda a: a.clamp_(-0.2, 0.2), after=['a'])
    case('masked_fill_inplace', 'maskedFill_', ['$a', '$m', 0], {'a': rn(2, 3), 'm': torch.rand(2, 3) > 0.5},
         lambda a, m: a.masked_fill_(m, 0), after=['a'])
    case('zero_inplace', 'zero_', ['$a'], {'a': rn(3)}, lambda a: a.zero_(), after=['a'])
    case('fill_inplace', 'fill_', ['$a', 2.5], {'a': rn(3)}, lambda a: a.fill_(2.5), after=['a'])
    case('div_inplace_floor', 'div_', ['$a', 0.7], {'a': rn(5) * 3}, lambda a: a.div_(0.7, rounding_mode='floor'),
         options={'roundingMode': 'floor'}, after=['a'])


def more():
    # Added after the first set: appended so the earlier cases keep their random inputs.
    case('view_as', 'viewAs', ['$a', '$b'], {'a': rn(6), 'b': rn(2, 3)}, lambda a, b: a.view_as(b))
    case('reshape_as', 'reshapeAs', ['$a', '$b'], {'a': rn(2, 3).t(), 'b': rn(3, 2)}, lambda a, b: a.reshape_as(b))
    case('expand_as', 'expandAs', ['$a', '$b'], {'a': rn(1, 3), 'b': rn(2, 3)}, lambda a, b: a.expand_as(b))
    case('clone', 'clone', ['$a'], {'a': rn(2, 2, dtype=F64)}, lambda a: a.clone(), grad=['a'])
    case('detach', 'detach', ['$a'], {'a': rn(3)}, lambda a: a.detach())
    case('var_default', 'var_', ['$a'], {'a': rn(3, 4, dtype=F64)}, lambda a: torch.var(a), grad=['a'])
    case('var_dim1', 'var_', ['$a', 1], {'a': rn(3, 4, dtype=F64)}, lambda a: torch.var(a, 1), grad=['a'])
    case('var_dim_biased_keepdim', 'var_', ['$a', 0, False, True], {'a': rn(3, 4)}, lambda a: torch.var(a, 0, False, True))
    case('upsample_bilinear2d', 'upsampleBilinear2d', ['$x', [6, 7], False, None], {'x': rn(1, 2, 3, 4, dtype=F64)},
         lambda x: torch._C._nn.upsample_bilinear2d(x, [6, 7], False, None), grad=['x'])
    case('sub_inplace_alpha', 'sub_', ['$a', '$b'], {'a': rn(2, 3), 'b': rn(3)}, lambda a, b: a.sub_(b, alpha=0.5),
         options={'alpha': 0.5}, after=['a'])
    case('pow_inplace', 'pow_', ['$a', 2], {'a': rn(4)}, lambda a: a.pow_(2), after=['a'])
    case('copy_inplace_broadcast', 'copy_', ['$a', '$b'], {'a': rn(2, 3), 'b': rn(3)}, lambda a, b: a.copy_(b), after=['a'])
    case('relu_inplace', 'relu_', ['$a'], {'a': rn(5)}, lambda a: a.relu_(), after=['a'])
    case('sigmoid_inplace', 'sigmoid_', ['$a'], {'a': rn(5)}, lambda a: a.sigmoid_(), after=['a'])
    case('addcmul_inplace', 'addcmul_', ['$a', '$b', '$c'], {'a': rn(3), 'b': rn(3), 'c': rn(3)},
         lambda a, b, c: a.addcmul_(b, c, value=0.5), options={'value': 0.5}, after=['a'])
    case('addcdiv_inplace', 'addcdiv_', ['$a', '$b', '$c'], {'a': rn(3), 'b': rn(3), 'c': pos(3)},
         lambda a, b, c: a.addcdiv_(b, c, value=2), options={'value': 2}, after=['a'])
    case('lerp_inplace', 'lerp_', ['$a', '$b', 0.3], {'a': rn(4), 'b': rn(4)}, lambda a, b: a.lerp_(b, 0.3), after=['a'])
    case('exp_inplace', 'exp_', ['$a'], {'a': rn(4)}, lambda a: a.exp_(), after=['a'])
    case('sqrt_inplace', 'sqrt_', ['$a'], {'a': pos(4)}, lambda a: a.sqrt_(), after=['a'])
    case('neg_inplace', 'neg_', ['$a'], {'a': rn(4)}, lambda a: a.neg_(), after=['a'])


def main():
    torch.manual_seed(0)
    for group in (creation, views, math_ops, linalg, reductions, conv_pool, norm_dropout, activations, interpolation, losses,
                  comparisons, casts, inplace, more):
        group()
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as f:
        f.write('[\n' + ',\n'.join(json.dumps(c, separators=(',', ':'), allow_nan=False) for c in CASES) + '\n]\n')
    print(f'wrote {len(CASES)} cases to {os.path.relpath(OUT, ROOT)} ({os.path.getsize(OUT)} bytes)')


if __name__ == '__main__':
    main()
