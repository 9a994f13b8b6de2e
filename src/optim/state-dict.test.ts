// Optimizer state round trips through files (safetensors + JSON) and restores training exactly;
// state dicts that do not fit are refused with clear errors, changing nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadSafetensors, saveSafetensors } from '../interop/safetensors.js';
import type { Tensor } from '../tensor/index.js';
import * as torch from '../tensor/index.js';
import { Adam, type Optimizer, type OptimizerStateDict, Plateau, SequentialSchedule, SGD, Warmup } from './index.js';
import { buildOptimizer, type OptimizerCase, Problem } from './optim-golden.fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'tszoo-optim-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const ITERATIONS_PER_EPOCH = 5;

/** Warm-up then Plateau, tuned so that both stages and a few reductions happen within 40 steps. */
function seedLikeSchedule(): SequentialSchedule {
  return new SequentialSchedule(ITERATIONS_PER_EPOCH)
    .add(new Warmup(0.002), 2 * ITERATIONS_PER_EPOCH)
    .add(new Plateau({ monitor: 'loss', patience: 0, factor: 0.5, epsilon: 0.7 }), 6 * ITERATIONS_PER_EPOCH);
}

type Config = Pick<OptimizerCase, 'optimizer' | 'options' | 'groups'> & { schedule?: boolean };
const CONFIGS: Record<string, Config> = {
  'Adam (amsgrad) with warm-up then Plateau': {
    optimizer: 'Adam',
    options: { lr: 0.01, amsgrad: true, weightDecay: 0.01 },
    schedule: true,
  },
  'AdamW in two groups': {
    optimizer: 'AdamW',
    options: { lr: 0.02 },
    groups: [{ params: ['w', 'v'], lr: 0.05 }, { params: ['q', 'u'] }],
  },
  'SGD (nesterov) with a schedule': {
    optimizer: 'SGD',
    options: { lr: 0.01, momentum: 0.9, nesterov: true },
    schedule: true,
  },
  'RMSprop (centered, momentum)': { optimizer: 'RMSprop', options: { lr: 0.003, centered: true, momentum: 0.5 } },
  'Adagrad (lr decay)': { optimizer: 'Adagrad', options: { lr: 0.1, lrDecay: 0.01 } },
};

function makeOptimizer(config: Config, problem: Problem): Optimizer {
  return buildOptimizer(config, problem, config.schedule ? { schedule: seedLikeSchedule() } : {});
}

/** Steps `from..to` (1-based) of a training loop that ends an epoch every 5 steps with its last loss. */
function train(problem: Problem, optimizer: Optimizer, from: number, to: number): void {
  for (let k = from; k <= to; k++) {
    const loss = torch.scope(() => {
      optimizer.zeroGrad();
      const l = problem.loss();
      l.backward();
      optimizer.step();
      return l.item() as number;
    });
    if (k % ITERATIONS_PER_EPOCH === 0) optimizer.endEpoch({ loss });
  }
}

function values(problem: Problem): number[][] {
  return problem.ordered.map((p) => Array.from(p.data() as Float64Array));
}

describe('optimizer state round trip through safetensors + JSON', () => {
  for (const [name, config] of Object.entries(CONFIGS)) {
    it(`${name}: 20 steps, save, load into a new optimizer, 20 more == 40 steps straight (bitwise)`, () => {
      const straight = new Problem();
      const straightOptimizer = makeOptimizer(config, straight);
      train(straight, straightOptimizer, 1, 40);

      // first run: 20 steps, then a checkpoint of the weights and the optimizer
      const first = new Problem();
      const firstOptimizer = makeOptimizer(config, first);
      train(first, firstOptimizer, 1, 20);
      const { tensors, meta } = firstOptimizer.stateDict();
      saveSafetensors(join(dir, 'optim.safetensors'), tensors);
      writeFileSync(join(dir, 'optim.json'), JSON.stringify(meta));
      saveSafetensors(join(dir, 'weights.safetensors'), first.params);

      // second run: fresh objects, restored from the files, 20 more steps
      const second = new Problem();
      const secondOptimizer = makeOptimizer(config, second);
      torch.scope(() => {
        const weights = loadSafetensors(join(dir, 'weights.safetensors')).tensors;
        torch.noGrad(() => {
          for (const [n, p] of Object.entries(second.params)) p.copy_(weights[n] as Tensor);
        });
        secondOptimizer.loadStateDict({
          tensors: loadSafetensors(join(dir, 'optim.safetensors')).tensors,
          meta: JSON.parse(readFileSync(join(dir, 'optim.json'), 'utf8')),
        });
      }); // the loaded tensors are disposed here: the optimizer must hold its own copies
      assert.deepEqual(secondOptimizer.lrs, firstOptimizer.lrs);
      assert.equal(secondOptimizer.iteration, 20);
      assert.equal(secondOptimizer.epoch, 5);
      train(second, secondOptimizer, 21, 40);

      // bit for bit: both runs do the same float64 steps in one process; a difference is lost state
      assert.deepEqual(values(second), values(straight));
      assert.deepEqual(secondOptimizer.lrs, straightOptimizer.lrs);
      assert.deepEqual(secondOptimizer.stateDict().meta, straightOptimizer.stateDict().meta);
      if (config.schedule) assert.ok(straightOptimizer.lr < 0.01 + 0.002 * 10, 'Plateau reduced the rate');
      for (const o of [straightOptimizer, firstOptimizer, secondOptimizer]) o.dispose();
      for (const p of [straight, first, second]) p.dispose();
    });
  }
});

describe('loadStateDict refuses what does not fit', () => {
  /** An Adam over the problem, trained 3 steps, and its state dict. */
  function trainedAdam(): { problem: Problem; optimizer: Optimizer; state: OptimizerStateDict } {
    const problem = new Problem();
    const optimizer = new Adam(problem.ordered, { lr: 0.01 });
    train(problem, optimizer, 1, 3);
    return { problem, optimizer, state: optimizer.stateDict() };
  }

  function withTensors(state: OptimizerStateDict, change: (t: Record<string, Tensor>) => void): OptimizerStateDict {
    const tensors = { ...state.tensors };
    change(tensors);
    return { tensors, meta: state.meta };
  }

  it('names the tensor, the parameter and both shapes when a state tensor has the wrong shape', () => {
    const { problem, optimizer, state } = trainedAdam();
    torch.scope(() => {
      const bad = withTensors(state, (t) => {
        t['state.0.exp_avg'] = torch.zeros([2, 2], { dtype: 'float64' });
      });
      assert.throws(
        () => optimizer.loadStateDict(bad),
        /Adam\.loadStateDict: tensor 'state\.0\.exp_avg' has shape \[2, 2\], parameter 0 has \[3, 4\]/,
      );
    });
    optimizer.dispose();
    problem.dispose();
  });

  it('refuses parameters of other shapes, another count of parameters or of groups', () => {
    const { problem, optimizer, state } = trainedAdam();
    torch.scope(() => {
      const reshaped = [torch.zeros([4, 3], { dtype: 'float64' }), ...problem.ordered.slice(1)];
      assert.throws(
        () => new Adam(reshaped).loadStateDict(state),
        /parameter 0 has shape \[4, 3\], the state dict was saved for \[3, 4\]/,
      );
      assert.throws(
        () => new Adam(problem.ordered.slice(0, 3)).loadStateDict(state),
        /parameter group 0 has 3 parameters, the state dict has 4/,
      );
      const twoGroups = [{ params: problem.ordered.slice(0, 2) }, { params: problem.ordered.slice(2) }];
      assert.throws(
        () => new Adam(twoGroups).loadStateDict(state),
        /the state dict has 1 parameter groups, this optimizer has 2/,
      );
    });
    optimizer.dispose();
    problem.dispose();
  });

  it('refuses the state of another kind of optimizer', () => {
    const { problem, optimizer, state } = trainedAdam();
    const sgd = new SGD(problem.ordered, { lr: 0.1, momentum: 0.9 });
    assert.throws(
      () => sgd.loadStateDict(state),
      /SGD\.loadStateDict: the state dict was saved by Adam, this optimizer is SGD/,
    );
    assert.throws(() => optimizer.loadStateDict(sgd.stateDict()), /saved by SGD, this optimizer is Adam/);
    optimizer.dispose();
    problem.dispose();
  });

  it('refuses missing and unknown tensors, foreign meta and a schedule mismatch', () => {
    const { problem, optimizer, state } = trainedAdam();
    const missing = withTensors(state, (t) => {
      delete t['state.1.exp_avg_sq'];
    });
    assert.throws(() => optimizer.loadStateDict(missing), /tensor 'state\.1\.exp_avg_sq' is missing/);
    torch.scope(() => {
      const unknown = withTensors(state, (t) => {
        t['state.0.momentum_buffer'] = torch.zeros([3, 4], { dtype: 'float64' });
      });
      assert.throws(() => optimizer.loadStateDict(unknown), /unexpected tensor 'state\.0\.momentum_buffer'/);
      const stray = withTensors(state, (t) => {
        t.exp_avg = torch.zeros([3, 4], { dtype: 'float64' });
      });
      assert.throws(
        () => optimizer.loadStateDict(stray),
        /unexpected tensor 'exp_avg' \(expected state\.<index>\.<name>\)/,
      );
    });
    assert.throws(
      () => optimizer.loadStateDict({ tensors: {}, meta: { epoch: 3 } }),
      /meta is not a tszoo optimizer state/,
    );
    const amsgrad = { ...state.meta, groups: state.meta.groups.map((g) => ({ ...g, amsgrad: true })) };
    assert.throws(
      () => optimizer.loadStateDict({ tensors: state.tensors, meta: amsgrad }),
      /tensor 'state\.0\.max_exp_avg_sq' is missing/,
    );
    const scheduled = new Adam(problem.ordered, { lr: 0.01, schedule: seedLikeSchedule() });
    assert.throws(() => scheduled.loadStateDict(state), /has no schedule state, this optimizer has a schedule/);
    optimizer.dispose();
    problem.dispose();
  });

  it('changes nothing when it refuses', () => {
    const { problem, optimizer, state } = trainedAdam();
    const before = JSON.stringify(optimizer.stateDict().meta);
    const moment = optimizer.stateOf(problem.params.w as Tensor)?.tensors.exp_avg?.toArray();
    const badMeta = { ...state.meta, groups: state.meta.groups.map((g) => ({ ...g, lr: -1 })) };
    assert.throws(() => optimizer.loadStateDict({ tensors: state.tensors, meta: badMeta }), /lr must be >= 0/);
    assert.equal(JSON.stringify(optimizer.stateDict().meta), before);
    assert.deepEqual(optimizer.stateOf(problem.params.w as Tensor)?.tensors.exp_avg?.toArray(), moment);
    optimizer.dispose();
    problem.dispose();
  });

  it("casts state tensors to the parameter's dtype, as PyTorch does", () => {
    const { problem, optimizer, state } = trainedAdam();
    torch.scope(() => {
      const asFloat32 = withTensors(state, (t) => {
        for (const k of Object.keys(t)) t[k] = (t[k] as Tensor).float();
      });
      const other = new Adam(problem.ordered, { lr: 0.01 });
      other.loadStateDict(asFloat32);
      assert.equal(other.stateOf(problem.params.w as Tensor)?.tensors.exp_avg?.dtype, 'float64');
      other.dispose();
    });
    optimizer.dispose();
    problem.dispose();
  });
});
