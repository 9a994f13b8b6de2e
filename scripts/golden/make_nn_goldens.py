#!/usr/bin/env python3
"""Writes test/golden/nn.json: torch.nn layers, losses, init and module names, as oracles for src/nn.

Run with Debian's PyTorch: `/usr/bin/python3 scripts/golden/make_nn_goldens.py`.

Sections of the file, and the tests that replay them:
- `layers` (src/nn/layers.golden.test.ts): a module described by a spec (type, positional args and
  options, with tszoo's camelCase names; the torch module is built from the same spec), torch's
  state_dict, optional warm-up inputs (run first, without gradients), the inputs, outputs, a cotangent
  per output, the gradients of sum(output * cotangent) w.r.t. the float inputs and every parameter,
  and the buffers after all forward passes.
- `init` (src/nn/init.test.ts): calculate_gain, fan in/out, bounds and standard deviations of the
  kaiming/xavier functions and of each layer's default initialisation, computed with torch.nn.init's
  helpers and checked here against what torch.nn.init and the torch layers actually draw.
- `module` (src/nn/module.test.ts): names and order of named_parameters / named_buffers /
  named_modules / state_dict of a small nested model.
"""
import json
import math
import os
import re
import sys
import warnings

import torch
import torch.nn as nn
import torch.nn.init as init

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_op_goldens import DTYPES, num  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
OUT = os.path.join(ROOT, 'test', 'golden', 'nn.json')
F64 = torch.float64
TORCH_DTYPES = {name: dtype for dtype, name in DTYPES.items()}
LAYERS = []


def enc(t):
    assert t.numel() <= 1000, f'tensor too large for the golden file: {list(t.shape)}'
    dtype = DTYPES[t.dtype]
    return {'shape': list(t.shape), 'dtype': dtype, 'data': [num(v, dtype) for v in t.detach().reshape(-1).tolist()]}


# ---------------------------------------------------------------------------------------------------
# Module specs: one description builds the torch module here and the tszoo module in the TS test.


def M(type_, *args, **options):
    """A module spec: tszoo's class name, positional arguments and options (camelCase, tensors allowed)."""
    return {'type': type_, 'args': list(args), 'options': options}


def spec_json(spec):
    def value(v):
        if torch.is_tensor(v):
            return {'tensor': enc(v)}
        if isinstance(v, dict) and 'type' in v:
            return spec_json(v)
        return v

    out = {'type': spec['type'], 'args': [value(a) for a in spec['args']]}
    if spec['options']:
        out['options'] = {k: value(v) for k, v in spec['options'].items()}
    return out


class GlobalAvgPool2d(nn.Module):
    """tszoo's GlobalAvgPool2d is defined as the mean over H and W."""

    def forward(self, x):
        return x.mean((2, 3))


def snake(name):
    return re.sub(r'([A-Z])', lambda m: '_' + m.group(1).lower(), name)


def build(spec):
    if spec['type'] == 'Sequential':
        return nn.Sequential(*[build(s) for s in spec['args']])
    cls = GlobalAvgPool2d if spec['type'] == 'GlobalAvgPool2d' else getattr(nn, spec['type'])
    kwargs = {snake(k): TORCH_DTYPES[v] if k == 'dtype' else v for k, v in spec['options'].items()}
    return cls(*spec['args'], **kwargs)


def randomize_batch_norm(module):
    """Non-trivial affine parameters and running statistics, so that every term is exercised."""
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                if m.weight is not None:
                    m.weight.copy_(torch.rand_like(m.weight) + 0.5)
                    m.bias.copy_(torch.randn_like(m.bias))
                if m.running_mean is not None:
                    m.running_mean.copy_(torch.randn_like(m.running_mean))
                    m.running_var.copy_(torch.rand_like(m.running_var) + 0.5)
                    m.num_batches_tracked.fill_(3)


def run(module, inputs):
    """Outputs as a list; LSTM inputs are [x] or [x, h0, c0], GRU inputs [x] or [x, h0]."""
    if isinstance(module, nn.LSTM) and len(inputs) == 3:
        out = module(inputs[0], tuple(inputs[1:]))
    else:
        out = module(*inputs)
    if isinstance(module, nn.LSTM):
        output, (h, c) = out
        return [output, h, c]
    if isinstance(module, nn.GRU):
        return list(out)
    return [out]


def layer(name, spec, inputs, train=True, warmup=(), grad_inputs=None, torch_module=None, note=None):
    """Records one case; grad_inputs: indices of inputs to differentiate (default: every float input)."""
    assert all(c['name'] != name for c in LAYERS), f'duplicate case {name}'
    module = torch_module if torch_module is not None else build(spec)
    randomize_batch_norm(module)
    module.train(train)
    entry = {'name': name, 'module': spec_json(spec), 'train': train}
    if note:
        entry['note'] = note
    is_loss = isinstance(module, nn.modules.loss._Loss)
    if not is_loss:
        entry['stateDict'] = {k: enc(v) for k, v in module.state_dict().items()}
    if warmup:
        entry['warmup'] = [enc(w) for w in warmup]
        with torch.no_grad():
            for w in warmup:
                module(w)
    if grad_inputs is None:
        grad_inputs = [i for i, x in enumerate(inputs) if x.is_floating_point()]
    leaves = [x.detach().clone().requires_grad_(i in grad_inputs) for i, x in enumerate(inputs)]
    entry['inputs'] = [enc(x) for x in inputs]
    outs = run(module, leaves)
    entry['outputs'] = [enc(o) for o in outs]
    params = list(module.named_parameters())
    if any(o.requires_grad for o in outs):
        cots = [torch.randn(o.shape, dtype=o.dtype) for o in outs]
        total = sum((o * c).sum() for o, c in zip(outs, cots))
        wrt = [leaves[i] for i in grad_inputs] + [p for _, p in params]
        grads = torch.autograd.grad(total, wrt)
        entry['cotangents'] = [enc(c) for c in cots]
        entry['inputGrads'] = {str(i): enc(g) for i, g in zip(grad_inputs, grads)}
        entry['paramGrads'] = {n: enc(g) for (n, _), g in zip(params, grads[len(grad_inputs):])}
    if not is_loss:
        entry['buffersAfter'] = {k: enc(v) for k, v in module.named_buffers()}
    LAYERS.append(entry)


def rn(*shape, dtype=F64):
    return torch.randn(*shape, dtype=dtype)


def away_from_zero(*shape, dtype=F64):
    """Values with |x| >= 0.1, for functions with a kink at 0."""
    x = torch.randn(*shape, dtype=dtype)
    return x + 0.1 * torch.sign(x)


def linear_cases():
    layer('linear', M('Linear', 4, 3, dtype='float64'), [rn(2, 4)])
    layer('linear_no_bias', M('Linear', 4, 3, bias=False, dtype='float64'), [rn(2, 4)])
    layer('linear_3d_input', M('Linear', 4, 2, dtype='float64'), [rn(2, 3, 4)])
    layer('linear_float32', M('Linear', 5, 3), [rn(3, 5, dtype=torch.float32)])
    layer('identity', M('Identity'), [rn(2, 3)])
    layer('flatten', M('Flatten'), [rn(2, 3, 2, 2)])
    layer('flatten_start_end', M('Flatten', 0, 2), [rn(2, 3, 2, 2)])


def conv_cases():
    x = rn(1, 2, 6, 5)
    x4 = rn(1, 4, 5, 5)
    layer('conv2d', M('Conv2d', 2, 3, 3, dtype='float64'), [rn(2, 2, 5, 4)])
    layer('conv2d_stride_padding', M('Conv2d', 2, 3, 3, stride=2, padding=1, dtype='float64'), [x])
    layer('conv2d_pairs', M('Conv2d', 2, 3, [3, 2], stride=[2, 1], padding=[1, 0], dilation=[1, 2], dtype='float64'), [x])
    layer('conv2d_same', M('Conv2d', 2, 3, 3, padding='same', dtype='float64'), [x])
    layer('conv2d_same_even_kernel', M('Conv2d', 2, 3, 4, padding='same', dtype='float64'), [x])
    layer('conv2d_same_dilation', M('Conv2d', 2, 3, 3, padding='same', dilation=2, dtype='float64'), [x])
    layer('conv2d_valid', M('Conv2d', 2, 3, 2, padding='valid', dtype='float64'), [x])
    layer('conv2d_dilation', M('Conv2d', 2, 3, 2, dilation=2, dtype='float64'), [x])
    layer('conv2d_groups', M('Conv2d', 4, 6, 3, groups=2, padding=1, dtype='float64'), [x4])
    layer('conv2d_depthwise', M('Conv2d', 4, 4, 3, groups=4, bias=False, dtype='float64'), [x4])
    layer('conv2d_no_bias', M('Conv2d', 2, 3, 3, bias=False, dtype='float64'), [x])
    layer('conv2d_reflect', M('Conv2d', 2, 3, 3, padding=1, paddingMode='reflect', dtype='float64'), [x])
    layer('conv2d_replicate_pair', M('Conv2d', 2, 3, 3, padding=[2, 1], paddingMode='replicate', dtype='float64'), [x])
    layer('conv2d_circular_stride', M('Conv2d', 2, 3, 3, stride=2, padding=[1, 2], paddingMode='circular', dtype='float64'), [x])
    layer('conv2d_reflect_same', M('Conv2d', 2, 3, 3, padding='same', paddingMode='reflect', dtype='float64'), [x])
    layer('conv2d_reflect_same_even_kernel', M('Conv2d', 2, 3, 4, padding='same', paddingMode='reflect', dtype='float64'),
          [x], note='asymmetric padding: 1 before, 2 after')
    layer('conv2d_circular_same_even_dilated', M('Conv2d', 2, 3, [2, 4], padding='same', dilation=[3, 1],
                                                 paddingMode='circular', dtype='float64'), [x])
    layer('conv2d_replicate_valid', M('Conv2d', 2, 3, 3, padding='valid', paddingMode='replicate', dtype='float64'), [x])
    layer('conv2d_unbatched', M('Conv2d', 2, 3, 3, padding=1, dtype='float64'), [rn(2, 4, 4)])
    layer('conv2d_unbatched_reflect', M('Conv2d', 2, 3, 3, padding=1, paddingMode='reflect', dtype='float64'), [rn(2, 4, 4)])
    layer('conv2d_float32', M('Conv2d', 3, 4, 3, stride=2, padding=1), [rn(2, 3, 5, 5, dtype=torch.float32)])


def batch_norm_cases():
    for momentum, tag in ((0.1, ''), (None, '_cumulative')):
        layer(f'batchnorm1d_train_2d{tag}', M('BatchNorm1d', 3, momentum=momentum, dtype='float64'), [rn(5, 3)],
              warmup=[rn(4, 3) * 2 + 1])
        layer(f'batchnorm1d_train_3d{tag}', M('BatchNorm1d', 3, momentum=momentum, dtype='float64'), [rn(4, 3, 5)],
              warmup=[rn(2, 3, 5) - 1])
        layer(f'batchnorm2d_train{tag}', M('BatchNorm2d', 3, momentum=momentum, dtype='float64'), [rn(2, 3, 3, 4)],
              warmup=[rn(3, 3, 3, 4) * 3])
    layer('batchnorm2d_train_momentum_eps', M('BatchNorm2d', 2, momentum=0.3, eps=1e-3, dtype='float64'),
          [rn(2, 2, 3, 3)], warmup=[rn(2, 2, 3, 3)])
    layer('batchnorm1d_eval_2d', M('BatchNorm1d', 3, dtype='float64'), [rn(4, 3)], train=False)
    layer('batchnorm1d_eval_3d', M('BatchNorm1d', 3, dtype='float64'), [rn(2, 3, 4)], train=False)
    layer('batchnorm2d_eval', M('BatchNorm2d', 3, dtype='float64'), [rn(2, 3, 2, 3)], train=False,
          warmup=[rn(2, 3, 2, 3)])
    layer('batchnorm2d_no_affine', M('BatchNorm2d', 3, affine=False, dtype='float64'), [rn(2, 3, 2, 2)],
          warmup=[rn(2, 3, 2, 2)])
    layer('batchnorm2d_no_running_stats_train', M('BatchNorm2d', 3, trackRunningStats=False, dtype='float64'),
          [rn(2, 3, 2, 2)])
    layer('batchnorm2d_no_running_stats_eval', M('BatchNorm2d', 3, trackRunningStats=False, dtype='float64'),
          [rn(2, 3, 2, 2)], train=False)
    layer('batchnorm2d_train_float32', M('BatchNorm2d', 4), [rn(3, 4, 2, 2, dtype=torch.float32)],
          warmup=[rn(3, 4, 2, 2, dtype=torch.float32)])


def dropout_cases():
    layer('dropout_eval', M('Dropout', 0.5), [rn(3, 4)], train=False)
    layer('dropout_eval_p1', M('Dropout', 1.0), [rn(3, 4)], train=False)
    layer('dropout_train_p0', M('Dropout', 0.0), [rn(3, 4)])


def activation_cases():
    x = away_from_zero(3, 5) * 2
    layer('relu', M('ReLU'), [x])
    layer('relu6', M('ReLU6'), [x * 4])
    layer('leaky_relu', M('LeakyReLU'), [x])
    layer('leaky_relu_slope', M('LeakyReLU', 0.2), [x])
    layer('elu', M('ELU'), [x])
    layer('elu_alpha', M('ELU', 0.5), [x])
    layer('gelu', M('GELU'), [x])
    layer('gelu_tanh', M('GELU', 'tanh'), [x])
    layer('silu', M('SiLU'), [x])
    layer('sigmoid', M('Sigmoid'), [x])
    layer('tanh', M('Tanh'), [x])
    layer('softmax', M('Softmax', -1), [x])
    layer('softmax_dim0', M('Softmax', 0), [x])
    layer('log_softmax', M('LogSoftmax', 1), [x])
    layer('log_softmax_3d', M('LogSoftmax', 1), [rn(2, 3, 2)])
    layer('relu_float32', M('ReLU'), [away_from_zero(4, 3, dtype=torch.float32)])


def pooling_cases():
    x = rn(1, 2, 7, 6)
    layer('maxpool2d', M('MaxPool2d', 2), [rn(2, 2, 4, 5)])
    layer('maxpool2d_stride_ceil', M('MaxPool2d', 3, stride=2, ceilMode=True), [x])
    layer('maxpool2d_padding', M('MaxPool2d', 3, stride=2, padding=1), [x])
    layer('maxpool2d_dilation', M('MaxPool2d', 2, stride=1, dilation=2), [x])
    layer('maxpool2d_pairs', M('MaxPool2d', [2, 3], stride=[1, 2], padding=[1, 1], ceilMode=True), [x])
    layer('avgpool2d', M('AvgPool2d', 2), [x])
    layer('avgpool2d_padding', M('AvgPool2d', 3, stride=2, padding=1), [x])
    layer('avgpool2d_exclude_pad', M('AvgPool2d', 3, stride=2, padding=1, countIncludePad=False), [x])
    layer('avgpool2d_ceil_exclude_pad', M('AvgPool2d', 3, stride=2, padding=1, ceilMode=True, countIncludePad=False), [x])
    layer('avgpool2d_divisor', M('AvgPool2d', 2, stride=1, divisorOverride=3), [x])
    layer('adaptive_avgpool2d', M('AdaptiveAvgPool2d', [3, 2]), [x])
    layer('adaptive_avgpool2d_1', M('AdaptiveAvgPool2d', 1), [x])
    layer('adaptive_avgpool2d_larger', M('AdaptiveAvgPool2d', [8, 4]), [x])
    layer('global_avgpool2d', M('GlobalAvgPool2d'), [x])


def embedding_cases():
    ids = torch.tensor([[1, 0, 3, 3], [4, 0, 2, 1]])
    layer('embedding', M('Embedding', 5, 3, dtype='float64'), [ids])
    layer('embedding_padding_idx', M('Embedding', 5, 3, paddingIdx=0, dtype='float64'), [ids])
    layer('embedding_negative_padding_idx', M('Embedding', 5, 3, paddingIdx=-2, dtype='float64'), [ids])
    layer('embedding_float32_1d', M('Embedding', 6, 2, paddingIdx=5), [torch.tensor([5, 1, 5, 0])])


def rnn_cases():
    for cls in ('LSTM', 'GRU'):
        low = cls.lower()
        layer(f'{low}', M(cls, 3, 4, dtype='float64'), [rn(5, 2, 3)])
        layer(f'{low}_2_layers', M(cls, 3, 3, numLayers=2, dtype='float64'), [rn(4, 2, 3)])
        layer(f'{low}_bidirectional', M(cls, 3, 4, bidirectional=True, dtype='float64'), [rn(4, 2, 3)])
        layer(f'{low}_batch_first', M(cls, 3, 4, batchFirst=True, dtype='float64'), [rn(2, 4, 3)])
        layer(f'{low}_2_layers_bidirectional_batch_first',
              M(cls, 2, 3, numLayers=2, bidirectional=True, batchFirst=True, dtype='float64'), [rn(2, 3, 2)])
        layer(f'{low}_no_bias', M(cls, 3, 2, bias=False, dtype='float64'), [rn(3, 2, 3)])
        layer(f'{low}_eval_dropout', M(cls, 3, 2, numLayers=2, dropout=0.5, dtype='float64'), [rn(3, 2, 3)], train=False)
        layer(f'{low}_unbatched', M(cls, 3, 2, numLayers=2, dtype='float64'), [rn(4, 3)])
        states = [rn(4, 2, 3) for _ in range(2 if cls == 'LSTM' else 1)]
        layer(f'{low}_initial_state', M(cls, 2, 3, numLayers=2, bidirectional=True, batchFirst=True, dtype='float64'),
              [rn(2, 3, 2), *states])
        layer(f'{low}_unbatched_initial_state', M(cls, 2, 3, numLayers=2, dtype='float64'),
              [rn(3, 2), *[rn(2, 3) for _ in states]])
        layer(f'{low}_float32', M(cls, 3, 3, bidirectional=True), [rn(4, 2, 3, dtype=torch.float32)])


def sequential_cases():
    def cnn(dropout):
        head = [M('Dropout', 0.5)] if dropout else []
        return M('Sequential',
                 M('Conv2d', 1, 4, 3, padding=1, dtype='float64'),
                 M('BatchNorm2d', 4, dtype='float64'),
                 M('ReLU'),
                 M('MaxPool2d', 2),
                 M('Conv2d', 4, 6, 3, stride=2, padding=1, bias=False, dtype='float64'),
                 M('ReLU'),
                 M('Flatten'),
                 *head,
                 M('Linear', 24, 3, dtype='float64'))

    layer('sequential_cnn_train', cnn(False), [rn(2, 1, 8, 8)], warmup=[rn(2, 1, 8, 8)])
    layer('sequential_cnn_eval', cnn(True), [rn(1, 1, 8, 8)], train=False)
    layer('sequential_gap_head', M('Sequential', M('Conv2d', 2, 3, 3, dtype='float64'), M('GELU'), M('GlobalAvgPool2d'),
                                   M('Linear', 3, 2, dtype='float64'), M('LogSoftmax', 1)), [rn(2, 2, 5, 5)])


def loss_cases():
    def probs(*shape):
        return torch.rand(*shape, dtype=F64) * 0.9 + 0.05

    def loss(name, spec, inputs, grad_inputs=(0,), torch_module=None):
        layer(name, spec, inputs, grad_inputs=list(grad_inputs), torch_module=torch_module)

    p, t = probs(4, 3), torch.rand(4, 3, dtype=F64)
    w3 = torch.rand(3, dtype=F64) + 0.5
    loss('bce', M('BCELoss'), [p, t])
    loss('bce_weight', M('BCELoss', weight=w3), [p, t])
    loss('bce_weight_sum', M('BCELoss', weight=torch.rand(4, 3, dtype=F64), reduction='sum'), [p, t])
    loss('bce_none', M('BCELoss', reduction='none'), [p, (t > 0.5).double()])
    z = rn(4, 3) * 2
    loss('bce_with_logits', M('BCEWithLogitsLoss'), [z, t], grad_inputs=(0, 1))
    loss('bce_with_logits_weight_pos_weight', M('BCEWithLogitsLoss', weight=w3, posWeight=torch.tensor([0.5, 2.0, 4.0], dtype=F64)),
         [z, (t > 0.5).double()])
    loss('bce_with_logits_pos_weight_none', M('BCEWithLogitsLoss', posWeight=torch.tensor([3.0, 1.0, 0.25], dtype=F64),
                                              reduction='none'), [z, t])
    loss('bce_with_logits_float32', M('BCEWithLogitsLoss', weight=w3.float(), posWeight=torch.rand(3) + 1),
         [z.float(), t.float()])

    logits = rn(5, 4)
    labels = torch.tensor([0, 3, 1, 1, 2])
    wc = torch.rand(4, dtype=F64) + 0.5
    loss('cross_entropy', M('CrossEntropyLoss'), [logits, labels])
    loss('cross_entropy_weight', M('CrossEntropyLoss', weight=wc), [logits, labels])
    loss('cross_entropy_ignore_index', M('CrossEntropyLoss', ignoreIndex=1), [logits, labels])
    loss('cross_entropy_default_ignore_index', M('CrossEntropyLoss'), [logits, torch.tensor([0, -100, 1, -100, 2])])
    loss('cross_entropy_label_smoothing', M('CrossEntropyLoss', labelSmoothing=0.1), [logits, labels])
    loss('cross_entropy_all_options', M('CrossEntropyLoss', weight=wc, ignoreIndex=3, labelSmoothing=0.2), [logits, labels])
    loss('cross_entropy_sum', M('CrossEntropyLoss', weight=wc, reduction='sum'), [logits, labels])
    loss('cross_entropy_none', M('CrossEntropyLoss', labelSmoothing=0.05, reduction='none'), [logits, labels])
    loss('cross_entropy_probabilities', M('CrossEntropyLoss', labelSmoothing=0.1), [logits, torch.softmax(rn(5, 4), 1)])
    loss('cross_entropy_4d', M('CrossEntropyLoss', weight=torch.rand(3, dtype=F64) + 0.5, ignoreIndex=2),
         [rn(2, 3, 2, 3), torch.randint(0, 3, (2, 2, 3))])
    loss('cross_entropy_float32', M('CrossEntropyLoss', labelSmoothing=0.1), [logits.float(), labels])

    logp = torch.log_softmax(rn(5, 4), 1)
    loss('nll', M('NLLLoss'), [logp, labels])
    loss('nll_weight_ignore_index', M('NLLLoss', weight=wc, ignoreIndex=1), [logp, labels])
    loss('nll_4d', M('NLLLoss', weight=torch.rand(3, dtype=F64) + 0.5), [torch.log_softmax(rn(2, 3, 2, 2), 1),
                                                                          torch.randint(0, 3, (2, 2, 2))])
    loss('nll_4d_ignore_index_none', M('NLLLoss', ignoreIndex=0, reduction='none'),
         [torch.log_softmax(rn(2, 3, 3, 2), 1), torch.randint(0, 3, (2, 3, 2))])
    loss('nll_4d_sum', M('NLLLoss', reduction='sum'), [torch.log_softmax(rn(1, 4, 2, 3), 1), torch.randint(0, 4, (1, 2, 3))])

    a, b = rn(3, 4), rn(3, 4)
    loss('mse', M('MSELoss'), [a, b], grad_inputs=(0, 1))
    loss('mse_sum', M('MSELoss', reduction='sum'), [a, b], grad_inputs=(0, 1), torch_module=nn.MSELoss(reduction='sum'))
    loss('mse_none', M('MSELoss', reduction='none'), [a, b], torch_module=nn.MSELoss(reduction='none'))
    loss('l1', M('L1Loss'), [a, b], grad_inputs=(0, 1))
    loss('l1_sum', M('L1Loss', reduction='sum'), [a, b], torch_module=nn.L1Loss(reduction='sum'))
    loss('l1_none', M('L1Loss', reduction='none'), [a, b], grad_inputs=(0, 1), torch_module=nn.L1Loss(reduction='none'))
    loss('smooth_l1', M('SmoothL1Loss'), [a, b], grad_inputs=(0, 1))
    loss('smooth_l1_beta', M('SmoothL1Loss', beta=0.5), [a, b], grad_inputs=(0, 1))
    loss('smooth_l1_beta_sum', M('SmoothL1Loss', beta=2.0, reduction='sum'), [a * 2, b])
    loss('smooth_l1_beta_none', M('SmoothL1Loss', beta=0.3, reduction='none'), [a, b])
    loss('mse_float32', M('MSELoss'), [a.float(), b.float()], grad_inputs=(0, 1))


# ---------------------------------------------------------------------------------------------------
# Initialisation: values from torch.nn.init's helpers, checked against what torch actually draws.


def stats(t):
    return {'torchMaxAbs': t.abs().max().item(), 'torchStd': t.std().item(), 'torchMean': t.mean().item()}


def check_uniform(t, bound):
    """max |t| <= bound and within ~bound/n of it; std within 5 standard errors of bound/sqrt(3)."""
    n = t.numel()
    m = t.abs().max().item()
    assert bound * (1 - 10 / n) <= m <= bound * (1 + 1e-6), (m, bound)
    assert abs(t.std().item() / (bound / math.sqrt(3)) - 1) < 5 * math.sqrt(0.2 / n)


def check_normal(t, std):
    """std within 5 standard errors (1/sqrt(2n) relative) of the expected value."""
    assert abs(t.std().item() / std - 1) < 5 / math.sqrt(2 * t.numel()), (t.std().item(), std)


def kaiming_std(t, a, mode, nonlinearity):
    fan = init._calculate_correct_fan(t, 'fan_in' if mode == 'fanIn' else 'fan_out')
    return init.calculate_gain(nonlinearity, a) / math.sqrt(fan)


def init_section():
    torch.manual_seed(1)
    gains = []
    for nl, param in (('linear', None), ('conv2d', None), ('sigmoid', None), ('tanh', None), ('relu', None),
                      ('leaky_relu', None), ('leaky_relu', 0.2), ('leaky_relu', math.sqrt(5)), ('leaky_relu', 0),
                      ('selu', None)):
        gains.append({'nonlinearity': nl, 'param': param, 'gain': init.calculate_gain(nl, param)})

    fans = []
    for shape in ([3, 5], [8, 3, 3, 3], [16, 2, 5, 1], [6, 4, 2], [2, 7, 3, 3, 2]):
        fan_in, fan_out = init._calculate_fan_in_and_fan_out(torch.empty(shape))
        fans.append({'shape': shape, 'fanIn': fan_in, 'fanOut': fan_out})

    functions = []

    def record(fn, shape, options, torch_fill, bound=None, std=None):
        t = torch.empty(shape)
        torch_fill(t)
        if bound is not None:
            check_uniform(t, bound)
            std = bound / math.sqrt(3)
        else:
            check_normal(t, std)
        functions.append({'fn': fn, 'shape': shape, 'options': options, 'bound': bound, 'std': std, **stats(t)})

    for shape, opts in (([256, 300], {}),
                        ([128, 64, 3, 3], {'mode': 'fanOut', 'nonlinearity': 'relu'}),
                        ([200, 150], {'a': 0.2}),
                        ([64, 32, 5, 5], {'a': math.sqrt(5)}),
                        ([300, 200], {'nonlinearity': 'tanh', 'mode': 'fanOut'}),
                        ([240, 250], {'nonlinearity': 'selu'})):
        a, mode, nl = opts.get('a', 0), opts.get('mode', 'fanIn'), opts.get('nonlinearity', 'leaky_relu')
        std = kaiming_std(torch.empty(shape), a, mode, nl)
        tmode = 'fan_in' if mode == 'fanIn' else 'fan_out'
        record('kaimingUniform_', shape, opts, lambda t: init.kaiming_uniform_(t, a=a, mode=tmode, nonlinearity=nl),
               bound=math.sqrt(3) * std)
        record('kaimingNormal_', shape, opts, lambda t: init.kaiming_normal_(t, a=a, mode=tmode, nonlinearity=nl), std=std)
    for shape, gain in (([256, 300], 1.0), ([64, 32, 3, 3], init.calculate_gain('relu')), ([500, 100], 0.5)):
        fan_in, fan_out = init._calculate_fan_in_and_fan_out(torch.empty(shape))
        record('xavierUniform_', shape, {'gain': gain}, lambda t: init.xavier_uniform_(t, gain),
               bound=gain * math.sqrt(6.0 / (fan_in + fan_out)))
        record('xavierNormal_', shape, {'gain': gain}, lambda t: init.xavier_normal_(t, gain),
               std=gain * math.sqrt(2.0 / (fan_in + fan_out)))

    # Each layer's default initialisation, as its reset_parameters() does it.
    defaults = []

    def default(spec, expected):
        m = build(spec)
        params = dict(m.named_parameters())
        assert sorted(params) == sorted(expected), (sorted(params), sorted(expected))
        out = {}
        for name, (dist, value) in expected.items():
            t = params[name].detach()
            if dist == 'uniform':
                check_uniform(t, value)
            elif dist == 'normal':
                check_normal(t, value)
            else:
                assert bool((t == value).all())
            out[name] = {'dist': dist, 'value': value, **stats(t)}
        defaults.append({'module': spec_json(spec), 'params': out})

    def linear_like_bounds(weight_shape):
        w = torch.empty(weight_shape)
        fan_in, _ = init._calculate_fan_in_and_fan_out(w)
        return math.sqrt(3) * kaiming_std(w, math.sqrt(5), 'fanIn', 'leaky_relu'), 1 / math.sqrt(fan_in)

    wb, bb = linear_like_bounds([256, 512])
    default(M('Linear', 512, 256), {'weight': ('uniform', wb), 'bias': ('uniform', bb)})
    wb, bb = linear_like_bounds([96, 48, 3, 3])
    default(M('Conv2d', 48, 96, 3), {'weight': ('uniform', wb), 'bias': ('uniform', bb)})
    wb, bb = linear_like_bounds([128, 16, 5, 5])
    default(M('Conv2d', 64, 128, 5, groups=4, stride=2), {'weight': ('uniform', wb), 'bias': ('uniform', bb)})
    hidden = 96
    rnn = {}
    for layer_ in range(2):
        for suffix in ('', '_reverse'):
            for kind in ('weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'):
                rnn[f'{kind}_l{layer_}{suffix}'] = ('uniform', 1 / math.sqrt(hidden))
    default(M('LSTM', 64, hidden, numLayers=2, bidirectional=True), rnn)
    default(M('GRU', 64, hidden, numLayers=2, bidirectional=True), rnn)
    default(M('Embedding', 1000, 64), {'weight': ('normal', 1.0)})
    default(M('BatchNorm2d', 64), {'weight': ('constant', 1.0), 'bias': ('constant', 0.0)})
    return {'gains': gains, 'fans': fans, 'functions': functions, 'defaults': defaults}


# ---------------------------------------------------------------------------------------------------
# Module names: a small nested model; the TS test builds the same structure.


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(4, 4, 3, bias=False), nn.BatchNorm2d(4, track_running_stats=False))
        self.encoder = nn.LSTM(4, 3, num_layers=2, bidirectional=True)
        self.embed = nn.Embedding(10, 4, padding_idx=0)
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.1), nn.Linear(16, 2, bias=False),
                                  nn.BatchNorm1d(2, affine=False))


def module_section():
    net = Net()
    apply_order = []
    net.apply(lambda m: apply_order.append(type(m).__name__))
    return {
        'net': {
            'namedParameters': [[n, list(p.shape)] for n, p in net.named_parameters()],
            'namedBuffers': [[n, list(b.shape)] for n, b in net.named_buffers()],
            'namedModules': [[n, type(m).__name__] for n, m in net.named_modules()],
            'stateDict': [[n, list(t.shape)] for n, t in net.state_dict().items()],
            'applyOrder': apply_order,
        }
    }


def main():
    warnings.filterwarnings('ignore', message="Using padding='same' with even kernel")
    torch.manual_seed(0)
    for group in (linear_cases, conv_cases, batch_norm_cases, dropout_cases, activation_cases, pooling_cases,
                  embedding_cases, rnn_cases, sequential_cases, loss_cases):
        group()
    golden = {'layers': LAYERS, 'init': init_section(), 'module': module_section()}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as f:
        f.write('{\n"layers": [\n' + ',\n'.join(json.dumps(c, separators=(',', ':'), allow_nan=False) for c in LAYERS))
        for key in ('init', 'module'):
            f.write(f'{"]" if key == "init" else ""},\n"{key}": ' + json.dumps(golden[key], separators=(',', ':'), allow_nan=False))
        f.write('\n}\n')
    size = os.path.getsize(OUT)
    assert size < 1_000_000, f'{OUT} is {size} bytes'
    print(f'wrote {len(LAYERS)} layer cases to {os.path.relpath(OUT, ROOT)} ({size} bytes)')


if __name__ == '__main__':
    main()
