/**
 * Writes src/tensor/ops.generated.ts: typed wrappers for the ATen operators listed below, generated
 * from the schemas registered in the installed LibTorch. Run with `npm run gen:ops` after building.
 * `--check` compares instead of writing (used by the tests so the file never drifts from the schemas).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { camelCase, overloadsOf, requiredPositional } from '../src/tensor/dispatch.js';
import { native, type OpSchema, type SchemaArg } from '../src/tensor/native.js';

/** The operators with typed wrappers, by ATen name. Every other one is reachable through `ops.aten`. */
export const WRAPPED_OPS: readonly string[] = [
  // creation
  'zeros',
  'ones',
  'full',
  'empty',
  'arange',
  'linspace',
  'eye',
  'rand',
  'randn',
  'randint',
  'randperm',
  'zeros_like',
  'ones_like',
  'full_like',
  'empty_like',
  'rand_like',
  'randn_like',
  'normal',
  'bernoulli',
  // views, shapes and indexing
  'reshape',
  'view',
  'view_as',
  'reshape_as',
  'permute',
  'transpose',
  't',
  'squeeze',
  'unsqueeze',
  'flatten',
  'expand',
  'expand_as',
  'contiguous',
  'clone',
  'detach',
  'cat',
  'stack',
  'split',
  'chunk',
  'unbind',
  'slice',
  'narrow',
  'select',
  'index_select',
  'gather',
  'scatter',
  'masked_fill',
  'masked_select',
  'flip',
  'repeat',
  'roll',
  'tril',
  'triu',
  'movedim',
  'constant_pad_nd',
  'diag',
  // arithmetic
  'add',
  'sub',
  'mul',
  'div',
  'neg',
  'pow',
  'exp',
  'log',
  'log2',
  'log1p',
  'expm1',
  'sqrt',
  'rsqrt',
  'abs',
  'sign',
  'square',
  'reciprocal',
  'floor',
  'ceil',
  'round',
  'trunc',
  'fmod',
  'remainder',
  'clamp',
  'clamp_min',
  'clamp_max',
  'maximum',
  'minimum',
  'sin',
  'cos',
  'lerp',
  'addcmul',
  'addcdiv',
  'matmul',
  'mm',
  'bmm',
  'addmm',
  'outer',
  'dot',
  // reductions
  'sum',
  'mean',
  'prod',
  'max',
  'min',
  'amax',
  'amin',
  'argmax',
  'argmin',
  'std',
  'var',
  'norm',
  'logsumexp',
  'cumsum',
  'softmax',
  'log_softmax',
  'topk',
  'sort',
  'argsort',
  'all',
  'any',
  // neural-network ops
  'conv1d',
  'conv2d',
  'conv_transpose2d',
  'max_pool2d',
  'max_pool2d_with_indices',
  'avg_pool2d',
  'adaptive_avg_pool2d',
  'adaptive_max_pool2d',
  'batch_norm',
  'layer_norm',
  'group_norm',
  'dropout',
  'relu',
  'relu6',
  'leaky_relu',
  'elu',
  'gelu',
  'silu',
  'sigmoid',
  'tanh',
  'hardtanh',
  'hardsigmoid',
  'hardswish',
  'softplus',
  'linear',
  'embedding',
  'one_hot',
  'upsample_nearest2d',
  'upsample_bilinear2d',
  'binary_cross_entropy',
  'binary_cross_entropy_with_logits',
  'cross_entropy_loss',
  'nll_loss',
  'nll_loss_nd',
  'mse_loss',
  'l1_loss',
  'smooth_l1_loss',
  'huber_loss',
  'kl_div',
  // comparison and logic
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
  'where',
  'logical_and',
  'logical_or',
  'logical_not',
  'logical_xor',
  'isnan',
  'isinf',
  'isfinite',
  'allclose',
  'equal',
  'nonzero',
  // in place
  'add_',
  'sub_',
  'mul_',
  'div_',
  'pow_',
  'zero_',
  'fill_',
  'copy_',
  'clamp_',
  'relu_',
  'sigmoid_',
  'uniform_',
  'normal_',
  'addcmul_',
  'addcdiv_',
  'lerp_',
  'masked_fill_',
  'exp_',
  'sqrt_',
  'neg_',
];

/** Names that Tensor defines by hand; they get no generated method. */
const HAND_WRITTEN_METHODS = new Set(['size', 'dim', 'numel', 'item', 'backward', 'data', 'to', 'type', 'grad']);

function tsType(a: SchemaArg): string {
  const base = (() => {
    switch (a.kind) {
      case 'Tensor':
        return 'Tensor';
      case 'Tensor[]':
        return 'Tensor[]';
      case 'Tensor?[]':
        return '(Tensor | null)[]';
      case 'int':
        return a.name === 'reduction' ? 'Reduction' : 'number';
      case 'int[]':
        return 'IntList';
      case 'float':
        return 'number';
      case 'float[]':
        return 'number | number[]';
      case 'bool':
        return 'boolean';
      case 'bool[]':
        return 'boolean[]';
      case 'Scalar':
        return 'Scalar';
      case 'ScalarType':
        return 'DType';
      case 'Layout':
        return "'strided'";
      case 'Device':
        return 'string';
      case 'MemoryFormat':
        return 'MemoryFormat';
      case 'str':
        return 'string';
      case 'Generator':
        return 'null';
      default:
        return 'never';
    }
  })();
  return a.optional && base !== 'null' ? `${base} | null` : base;
}

function returnType(s: OpSchema): string {
  const one = (t: string): string => {
    if (t === 'Tensor') return 'Tensor';
    if (t === 'Tensor[]') return 'Tensor[]';
    if (t === 'int' || t === 'SymInt' || t === 'float' || t === 'Scalar') return 'number';
    if (t === 'bool') return 'boolean';
    if (t === 'int[]' || t === 'SymInt[]') return 'number[]';
    if (t === 'Tensor?') return 'Tensor | null';
    return 'unknown';
  };
  if (s.returns.length === 0) return 'void';
  if (s.returns.length === 1) return one(s.returns[0]?.type ?? '');
  return `[${s.returns.map((r) => one(r.type)).join(', ')}]`;
}

const RESERVED = new Set(['function', 'default', 'in', 'var', 'new', 'delete', 'class', 'import', 'export']);
const ident = (n: string) => (RESERVED.has(n) ? `${n}_` : n);

interface Signature {
  params: string[];
  optionsType: string;
  returns: string;
  schema: string;
}

function signature(s: OpSchema, dropSelf: boolean): Signature {
  const positional = s.args.filter((a) => !a.kwargOnly);
  const optional = s.args.filter((a) => a.kwargOnly || a.hasDefault || a.optional);
  const trailingOptional = requiredPositional(s.args);
  const params = positional
    .map((a, i) => `${ident(camelCase(a.name))}${i >= trailingOptional ? '?' : ''}: ${tsType(a)}`)
    .slice(dropSelf ? 1 : 0);
  const optionsType = optional.length
    ? `{ ${optional.map((a) => `${camelCase(a.name)}?: ${tsType(a)}`).join('; ')} }`
    : '';
  return { params, optionsType, returns: returnType(s), schema: s.schema };
}

/**
 * TS signatures of one overload: the required positionals followed by any number of the optional
 * ones, each form ending in the options object (so `conv2d(x, w, b, { stride: 2 })` type-checks).
 */
function render(sig: Signature): string[] {
  const required = sig.params.filter((p) => !/^\w+\?:/.test(p)).length;
  const out: string[] = [];
  for (let k = required; k <= sig.params.length; k++) {
    const params = sig.params.slice(0, k);
    if (sig.optionsType) params.push(`options?: ${sig.optionsType}`);
    out.push(`(${params.join(', ')}): ${sig.returns}`);
  }
  return out;
}

function generate(): string {
  const lines: string[] = [];
  const methods: string[] = [];
  const methodTable: string[] = [];
  const version = native.config().torchVersion;
  lines.push(
    `// GENERATED by scripts/gen-ops.ts from the schemas of LibTorch ${version}. Do not edit; run \`npm run gen:ops\`.`,
    "import { OpSet, type IntList, type Reduction, type Scalar } from './dispatch.js';",
    "import type { DType } from './dtype.js';",
    "import { Tensor } from './tensor.js';",
    '',
    '/** Memory layouts accepted where a schema says MemoryFormat. */',
    "export type MemoryFormat = 'contiguous' | 'preserve' | 'channelsLast' | 'channelsLast3d';",
    '',
  );
  for (const name of WRAPPED_OPS) {
    const overloads = overloadsOf(name);
    if (overloads.length === 0) throw new Error(`gen-ops: no callable overload of aten::${name}`);
    const schemas = overloads.map((o) => native.opSchema(native.findOp(name, o)));
    const fn = camelCase(name);
    const setName = `$${fn}`;
    lines.push(`const ${setName} = new OpSet('aten::${name}', ${JSON.stringify(overloads)});`);
    lines.push('/**');
    for (const s of schemas) lines.push(` * \`${s.schema.replace(/\*\//g, '* /')}\``);
    lines.push(' */');
    const seen = new Set<string>();
    for (const s of schemas) {
      for (const r of render(signature(s, false))) {
        if (seen.has(r)) continue;
        seen.add(r);
        lines.push(`export function ${ident(fn)}${r};`);
      }
    }
    lines.push(
      `export function ${ident(fn)}(...args: unknown[]): unknown {`,
      `  return ${setName}.call(args);`,
      '}',
      '',
    );
    const selfFirst = (s: OpSchema) => {
      const first = s.args.find((a) => !a.kwargOnly);
      return first?.name === 'self' && first.kind === 'Tensor' && !first.optional;
    };
    const methodSchemas = schemas.filter(selfFirst);
    if (!HAND_WRITTEN_METHODS.has(name) && methodSchemas.length > 0) {
      const seenM = new Set<string>();
      for (const s of methodSchemas) {
        for (const r of render(signature(s, true))) {
          if (seenM.has(r)) continue;
          seenM.add(r);
          methods.push(`    ${fn}${r};`);
        }
      }
      methodTable.push(`  ${fn}: ${setName},`);
    }
  }
  lines.push(
    "declare module './tensor.js' {",
    '  interface Tensor {',
    ...methods,
    '  }',
    '}',
    '',
    '/** Tensor methods: `t.op(...args)` calls `op(t, ...args)`. */',
    'const METHODS: Record<string, OpSet> = {',
    ...methodTable,
    '};',
    'for (const [name, set] of Object.entries(METHODS)) {',
    '  Object.defineProperty(Tensor.prototype, name, {',
    '    // Explicit parameters: cheaper than rest arguments plus unshift on every call.',
    '    value(this: Tensor, a?: unknown, b?: unknown, c?: unknown, ...more: unknown[]) {',
    '      switch (arguments.length) {',
    '        case 0:',
    '          return set.call([this]);',
    '        case 1:',
    '          return set.call([this, a]);',
    '        case 2:',
    '          return set.call([this, a, b]);',
    '        case 3:',
    '          return set.call([this, a, b, c]);',
    '        default:',
    '          return set.call([this, a, b, c, ...more]);',
    '      }',
    '    },',
    '    writable: true,',
    '    configurable: true,',
    '  });',
    '}',
    '',
  );
  return lines.join('\n');
}

const target = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/tensor/ops.generated.ts');

export function checkGenerated(): { upToDate: boolean; target: string } {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // missing counts as stale
  }
  return { upToDate: current === generate(), target };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    const r = checkGenerated();
    console.log(r.upToDate ? `${r.target} is up to date` : `${r.target} is stale: run npm run gen:ops`);
    process.exitCode = r.upToDate ? 0 : 1;
  } else {
    writeFileSync(target, generate());
    console.log(`wrote ${target}`);
  }
}
