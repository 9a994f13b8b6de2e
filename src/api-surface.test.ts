import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import * as root from './index.js';

/**
 * The public API as a user meets it, from the built package root: the runtime exports of
 * dist/src/index.js walked through their namespaces (torch, nn, nn.functional, data, pipeline.metrics,
 * ...), and the same tree of declarations in dist/src/index.d.ts, which also holds the types.
 *
 * 1. One import path per symbol: a function, class or object (or a type's declaration) reachable under
 *    two paths fails.
 * 2. No two names of one namespace that differ only by case (the `HFlip` transform beside the `hflip`
 *    op): among values, and among types. A type may share a value's name up to case (`RocCurve` is what
 *    `rocCurve()` returns; the compiler tells them apart). The pairs below are deliberate.
 */

/** Values whose names differ only by case, on purpose: `namespace: Name/name` -> why. */
const CASE_PAIRS: Readonly<Record<string, string>> = {
  'torch: Tensor/tensor': "PyTorch's own pair: the class torch.Tensor and the factory torch.tensor(data)",
  'optim: Adagrad/adagrad': 'an optimizer class and its factory (the Estimator supplies the parameters later)',
  'optim: Adam/adam': 'an optimizer class and its factory',
  'optim: AdamW/adamW': 'an optimizer class and its factory',
  'optim: RMSprop/rmsprop': 'an optimizer class and its factory',
  'optim: SGD/sgd': 'an optimizer class and its factory',
  'models: InceptionV3/inceptionV3': "torchvision's class and builder (Inception3 / inception_v3)",
  'models: MobileNetV2/mobilenetV2': "torchvision's class and builder (MobileNetV2 / mobilenet_v2)",
};

const isNamespace = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && Object.prototype.toString.call(v) === '[object Module]';

/** Paths under which each object is exported, and the case-only name clashes of each namespace. */
function walkValues(ns: Record<string, unknown>, path: string, paths: Map<unknown, string[]>, clashes: string[]): void {
  const byLower = new Map<string, string>();
  for (const name of Object.keys(ns).sort()) {
    const value = ns[name];
    const p = path ? `${path}.${name}` : name;
    const other = byLower.get(name.toLowerCase());
    if (other !== undefined) clashes.push(`${path || '(root)'}: ${[other, name].sort().join('/')}`);
    byLower.set(name.toLowerCase(), name);
    if (isNamespace(value)) {
      walkValues(value, p, paths, clashes);
    } else if ((typeof value === 'object' && value !== null) || typeof value === 'function') {
      paths.set(value, [...(paths.get(value) ?? []), p]);
    }
  }
}

/** The declaration tree of the built index.d.ts: paths per symbol, case clashes among types. */
function walkDeclarations(): { paths: Map<ts.Symbol, string[]>; typeClashes: string[]; count: number } {
  const file = fileURLToPath(new URL('./index.d.ts', import.meta.url));
  const program = ts.createProgram([file], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types: ['node'],
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  assert.ok(source, `cannot read ${file}`);
  const rootSymbol = checker.getSymbolAtLocation(source);
  assert.ok(rootSymbol, `${file} is not a module`);
  const paths = new Map<ts.Symbol, string[]>();
  const typeClashes: string[] = [];
  const isModule = (s: ts.Symbol) => (s.declarations ?? []).some((d) => ts.isSourceFile(d));
  const walk = (module: ts.Symbol, path: string) => {
    const typesByLower = new Map<string, string>();
    for (const exported of checker.getExportsOfModule(module)) {
      const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const p = path ? `${path}.${exported.name}` : exported.name;
      if (isModule(target)) {
        walk(target, p);
        continue;
      }
      paths.set(target, [...(paths.get(target) ?? []), p]);
      if (!(target.flags & ts.SymbolFlags.Value)) {
        const other = typesByLower.get(exported.name.toLowerCase());
        if (other !== undefined) typeClashes.push(`${path || '(root)'}: ${[other, exported.name].sort().join('/')}`);
        typesByLower.set(exported.name.toLowerCase(), exported.name);
      }
    }
  };
  walk(rootSymbol, '');
  return { paths, typeClashes, count: paths.size };
}

/** Path groups naming one value or declaration more than once. */
function unexpectedDuplicates(groups: string[][]): string[] {
  return groups.filter((g) => g.length > 1).map((g) => [...g].sort().join(' = '));
}

describe('public API surface (dist/src/index.js and index.d.ts)', () => {
  const valuePaths = new Map<unknown, string[]>();
  const clashes: string[] = [];
  walkValues(root as unknown as Record<string, unknown>, '', valuePaths, clashes);
  const declarations = walkDeclarations();

  it('reaches the namespaces and their members (the walks themselves work)', () => {
    const values = new Set([...valuePaths.values()].flat());
    const declared = new Set([...declarations.paths.values()].flat());
    for (const p of [
      'torch.scope',
      'torch.noGrad',
      'nn.Linear',
      'optim.Adam',
      'pipeline.saveCheckpoint',
      'importOnnx',
    ]) {
      assert.ok(values.has(p), `${p} not found by the walk of index.js`);
      assert.ok(declared.has(p), `${p} not found by the walk of index.d.ts`);
    }
    assert.ok(declared.has('pipeline.metrics.MetricValues'), 'types are walked too');
    assert.ok(values.size > 300, `only ${values.size} exported values found`);
    assert.ok(declarations.count > 500, `only ${declarations.count} declarations found`);
  });

  it('exports each function, class and object under one path only', () => {
    assert.deepEqual(unexpectedDuplicates([...valuePaths.values()]), []);
  });

  it('exports each declaration (types included) under one path only', () => {
    assert.deepEqual(unexpectedDuplicates([...declarations.paths.values()]), []);
  });

  it('has no two values in a namespace whose names differ only by case, except the listed pairs', () => {
    assert.deepEqual(
      clashes.filter((c) => !(c in CASE_PAIRS)),
      [],
    );
  });

  it('has no two types in a namespace whose names differ only by case', () => {
    assert.deepEqual(declarations.typeClashes, []);
  });

  it('lists no exception that is no longer needed', () => {
    assert.deepEqual(
      Object.keys(CASE_PAIRS).filter((c) => !clashes.includes(c)),
      [],
      'a listed case pair no longer exists: remove it from CASE_PAIRS',
    );
  });
});
