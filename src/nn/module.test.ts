// Module semantics: names (against torch.nn, from test/golden/nn.json), state dicts, freezing, modes,
// dtype conversion, scopes, regularizers, and a small CNN that learns.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as torch from '../tensor/index.js';
import { noGrad, scope, type Tensor } from '../tensor/index.js';
import {
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  CrossEntropyLoss,
  Dropout,
  Embedding,
  Flatten,
  Linear,
  LSTM,
  l1,
  l1l2,
  l2,
  MaxPool2d,
  Module,
  ReLU,
  regularizationLoss,
  Sequential,
} from './index.js';
import { loadGolden } from './testing.js';

const golden = loadGolden().module.net;

/** The model of make_nn_goldens.py's Net, built from tszoo layers. */
class Net extends Module {
  readonly features = this.registerModule(
    'features',
    new Sequential(
      new Conv2d(1, 4, 3, { padding: 1 }),
      new BatchNorm2d(4),
      new ReLU(),
      new MaxPool2d(2),
      new Conv2d(4, 4, 3, { bias: false }),
      new BatchNorm2d(4, { trackRunningStats: false }),
    ),
  );
  readonly encoder = this.registerModule('encoder', new LSTM(4, 3, { numLayers: 2, bidirectional: true }));
  readonly embed = this.registerModule('embed', new Embedding(10, 4, { paddingIdx: 0 }));
  readonly head = this.registerModule(
    'head',
    new Sequential(
      new Flatten(),
      new Dropout(0.1),
      new Linear(16, 2, { bias: false }),
      new BatchNorm1d(2, { affine: false }),
    ),
  );

  forward(x: Tensor): Tensor {
    return torch.scope(() => this.head.forward(this.features.forward(x)));
  }
}

/** Copies of every parameter's values, by name. */
function snapshot(m: Module): Map<string, number[]> {
  return new Map(m.namedParameters().map(([n, p]) => [n, p.toArray()]));
}

/** Plain SGD written here (src/optim is separate): p -= lr * grad, then clears the gradients. */
function sgdStep(m: Module, lr: number): void {
  noGrad(() =>
    scope(() => {
      for (const p of m.parameters()) {
        const g = p.grad;
        if (g) p.sub_(g, { alpha: lr });
      }
    }),
  );
  m.zeroGrad();
}

/** Runs fn with a fresh module and disposes the module afterwards; fn runs in a scope. */
function using<M extends Module, T>(make: () => M, fn: (m: M) => T): T {
  const m = make();
  try {
    return scope(() => fn(m));
  } finally {
    m.dispose();
  }
}

const sameObjects = (a: Tensor[], b: Tensor[]) => a.length === b.length && a.every((t, i) => t === b[i]);

const shapes = (entries: [string, Tensor][]) => entries.map(([n, t]) => [n, t.shape]);

describe('Module', () => {
  torch.manualSeed(0);
  const before = torch.memory().tensors;

  it('names parameters, buffers and modules as torch.nn does, in the same order', () =>
    using(
      () => new Net(),
      (net) => {
        assert.deepEqual(shapes(net.namedParameters()), golden.namedParameters);
        assert.deepEqual(shapes(net.namedBuffers()), golden.namedBuffers);
        assert.deepEqual(
          net.namedModules().map(([n, m]) => [n, m.constructor.name]),
          golden.namedModules,
        );
        assert.deepEqual(shapes(Object.entries(net.stateDict())), golden.stateDict);
      },
    ));

  it('apply visits children before their parent, as torch.nn does', () =>
    using(
      () => new Net(),
      (net) => {
        const order: string[] = [];
        net.apply((m) => order.push(m.constructor.name));
        assert.deepEqual(order, golden.applyOrder);
      },
    ));

  it('getSubmodule, children and Sequential indexing', () =>
    using(
      () => new Net(),
      (net) => {
        assert.equal(net.getSubmodule('features.4'), net.features.at(4));
        assert.equal(net.getSubmodule(''), net);
        assert.equal(net.head.at(-1), net.head.at(3));
        assert.equal(net.head.length, 4);
        assert.deepEqual(
          net.namedChildren().map(([n]) => n),
          ['features', 'encoder', 'embed', 'head'],
        );
        assert.throws(() => net.getSubmodule('features.9'), /no submodule 'features.9'/);
        assert.throws(() => net.head.at(4), RangeError);
      },
    ));

  it('rejects duplicate and dotted names', () => {
    class Bad extends Module {
      constructor(name: string, twice: boolean) {
        super();
        this.registerModule(name, new ReLU());
        if (twice) this.registerBuffer(name, null);
      }
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    assert.throws(() => new Bad('a.b', false), /invalid name 'a.b'/);
    assert.throws(() => new Bad('act', true), /'act' is already registered/);
  });

  it('stateDict shares memory with the module and round-trips through loadStateDict', () => {
    const a = new Net();
    const b = new Net();
    try {
      scope(() => {
        const sd = a.stateDict();
        assert.ok(sd['features.0.weight']?.sharesStorageWith(a.features.at(0).parameters()[0] as Tensor));
        const objects = b.parameters();
        assert.deepEqual(b.loadStateDict(sd), { missingKeys: [], unexpectedKeys: [] });
        assert.ok(sameObjects(b.parameters(), objects), 'same tensors, values copied in');
        assert.deepEqual(snapshot(b), snapshot(a));
        for (const [name, t] of b.namedBuffers()) assert.deepEqual(t.toArray(), sd[name]?.toArray(), name);
        b.eval();
        a.eval();
        const x = torch.randn([2, 1, 8, 8]);
        // bit for bit: equal weights, the same input and shapes, so literally the same computation
        assert.ok(torch.equal(b.forward(x), a.forward(x)));
      });
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('loadStateDict (strict) names missing, unexpected and mis-shaped keys, and loads nothing', () =>
    using(
      () => new Net(),
      (net) => {
        const values = snapshot(net);
        const sd = net.stateDict();
        const replacement = Object.fromEntries(Object.entries(sd).map(([k, t]) => [k, torch.zerosLike(t)]));
        delete replacement['head.2.weight'];
        replacement['head.9.weight'] = torch.zeros([2, 16]);
        replacement['features.0.bias'] = torch.zeros([5]);
        assert.throws(
          () => net.loadStateDict(replacement),
          (e: Error) =>
            e.message.includes('missing keys: head.2.weight') &&
            e.message.includes('unexpected keys: head.9.weight') &&
            e.message.includes('features.0.bias: checkpoint [5] vs model [4]'),
        );
        assert.deepEqual(snapshot(net), values, 'nothing was copied');

        // non-strict: mis-shaped keys are still an error
        assert.throws(() => net.loadStateDict(replacement, { strict: false }), /shape mismatch: features\.0\.bias/);
        replacement['features.0.bias'] = torch.zeros([4]);
        const result = net.loadStateDict(replacement, { strict: false });
        assert.deepEqual(result, { missingKeys: ['head.2.weight'], unexpectedKeys: ['head.9.weight'] });
        for (const [name, v] of snapshot(net)) {
          if (name === 'head.2.weight') assert.deepEqual(v, values.get(name), 'a missing key keeps its value');
          else
            assert.ok(
              v.every((x) => x === 0),
              `${name} was loaded`,
            );
        }
      },
    ));

  const mlp = () =>
    new Sequential(
      new Linear(4, 8, { dtype: 'float64' }),
      new ReLU(),
      new Linear(8, 8, { dtype: 'float64' }),
      new ReLU(),
      new Linear(8, 2, { dtype: 'float64' }),
    );

  /** One forward/backward/SGD step on random data. */
  const trainStep = (m: Module) =>
    scope(() => {
      const x = torch.randn([16, 4], { dtype: 'float64' });
      torch.mseLoss(m.forward(x), torch.randn([16, 2], { dtype: 'float64' })).backward();
      sgdStep(m, 0.1);
    });

  const trainable = (m: Module) =>
    m
      .namedParameters()
      .filter(([, p]) => p.requiresGrad)
      .map(([n]) => n);

  it('freezeUpTo trains only later parameters; frozen ones stay bit for bit', () =>
    using(mlp, (m) => {
      m.freezeUpTo('2');
      assert.deepEqual(trainable(m), ['4.weight', '4.bias']);
      assert.equal(m.numParameters({ trainableOnly: true }), 8 * 2 + 2);
      const values = snapshot(m);
      trainStep(m);
      for (const [name, v] of snapshot(m)) {
        if (name.startsWith('4.')) assert.notDeepEqual(v, values.get(name), `${name} trains`);
        else assert.deepEqual(v, values.get(name), `${name} is frozen`);
      }
      assert.throws(() => m.freezeUpTo('7'), /no parameter or module named '7'/);
      m.freeze(['4.bias']);
      m.freezeUpTo('0');
      assert.deepEqual(trainable(m), ['4.weight'], 'later parameters keep their setting (BigDL only freezes)');
    }));

  it('freeze and unfreeze by module or parameter name, or all', () =>
    using(mlp, (m) => {
      m.freeze();
      assert.deepEqual(trainable(m), []);
      m.unfreeze(['2']);
      assert.deepEqual(trainable(m), ['2.weight', '2.bias']);
      m.freeze(['2.weight']);
      assert.deepEqual(trainable(m), ['2.bias']);
      m.unfreeze();
      m.freeze(['0', '4.bias']);
      assert.deepEqual(trainable(m), ['2.weight', '2.bias', '4.weight']);
      const values = snapshot(m);
      trainStep(m);
      const after = snapshot(m);
      for (const name of ['0.weight', '0.bias', '4.bias']) assert.deepEqual(after.get(name), values.get(name), name);
      for (const name of ['2.weight', '2.bias', '4.weight'])
        assert.notDeepEqual(after.get(name), values.get(name), name);
      assert.throws(() => m.freeze(['5']), /no parameter or module named '5'/);
    }));

  it('train() and eval() reach every descendant', () =>
    using(
      () => new Net(),
      (net) => {
        const modes = () => net.modules().map((m) => m.training);
        assert.ok(modes().every(Boolean));
        net.eval();
        assert.ok(modes().every((t) => !t));
        net.train();
        assert.ok(modes().every(Boolean));
        net.head.train(false);
        for (const [name, m] of net.namedModules()) assert.equal(m.training, !name.startsWith('head'), name);
      },
    ));

  it('eval mode: dropout is the identity and batch norm keeps its running statistics', () =>
    using(
      () => new Sequential(new BatchNorm1d(6), new Dropout(0.5)),
      (m) => {
        const x = torch.randn([32, 6]).add(3);
        const stats = () => m.namedBuffers().map(([, b]) => b.toArray());
        m.forward(x);
        const trained = stats();
        assert.notDeepEqual(trained[0], Array(6).fill(0), 'training updates the running mean');
        m.eval();
        const bn = m.at(0) as BatchNorm1d;
        const expected = x
          .sub(bn.runningMean as Tensor)
          .div((bn.runningVar as Tensor).add(bn.eps).sqrt())
          .mul(bn.weight as Tensor)
          .add(bn.bias as Tensor);
        assert.ok(torch.allclose(m.forward(x), expected, { rtol: 1e-5, atol: 1e-6 }));
        assert.deepEqual(stats(), trained, 'running statistics unchanged in eval mode');
        m.train();
        const y = m.forward(torch.ones([32, 6]).add(x));
        assert.ok((y.eq(0).sum().item() as number) > 0, 'dropout zeroes elements in training');
      },
    ));

  it("to('float64') converts in place: the same Tensor objects, values and requiresGrad", () =>
    using(
      () => new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2), new Flatten(), new Linear(8, 3)),
      (m) => {
        const objects = [...m.parameters(), ...m.buffers()];
        const values = objects.map((t) => t.toArray());
        m.to('float64');
        assert.ok(sameObjects([...m.parameters(), ...m.buffers()], objects));
        for (const [name, t] of [...m.namedParameters(), ...m.namedBuffers()]) {
          assert.equal(t.dtype, name.endsWith('num_batches_tracked') ? 'int64' : 'float64', name);
        }
        assert.deepEqual(
          objects.map((t) => t.toArray()),
          values,
        );
        assert.ok(m.parameters().every((p) => p.requiresGrad && p.isLeaf));
        m.forward(torch.randn([2, 1, 4, 4], { dtype: 'float64' }))
          .sum()
          .backward();
        for (const p of m.parameters()) assert.equal(p.grad?.dtype, 'float64');
        m.zeroGrad();
        m.to('float32');
        assert.ok(m.parameters().every((p) => p.dtype === 'float32'));
      },
    ));

  it('parameters survive the scope they were created in', () => {
    const tensorsBefore = torch.memory().tensors;
    const m = scope(() => {
      const made = new Linear(3, 2);
      made.forward(torch.ones([1, 3]));
      return made;
    });
    try {
      assert.equal(torch.memory().tensors, tensorsBefore + 2, 'weight and bias only');
      assert.ok(m.parameters().every((p) => !p.isDisposed));
      // exact in any kernel: a zero input makes every product 0, and bias + 0 is the bias
      scope(() => assert.deepEqual(m.forward(torch.zeros([1, 3])).toArray(), m.bias?.toArray()));
    } finally {
      m.dispose();
    }
  });

  it('regularizationLoss: gradient += l2 * w and l1 * sign(w), as BigDL', () =>
    using(
      () =>
        new Sequential(
          new Conv2d(1, 2, 3, { dtype: 'float64', wRegularizer: l1l2(0.01, 0.02) }),
          new Flatten(),
          new Linear(8, 3, { dtype: 'float64', wRegularizer: l2(0.1), bRegularizer: l1(0.05) }),
          new Linear(3, 1, { dtype: 'float64' }),
        ),
      (m) => {
        const conv = m.at(0) as Conv2d;
        const fc = m.at(2) as Linear;
        assert.equal((m.at(3) as Linear).regularizationLoss(), null, 'no regularizer, no term');
        const bias = fc.bias as Tensor;
        const penalty = [conv.weight.abs().sum().mul(0.01), conv.weight.pow(2).sum().mul(0.01)]
          .concat([fc.weight.pow(2).sum().mul(0.05), bias.abs().sum().mul(0.05)])
          .reduce((a, b) => a.add(b))
          .item() as number;
        const loss = regularizationLoss(m);
        assert.ok(Math.abs((loss.item() as number) - penalty) <= 1e-12 * penalty);
        loss.backward();
        const expected: [Tensor, Tensor | null, Tensor][] = [
          [conv.weight, conv.weight.sign().mul(0.01).add(conv.weight.mul(0.02)), conv.weight],
          [fc.weight, fc.weight.mul(0.1), fc.weight],
          [bias, bias.sign().mul(0.05), bias],
          [(m.at(3) as Linear).weight, null, fc.weight],
        ];
        for (const [p, want] of expected) {
          if (want === null) assert.equal(p.grad, null);
          else assert.ok(torch.allclose(p.grad as Tensor, want, { rtol: 1e-12, atol: 1e-15 }));
        }
        assert.equal(conv.bias?.grad, null, 'conv bias has no regularizer');
        assert.throws(() => l1l2(-1, 0), RangeError);
      },
    ));

  it('regularizationLoss of a model without regularizers is 0', () =>
    using(mlp, (m) => {
      assert.equal(regularizationLoss(m).item(), 0);
    }));

  it('a small CNN learns left vs right (bright square in a 16x16 image): mean loss < 0.05 within 300 steps', () => {
    // Data from a seeded PRNG (mulberry32): noise U(0, 0.3) and a 4x4 square of ones, fully in one half.
    let seed = 42;
    const rand = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    };
    const makeBatch = (n: number): [Tensor, Tensor] => {
      const pixels = new Float32Array(n * 256);
      const labels: number[] = [];
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < 256; j++) pixels[i * 256 + j] = 0.3 * rand();
        const right = rand() < 0.5 ? 1 : 0;
        const row = Math.floor(rand() * 13);
        const col = right * 8 + Math.floor(rand() * 5);
        for (let r = row; r < row + 4; r++) for (let c = col; c < col + 4; c++) pixels[i * 256 + r * 16 + c] = 1;
        labels.push(right);
      }
      return [torch.tensor(pixels, { shape: [n, 1, 16, 16] }), torch.tensor(labels, { dtype: 'int64' })];
    };

    // Stated goal: the mean loss of the last 10 steps falls below 0.05 within 300 steps of SGD (lr 0.1).
    const TARGET_LOSS = 0.05;
    const MAX_STEPS = 300;
    torch.manualSeed(0);
    using(
      () =>
        new Sequential(
          new Conv2d(1, 4, 3, { padding: 1 }),
          new ReLU(),
          new MaxPool2d(4),
          new Flatten(),
          new Linear(64, 2),
        ),
      (model) => {
        const criterion = new CrossEntropyLoss();
        const losses: number[] = [];
        const recent = () => losses.slice(-10).reduce((a, b) => a + b, 0) / 10;
        while (losses.length < MAX_STEPS && (losses.length < 10 || recent() > TARGET_LOSS)) {
          const loss = scope(() => {
            const [x, y] = makeBatch(32);
            const l = criterion.forward(model.forward(x), y);
            l.backward();
            sgdStep(model, 0.1);
            return l.item() as number;
          });
          losses.push(loss);
        }
        const steps = losses.length;
        assert.ok(recent() <= TARGET_LOSS, `mean loss of the last 10 steps ${recent()} after ${steps} steps`);
        assert.ok((losses[0] as number) > 0.5, `starts from chance (${losses[0]})`);
        const [x, y] = makeBatch(200);
        const predicted = noGrad(() => model.eval().forward(x).argmax(1));
        const accuracy = (predicted.eq(y).sum().item() as number) / 200;
        assert.ok(accuracy >= 0.97, `accuracy ${accuracy} on fresh images after ${steps} steps`);
      },
    );
  });

  it('frees every tensor', () => {
    assert.equal(torch.memory().tensors, before);
  });
});
