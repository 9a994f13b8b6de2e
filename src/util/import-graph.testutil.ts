/**
 * The import graph of the TypeScript sources under a folder, for layering tests: which files each
 * file imports (relative imports only, resolved to .ts paths) and the import cycles among them.
 * Type-only imports count by default: they vanish from the emitted JavaScript, but a cycle through
 * them still ties the modules together.
 *
 * Tests run from dist/, so paths are taken against the repository's src/ (see `sourceDir`).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export interface ImportGraphOptions {
  /** include *.test.ts and *.testutil.ts files (default false: library code only) */
  tests?: boolean;
  /** count `import type` / `export type` declarations and all-type named imports (default true) */
  typeImports?: boolean;
}

/** The repository's source folder `src/<path>`, whether this runs from src/ or dist/src/. */
export function sourceDir(path = ''): string {
  const here = dirname(fileURLToPath(import.meta.url)); // <root>/src/util or <root>/dist/src/util
  const root = resolve(here, '..', '..');
  const base = statSync(join(root, 'package.json'), { throwIfNoEntry: false }) ? root : resolve(root, '..');
  return join(base, 'src', path);
}

function sourceFiles(dir: string, tests: boolean, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sourceFiles(p, tests, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) {
      if (tests || !/\.test(util)?\.ts$/.test(name)) out.push(p);
    }
  }
  return out;
}

/** Whether an import or export declaration disappears from the JavaScript (only types in it). */
function typeOnly(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(node)) {
    if (node.isTypeOnly) return true;
    const c = node.exportClause;
    return c !== undefined && ts.isNamedExports(c) && c.elements.length > 0 && c.elements.every((e) => e.isTypeOnly);
  }
  const clause = node.importClause;
  if (clause === undefined) return false; // import './side-effect.js'
  if (clause.isTypeOnly) return true;
  const b = clause.namedBindings;
  return (
    clause.name === undefined &&
    b !== undefined &&
    ts.isNamedImports(b) &&
    b.elements.length > 0 &&
    b.elements.every((e) => e.isTypeOnly)
  );
}

/** The relative module specifiers a file imports or re-exports (dynamic `import('...')` included). */
function specifiers(file: string, typeImports: boolean): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const out: string[] = [];
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      if (ts.isStringLiteral(node.moduleSpecifier) && (typeImports || !typeOnly(node))) {
        out.push(node.moduleSpecifier.text);
      }
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      out.push(node.arguments[0].text);
    } else if (typeImports && ts.isImportTypeNode(node)) {
      const arg = node.argument;
      if (ts.isLiteralTypeNode(arg) && ts.isStringLiteral(arg.literal)) out.push(arg.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out.filter((s) => s.startsWith('.'));
}

/**
 * file -> the files it imports, for every .ts file under `dir` (absolute paths). Imports leaving
 * `dir` are kept, so that a test can check where a layer reaches.
 */
export function importGraph(dir: string, options: ImportGraphOptions = {}): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(resolve(dir), options.tests ?? false)) {
    const targets = specifiers(file, options.typeImports ?? true).map((s) => {
      const target = resolve(dirname(file), s);
      return target.endsWith('.js') ? `${target.slice(0, -3)}.ts` : target;
    });
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/**
 * The import cycles among the .ts files under `dir`: one per strongly connected component of the
 * import graph (a file importing itself included), each as a path of files relative to `dir` that
 * starts and ends at the same file, e.g. ['a.ts', 'b.ts', 'a.ts']. Empty when there are none.
 *
 * @example
 * ```ts
 * assert.deepEqual(importCycles(sourceDir('interop')), []);
 * ```
 */
export function importCycles(dir: string, options: ImportGraphOptions = {}): string[][] {
  const graph = importGraph(dir, options);
  const edges = (f: string) => (graph.get(f) ?? []).filter((t) => graph.has(t));
  // Tarjan's strongly connected components.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const connect = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v) as number);
    stack.push(v);
    onStack.add(v);
    for (const w of edges(v)) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || edges(v).includes(v)) components.push(component);
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) connect(v);
  return components
    .map((component) => cycleThrough(component, edges).map((f) => relative(dir, f)))
    .sort((a, b) => (a[0] as string).localeCompare(b[0] as string));
}

/** A shortest cycle from the component's first file (in path order) back to itself. */
function cycleThrough(component: string[], edges: (f: string) => string[]): string[] {
  const members = new Set(component);
  const start = [...component].sort()[0] as string;
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift() as string;
    for (const w of edges(v)) {
      if (!members.has(w)) continue;
      if (w === start) {
        const back = [v];
        for (let u = v; u !== start; u = previous.get(u) as string) back.push(previous.get(u) as string);
        return [...back.reverse(), start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}
