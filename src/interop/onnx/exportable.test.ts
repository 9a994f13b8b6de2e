import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { torch } from '../../index.js';
import { Conv2d, Module, Sequential } from '../../nn/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import { type EmitContext, type OnnxExportable, registerOnnxExporter } from './export/emitter.js';
import { exportOnnxBytes } from './export.js';
import { importOnnxSync } from './import.js';
import { maxAbsDiff } from './ort.testutil.js';

class Swish extends Module implements OnnxExportable {
  forward(x: Tensor): Tensor {
    return torch.scope(() => x.mul(x.sigmoid()));
  }

  toOnnx(x: string, ctx: EmitContext): string {
    return ctx.b.node('Mul', [x, ctx.b.node('Sigmoid', [x], ctx.name('sigmoid'))], ctx.path || 'swish');
  }
}

/** Inherits Swish's toOnnx. */
class NamedSwish extends Swish {}

/** Doubles; exports as Add through its method, as Mul through the exporter registered for the class. */
class Twice extends Module implements OnnxExportable {
  forward(x: Tensor): Tensor {
    return torch.scope(() => x.add(x));
  }

  toOnnx(x: string, ctx: EmitContext): string {
    return ctx.b.node('Add', [x, x], ctx.path || 'twice');
  }
}
registerOnnxExporter(Twice, (_m, x, ctx) => ctx.b.node('Mul', [x, ctx.b.scalar('two', 2)], ctx.path || 'twice'));

/** A subclass's own method is nearer than the exporter registered for its base class. */
class TwiceAgain extends Twice {
  override toOnnx(x: string, ctx: EmitContext): string {
    return ctx.b.node('Add', [x, x], ctx.path || 'twice');
  }
}

class Opaque extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

const opsOf = (model: Module) => {
  const graph = importOnnxSync(exportOnnxBytes(model.eval(), { inputShape: [2, 4, 4] }));
  const ops = graph.nodes.map((n) => n.label.opType);
  graph.dispose();
  return ops;
};

describe('modules that export themselves (OnnxExportable)', () => {
  it("export through their toOnnx method, inherited by subclasses, and re-import with the module's outputs", () => {
    torch.manualSeed(2);
    const model = new Sequential(new Conv2d(2, 3, 3, { padding: 1 }), new Swish(), new NamedSwish()).eval();
    const graph = importOnnxSync(exportOnnxBytes(model, { inputShape: [2, 4, 4] })).eval();
    assert.deepEqual(
      graph.nodes.map((n) => n.label.name),
      ['0', '1.sigmoid', '1', '2.sigmoid', '2'],
    );
    const x = torch.keep(torch.randn([2, 2, 4, 4]));
    const [want, got] = torch.noGrad(() => torch.scope(() => [model.forward(x).toArray(), graph.forward(x).toArray()]));
    assert.ok(maxAbsDiff(want as number[], got as number[]) < 1e-6);
    graph.dispose();
    model.dispose();
    x.dispose();
  });

  it('take a registered exporter of the same class first, and the nearest class first', () => {
    assert.deepEqual(opsOf(new Sequential(new Twice())), ['Constant', 'Mul']);
    assert.deepEqual(opsOf(new Sequential(new TwiceAgain())), ['Add']);
  });

  it('a module with neither is an error naming it', () => {
    assert.throws(() => opsOf(new Sequential(new Opaque())), /no exporter for module '0' \(Opaque\)/);
  });
});
