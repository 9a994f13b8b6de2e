#!/usr/bin/env python3
"""Writes test/golden/optim.json: reference values for src/optim (optimizers, clipping, schedules).

Run with Debian's PyTorch: `/usr/bin/python3 scripts/golden/make_optim_goldens.py`.

- "problem" + "optimizers": a small model-free float64 problem (four parameters, one never used so its
  gradient stays None) optimized for 100 steps by torch.optim (PyTorch 1.13, foreach=False), with the
  parameters recorded after steps 1, 10, 50 and 100. src/optim/optimizers.golden.test.ts replays them.
- "clip": gradients before and after torch.nn.utils.clip_grad_norm_ / clip_grad_value_, and the norm.
- "schedules": learning-rate sequences. Cases with "reference": "bigdl" come from a Python transcription
  of BigDL's schedules and of the driver loop that calls them (DL/optim/SGD.scala, object SGD;
  DistriOptimizer: the schedule runs at the start of each iteration with the optimizer state's
  "epoch", "Loss" = the previous iteration's loss and "score" = the last validation). BigDL keeps
  Plateau's factor/epsilon/minLr as 32-bit floats; this transcription uses doubles, as tszoo does.
  Cases with "reference": "torch" come from torch.optim.lr_scheduler (cosine annealing).
  src/optim/schedules.test.ts replays them.
"""
import json
import math
import os

import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
OUT = os.path.join(ROOT, 'test', 'golden', 'optim.json')
F64 = torch.float64
CHECKPOINTS = [1, 10, 50, 100]

# ---------------------------------------------------------------------------------------------------
# The optimization problem: loss = 0.1 * sum((X @ w + v - Y)^2) + sum(sin(q)); u is never used.

torch.manual_seed(0)
X = torch.randn(6, 3, dtype=F64)
Y = torch.randn(6, 4, dtype=F64)
INIT = {
    'w': torch.randn(3, 4, dtype=F64) * 0.5,
    'v': torch.randn(4, dtype=F64) * 0.5,
    'q': torch.randn(5, dtype=F64),
    'u': torch.randn(2, dtype=F64),
}
ORDER = ['w', 'v', 'q', 'u']


def loss_fn(p):
    r = X @ p['w'] + p['v'] - Y
    return r.pow(2).sum() * 0.1 + p['q'].sin().sum()


def enc(t):
    return {'shape': list(t.shape), 'data': t.detach().reshape(-1).tolist()}


# tszoo option names -> torch.optim keyword arguments
KWARGS = {
    'lr': 'lr', 'momentum': 'momentum', 'dampening': 'dampening', 'nesterov': 'nesterov',
    'weightDecay': 'weight_decay', 'betas': 'betas', 'eps': 'eps', 'amsgrad': 'amsgrad', 'alpha': 'alpha',
    'centered': 'centered', 'lrDecay': 'lr_decay', 'initialAccumulatorValue': 'initial_accumulator_value',
}
OPTIMIZERS = {
    'SGD': torch.optim.SGD, 'Adam': torch.optim.Adam, 'AdamW': torch.optim.AdamW,
    'RMSprop': torch.optim.RMSprop, 'Adagrad': torch.optim.Adagrad,
}


def torch_kwargs(options):
    return {KWARGS[k]: (tuple(v) if k == 'betas' else v) for k, v in options.items()}


def run_optimizer(case):
    params = {k: INIT[k].clone().requires_grad_() for k in ORDER}
    if 'groups' in case:
        groups = []
        for g in case['groups']:
            spec = {k: v for k, v in g.items() if k != 'params'}
            groups.append({'params': [params[n] for n in g['params']], **torch_kwargs(spec)})
    else:
        groups = [params[n] for n in ORDER]
    opt = OPTIMIZERS[case['optimizer']](groups, foreach=False, **torch_kwargs(case['options']))
    trajectory = {}
    for step in range(1, 101):
        opt.zero_grad(set_to_none=True)
        loss_fn(params).backward()
        if 'clipGradNorm' in case:
            torch.nn.utils.clip_grad_norm_([params[n] for n in ORDER], case['clipGradNorm'])
        opt.step()
        if step in CHECKPOINTS:
            trajectory[str(step)] = {n: enc(params[n]) for n in ORDER}
    return {**case, 'trajectory': trajectory}


OPTIMIZER_CASES = [
    {'name': 'sgd plain', 'optimizer': 'SGD', 'options': {'lr': 0.01}},
    {'name': 'sgd momentum', 'optimizer': 'SGD', 'options': {'lr': 0.01, 'momentum': 0.9}},
    {'name': 'sgd momentum dampening weight decay', 'optimizer': 'SGD',
     'options': {'lr': 0.02, 'momentum': 0.8, 'dampening': 0.1, 'weightDecay': 0.01}},
    {'name': 'sgd nesterov weight decay', 'optimizer': 'SGD',
     'options': {'lr': 0.01, 'momentum': 0.9, 'nesterov': True, 'weightDecay': 1e-3}},
    {'name': 'sgd groups', 'optimizer': 'SGD', 'options': {'lr': 0.01, 'momentum': 0.9},
     'groups': [{'params': ['w', 'v'], 'lr': 0.02}, {'params': ['q', 'u'], 'momentum': 0.5, 'weightDecay': 0.1}]},
    {'name': 'sgd momentum with clipGradNorm', 'optimizer': 'SGD', 'options': {'lr': 0.05, 'momentum': 0.9},
     'clipGradNorm': 0.5},
    {'name': 'adam', 'optimizer': 'Adam', 'options': {'lr': 0.01}},
    {'name': 'adam betas eps weight decay', 'optimizer': 'Adam',
     'options': {'lr': 0.02, 'betas': [0.8, 0.99], 'eps': 1e-6, 'weightDecay': 0.01}},
    {'name': 'adam amsgrad weight decay', 'optimizer': 'Adam',
     'options': {'lr': 0.05, 'amsgrad': True, 'weightDecay': 0.1}},
    {'name': 'adam groups', 'optimizer': 'Adam', 'options': {'lr': 0.01},
     'groups': [{'params': ['w'], 'lr': 0.03, 'amsgrad': True}, {'params': ['v', 'q', 'u'], 'weightDecay': 0.05}]},
    {'name': 'adamw', 'optimizer': 'AdamW', 'options': {'lr': 0.01}},
    {'name': 'adamw amsgrad', 'optimizer': 'AdamW',
     'options': {'lr': 0.03, 'betas': [0.85, 0.995], 'weightDecay': 0.1, 'amsgrad': True}},
    {'name': 'rmsprop', 'optimizer': 'RMSprop', 'options': {'lr': 0.01}},
    {'name': 'rmsprop alpha momentum weight decay', 'optimizer': 'RMSprop',
     'options': {'lr': 0.005, 'alpha': 0.9, 'momentum': 0.5, 'weightDecay': 0.01}},
    {'name': 'rmsprop centered momentum', 'optimizer': 'RMSprop',
     'options': {'lr': 0.002, 'centered': True, 'momentum': 0.9, 'eps': 1e-6}},
    {'name': 'rmsprop groups', 'optimizer': 'RMSprop', 'options': {'lr': 0.01, 'centered': True},
     'groups': [{'params': ['w', 'v'], 'lr': 0.003, 'momentum': 0.7}, {'params': ['q', 'u'], 'centered': False}]},
    {'name': 'adagrad', 'optimizer': 'Adagrad', 'options': {'lr': 0.1}},
    {'name': 'adagrad lr decay weight decay accumulator', 'optimizer': 'Adagrad',
     'options': {'lr': 0.2, 'lrDecay': 0.01, 'weightDecay': 0.01, 'initialAccumulatorValue': 0.1, 'eps': 1e-8}},
    {'name': 'adagrad groups', 'optimizer': 'Adagrad', 'options': {'lr': 0.1},
     'groups': [{'params': ['w'], 'lr': 0.3, 'lrDecay': 0.05}, {'params': ['v', 'q', 'u']}]},
]

# ---------------------------------------------------------------------------------------------------
# Gradient clipping

torch.manual_seed(1)
CLIP_GRADS = {
    'a': torch.randn(3, 4, dtype=F64),
    'b': torch.randn(4, dtype=F64) * 3,
    's': torch.randn((), dtype=F64),
}
CLIP_SHAPES = {'a': [3, 4], 'b': [4], 's': [], 'none': [2]}


def run_clip(case):
    params = {n: torch.zeros(CLIP_SHAPES[n], dtype=F64, requires_grad=True) for n in case['params']}
    for n, p in params.items():
        if n in CLIP_GRADS:
            p.grad = CLIP_GRADS[n].clone()
    out = {**case}
    if case['fn'] == 'clipGradNorm':
        norm_type = math.inf if case['normType'] == 'inf' else case['normType']
        total = torch.nn.utils.clip_grad_norm_(list(params.values()), case['maxNorm'], norm_type)
        out['totalNorm'] = float(total)
    else:
        torch.nn.utils.clip_grad_value_(list(params.values()), case['clipValue'])
    out['clipped'] = {n: enc(p.grad) for n, p in params.items() if p.grad is not None}
    return out


CLIP_CASES = [
    {'name': 'norm 2', 'fn': 'clipGradNorm', 'params': ['a', 'b', 's', 'none'], 'maxNorm': 1.0, 'normType': 2},
    {'name': 'norm 1', 'fn': 'clipGradNorm', 'params': ['a', 'b', 's', 'none'], 'maxNorm': 0.5, 'normType': 1},
    {'name': 'norm inf', 'fn': 'clipGradNorm', 'params': ['a', 'b', 's', 'none'], 'maxNorm': 0.3, 'normType': 'inf'},
    {'name': 'norm 3', 'fn': 'clipGradNorm', 'params': ['a', 'b', 's'], 'maxNorm': 2.0, 'normType': 3},
    {'name': 'norm 0.5', 'fn': 'clipGradNorm', 'params': ['a', 'b'], 'maxNorm': 4.0, 'normType': 0.5},
    {'name': 'norm below max (no clipping)', 'fn': 'clipGradNorm', 'params': ['a', 'b', 's'], 'maxNorm': 100.0,
     'normType': 2},
    {'name': 'one parameter inf', 'fn': 'clipGradNorm', 'params': ['b'], 'maxNorm': 0.5, 'normType': 'inf'},
    {'name': 'one scalar parameter', 'fn': 'clipGradNorm', 'params': ['s'], 'maxNorm': 0.1, 'normType': 2},
    {'name': 'value', 'fn': 'clipGradValue', 'params': ['a', 'b', 's', 'none'], 'clipValue': 0.3},
]

# ---------------------------------------------------------------------------------------------------
# BigDL's learning-rate schedules, transcribed from SGD.scala (rates kept negative as BigDL does).


class BigDLOptim:
    """The parts of a BigDL OptimMethod that schedules read and write."""

    def __init__(self, lr):
        self.learningRate = lr
        self.state = {'evalCounter': 0, 'epoch': 1}


class Schedule:
    def __init__(self):
        self.currentRate = 0.0
        self.excludeIterations = 0
        self.excludeEpochs = 0
        self.maxIterations = 0


class Warmup(Schedule):
    def __init__(self, delta):
        super().__init__()
        self.delta = delta

    def update(self, o):
        nevals = o.state['evalCounter']
        self.currentRate = -o.learningRate - self.delta * (nevals - self.excludeIterations)
        o.state['evalCounter'] = nevals + 1


class Step(Schedule):
    def __init__(self, step_size, gamma):
        super().__init__()
        self.stepSize, self.gamma = step_size, gamma

    def update(self, o):
        clr = -o.learningRate
        nevals = o.state['evalCounter']
        i = 0
        while i < (nevals - self.excludeIterations) // self.stepSize:
            clr *= self.gamma
            i += 1
        o.state['evalCounter'] = nevals + 1
        self.currentRate = clr


class MultiStep(Schedule):
    def __init__(self, step_sizes, gamma):
        super().__init__()
        self.stepSizes, self.gamma = step_sizes, gamma

    def update(self, o):
        nevals = o.state['evalCounter']
        clr = -o.learningRate
        cur = 0
        while cur < len(self.stepSizes) and (nevals - self.excludeIterations) >= self.stepSizes[cur]:
            clr *= self.gamma
            cur += 1
        o.state['evalCounter'] = nevals + 1
        self.currentRate = clr


class Exponential(Schedule):
    def __init__(self, decay_step, decay_rate, stair_case=False):
        super().__init__()
        self.decayStep, self.decayRate, self.stairCase = decay_step, decay_rate, stair_case

    def update(self, o):
        lr = o.learningRate
        nevals = o.state['evalCounter']
        p = (nevals - self.excludeIterations) / float(self.decayStep)
        if self.stairCase:
            p = math.floor(p)
        self.currentRate = -lr * math.pow(self.decayRate, p)
        o.state['evalCounter'] = nevals + 1


class Poly(Schedule):
    def __init__(self, power, max_iteration):
        super().__init__()
        self.power, self.maxIteration = power, max_iteration

    def update(self, o):
        nevals = o.state['evalCounter']
        lr = o.learningRate
        poly_iter = nevals  # BigDL: "fix: should have no exclude iterations."
        if poly_iter > self.maxIteration:
            clr = 0.0
        else:
            clr = -lr * math.pow(1.0 - poly_iter / self.maxIteration, self.power)
        o.state['evalCounter'] = nevals + 1
        self.currentRate = clr


class Plateau(Schedule):
    def __init__(self, monitor, factor=0.1, patience=10, mode='min', epsilon=1e-4, cooldown=0, min_lr=0.0):
        super().__init__()
        assert factor < 1 and mode in ('min', 'max')
        # tszoo spells BigDL's driver-state key 'Loss' as 'loss' (its metric keys are lower camelCase)
        self.monitor = {'loss': 'Loss'}.get(monitor, monitor)
        self.factor, self.patience, self.mode = factor, patience, mode
        self.epsilon, self.cooldown, self.minLr = epsilon, cooldown, min_lr
        if mode == 'min':
            self.monitorOp, self.best = (lambda a, b: a < b - epsilon), math.inf
        else:
            self.monitorOp, self.best = (lambda a, b: a > b + epsilon), -math.inf
        self.cooldownCounter = 0
        self.waitCounter = 0
        self.lrEpsilon = min_lr * 1e-4
        self.curEpoch = 1

    def update(self, o):
        epoch = o.state['epoch'] - self.excludeEpochs
        if epoch == 1:
            self.currentRate = -o.learningRate
        if epoch == self.curEpoch:
            return
        self.curEpoch = epoch
        current = o.state[self.monitor]
        if self.cooldownCounter > 0:
            self.cooldownCounter -= 1
            self.waitCounter = 0
        if self.monitorOp(current, self.best):
            self.best = current
            self.waitCounter = 0
        elif self.cooldownCounter <= 0:
            if self.waitCounter >= self.patience:
                if abs(self.currentRate) > self.minLr + self.lrEpsilon:
                    self.currentRate = -max(abs(self.currentRate) * self.factor, self.minLr)
                    self.cooldownCounter = self.cooldown
                    self.waitCounter = 0
            self.waitCounter += 1


class SequentialSchedule(Schedule):
    def __init__(self, iteration_per_epoch):
        super().__init__()
        self.iterationPerEpoch = iteration_per_epoch
        self.schedules = []
        self.cur = 0

    def add(self, schedule, max_iteration):
        schedule.excludeIterations = self.schedules[-1].maxIterations if self.schedules else 0
        schedule.maxIterations = schedule.excludeIterations + max_iteration
        schedule.excludeEpochs = schedule.excludeIterations // self.iterationPerEpoch
        self.schedules.append(schedule)
        return self

    def update(self, o):
        nevals = o.state['evalCounter']
        if nevals > self.schedules[self.cur].maxIterations:
            o.learningRate = -self.currentRate
            self.cur += 1
        self.schedules[self.cur].update(o)
        self.currentRate = self.schedules[self.cur].currentRate


def build_bigdl(spec):
    kind = spec['kind']
    if kind == 'Warmup':
        return Warmup(spec['delta'])
    if kind == 'Step':
        return Step(spec['stepSize'], spec['gamma'])
    if kind == 'MultiStep':
        return MultiStep(spec['milestones'], spec['gamma'])
    if kind == 'Exponential':
        return Exponential(spec['decayStep'], spec['decayRate'], spec.get('staircase', False))
    if kind == 'Poly':
        return Poly(spec['power'], spec['maxIteration'])
    if kind == 'Plateau':
        o = spec['options']
        return Plateau(o['monitor'], o.get('factor', 0.1), o.get('patience', 10), o.get('mode', 'min'),
                       o.get('epsilon', 1e-4), o.get('cooldown', 0), o.get('minLr', 0.0))
    if kind == 'Sequential':
        s = SequentialSchedule(spec['iterationsPerEpoch'])
        for stage, max_iteration in spec['stages']:
            s.add(build_bigdl(stage), max_iteration)
        return s
    raise ValueError(kind)


def run_bigdl(case, lr):
    """BigDL's driver loop: per iteration, the schedule sees the epoch, the previous iteration's loss
    and the last validation score; the epoch advances after its last iteration, then validation runs."""
    schedule = build_bigdl(case['schedule'])
    o = BigDLOptim(lr)
    ipe = case['iterationsPerEpoch']
    losses, scores = case.get('losses'), case.get('scores')
    driver = {'epoch': 1}
    rates = []
    for k in range(1, case['iterations'] + 1):
        o.state['epoch'] = driver['epoch']
        for key in ('Loss', 'score'):
            if key in driver:
                o.state[key] = driver[key]
        schedule.update(o)
        rates.append(-schedule.currentRate)
        if losses:
            driver['Loss'] = losses[k - 1]
        if k % ipe == 0:
            if scores:
                driver['score'] = scores[driver['epoch'] - 1]
            driver['epoch'] += 1
    return rates


def run_torch_scheduler(case, lr):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr)
    s = case['torch']
    if s['class'] == 'CosineAnnealingLR':
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=s['T_max'], eta_min=s['eta_min'])
    else:
        sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=s['T_0'], T_mult=s['T_mult'],
                                                                     eta_min=s['eta_min'])
    rates = []
    for _ in range(case['iterations']):
        rates.append(opt.param_groups[0]['lr'])
        opt.step()
        sched.step()
    return rates


def run_schedule(case):
    run = run_bigdl if case['reference'] == 'bigdl' else run_torch_scheduler
    return {**case, 'rates': [run(case, lr) for lr in case['lrs']]}


def epoch_end_losses(per_epoch, ipe, wobble=0.05):
    """Per-iteration losses whose last iteration in each epoch is per_epoch[e]; the others differ, so a
    schedule that read the wrong iteration's loss would show."""
    out = []
    for e, value in enumerate(per_epoch):
        out.extend(value + wobble * ((e + i) % 3 - 1) for i in range(ipe - 1))
        out.append(value)
    return out


SEED_IPE = 4
SEED_LOSSES = epoch_end_losses(
    [0.9, 0.7, 0.6, 0.5, 0.45, 0.40, 0.395, 0.39, 0.30, 0.295, 0.29, 0.292, 0.2915, 0.29, 0.289], SEED_IPE)
SCHEDULE_CASES = [
    {'name': 'warmup', 'reference': 'bigdl', 'schedule': {'kind': 'Warmup', 'delta': 0.01},
     'lrs': [0.1, 0.05], 'iterationsPerEpoch': 5, 'iterations': 30},
    {'name': 'step', 'reference': 'bigdl', 'schedule': {'kind': 'Step', 'stepSize': 5, 'gamma': 0.5},
     'lrs': [0.1], 'iterationsPerEpoch': 5, 'iterations': 30},
    {'name': 'multistep', 'reference': 'bigdl',
     'schedule': {'kind': 'MultiStep', 'milestones': [3, 7, 20], 'gamma': 0.1},
     'lrs': [0.1], 'iterationsPerEpoch': 5, 'iterations': 30},
    {'name': 'exponential', 'reference': 'bigdl',
     'schedule': {'kind': 'Exponential', 'decayStep': 4, 'decayRate': 0.9},
     'lrs': [0.1], 'iterationsPerEpoch': 5, 'iterations': 30},
    {'name': 'exponential staircase', 'reference': 'bigdl',
     'schedule': {'kind': 'Exponential', 'decayStep': 4, 'decayRate': 0.9, 'staircase': True},
     'lrs': [0.1], 'iterationsPerEpoch': 5, 'iterations': 30},
    {'name': 'poly', 'reference': 'bigdl', 'schedule': {'kind': 'Poly', 'power': 0.5, 'maxIteration': 20},
     'lrs': [0.1], 'iterationsPerEpoch': 5, 'iterations': 30},
    {'name': 'plateau min with cooldown and minLr', 'reference': 'bigdl',
     'schedule': {'kind': 'Plateau', 'options': {'monitor': 'loss', 'factor': 0.5, 'patience': 2,
                                                 'epsilon': 1e-3, 'cooldown': 1, 'minLr': 0.02}},
     'lrs': [0.1], 'iterationsPerEpoch': 3, 'iterations': 60,
     'losses': epoch_end_losses([1.0, 0.8, 0.7, 0.7, 0.7, 0.6995, 0.7, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.5, 0.6,
                                 0.6, 0.6, 0.6, 0.6, 0.6], 3)},
    {'name': 'plateau max on score', 'reference': 'bigdl',
     'schedule': {'kind': 'Plateau', 'options': {'monitor': 'score', 'factor': 0.1, 'patience': 1, 'mode': 'max',
                                                 'epsilon': 0.01, 'cooldown': 2, 'minLr': 1e-4}},
     'lrs': [0.05, 0.2], 'iterationsPerEpoch': 2, 'iterations': 40,
     'scores': [0.6, 0.7, 0.75, 0.755, 0.76, 0.8, 0.8, 0.8, 0.8, 0.8, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9,
                0.9]},
    {'name': 'plateau default options', 'reference': 'bigdl',
     'schedule': {'kind': 'Plateau', 'options': {'monitor': 'loss'}},
     'lrs': [0.01], 'iterationsPerEpoch': 1, 'iterations': 40,
     'losses': [1.0 - 0.01 * min(i, 5) for i in range(40)]},
    {'name': 'seed recipe: warmup 1e-7 to 1e-4 over 5 epochs, then plateau', 'reference': 'bigdl',
     'schedule': {'kind': 'Sequential', 'iterationsPerEpoch': SEED_IPE, 'stages': [
         [{'kind': 'Warmup', 'delta': (1e-4 - 1e-7) / (5 * SEED_IPE)}, 5 * SEED_IPE],
         [{'kind': 'Plateau', 'options': {'monitor': 'loss', 'factor': 0.1, 'patience': 1, 'mode': 'min',
                                          'epsilon': 0.01, 'cooldown': 0, 'minLr': 1e-15}}, 10 * SEED_IPE]]},
     'lrs': [1e-7], 'iterationsPerEpoch': SEED_IPE, 'iterations': 15 * SEED_IPE, 'losses': SEED_LOSSES},
    {'name': 'sequential warmup, step, poly', 'reference': 'bigdl',
     'schedule': {'kind': 'Sequential', 'iterationsPerEpoch': 5, 'stages': [
         [{'kind': 'Warmup', 'delta': 0.002}, 10],
         [{'kind': 'Step', 'stepSize': 4, 'gamma': 0.5}, 10],
         [{'kind': 'Poly', 'power': 2, 'maxIteration': 40}, 20]]},
     'lrs': [0.01, 0.02], 'iterationsPerEpoch': 5, 'iterations': 41},
    {'name': 'sequential exponential, multistep, plateau on score', 'reference': 'bigdl',
     'schedule': {'kind': 'Sequential', 'iterationsPerEpoch': 4, 'stages': [
         [{'kind': 'Exponential', 'decayStep': 3, 'decayRate': 0.8, 'staircase': True}, 9],
         [{'kind': 'MultiStep', 'milestones': [2, 5], 'gamma': 0.5}, 7],
         [{'kind': 'Plateau', 'options': {'monitor': 'score', 'mode': 'max', 'patience': 0, 'factor': 0.5}}, 20]]},
     'lrs': [0.1], 'iterationsPerEpoch': 4, 'iterations': 40,
     'scores': [0.5, 0.6, 0.7, 0.8, 0.85, 0.86, 0.9, 0.9, 0.9, 0.95]},
    {'name': 'cosine', 'reference': 'torch', 'schedule': {'kind': 'Cosine', 'period': 10, 'minLr': 0.001},
     'torch': {'class': 'CosineAnnealingLR', 'T_max': 10, 'eta_min': 0.001},
     'lrs': [0.1], 'iterationsPerEpoch': 5, 'iterations': 35},
    {'name': 'cosine warm restarts', 'reference': 'torch',
     'schedule': {'kind': 'Cosine', 'period': 7, 'minLr': 0.0, 'warmRestarts': True},
     'torch': {'class': 'CosineAnnealingWarmRestarts', 'T_0': 7, 'T_mult': 1, 'eta_min': 0.0},
     'lrs': [0.1], 'iterationsPerEpoch': 5, 'iterations': 35},
    {'name': 'cosine warm restarts growing periods', 'reference': 'torch',
     'schedule': {'kind': 'Cosine', 'period': 3, 'minLr': 0.01, 'warmRestarts': True, 'periodMultiplier': 2},
     'torch': {'class': 'CosineAnnealingWarmRestarts', 'T_0': 3, 'T_mult': 2, 'eta_min': 0.01},
     'lrs': [0.1], 'iterationsPerEpoch': 5, 'iterations': 50},
]


def main():
    out = {
        'problem': {'X': enc(X), 'Y': enc(Y), 'init': {n: enc(INIT[n]) for n in ORDER}, 'order': ORDER},
        'optimizers': [run_optimizer(c) for c in OPTIMIZER_CASES],
        'clip': {'grads': {n: enc(g) for n, g in CLIP_GRADS.items()}, 'shapes': CLIP_SHAPES,
                 'cases': [run_clip(c) for c in CLIP_CASES]},
        'schedules': [run_schedule(c) for c in SCHEDULE_CASES],
    }
    with open(OUT, 'w') as f:
        json.dump(out, f, separators=(',', ':'))
        f.write('\n')
    print(f'wrote {OUT} ({os.path.getsize(OUT)} bytes)')


if __name__ == '__main__':
    main()
