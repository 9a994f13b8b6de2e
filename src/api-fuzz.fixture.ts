/**
 * Calls public constructors and functions with unknown options, wrong types and out-of-range values, and
 * prints one JSON line: the calls that did not end in a clear Error. Run in a child process by
 * api-fuzz.test.ts, so that a native abort fails the test instead of killing the runner.
 */
import { data, models, nn, optim, pipeline, torch } from './index.js';

/** What a JS engine says when code trips over input it never checked: never a message for users. */
const INTERNAL =
  /Cannot read propert|is not a function|is not iterable|is not a constructor|undefined \(reading|Cannot convert undefined|frame #\d|Exception raised from|c10::|Maximum call stack/;

interface Finding {
  call: string;
  problem: string;
}

const findings: Finding[] = [];
let calls = 0;

function judge(call: string, err: unknown, mustThrow: boolean, threw: boolean): void {
  calls += 1;
  if (!threw) {
    if (mustThrow) findings.push({ call, problem: 'did not throw' });
    return;
  }
  if (!(err instanceof Error)) findings.push({ call, problem: `threw a non-Error: ${String(err)}` });
  else if (INTERNAL.test(err.message))
    findings.push({ call, problem: `unclear message: ${err.message.slice(0, 300)}` });
}

/** A call that must throw a clear Error. */
async function bad(call: string, fn: () => unknown): Promise<void> {
  try {
    await torch.scope(() => fn());
  } catch (e) {
    judge(call, e, true, true);
    return;
  }
  judge(call, undefined, true, false);
}

/** A call with garbage that may succeed or throw, but must not crash or throw an unclear error. */
async function garbage(call: string, fn: () => unknown): Promise<void> {
  try {
    await torch.scope(() => fn());
    judge(call, undefined, false, false);
  } catch (e) {
    judge(call, e, false, true);
  }
}

const GARBAGE: unknown[][] = [[], [-1], ['x'], [null], [{}], [2, 2, { bogusOption: 1 }], [Number.NaN], [2.5, 3]];

async function sweepClasses(where: string, ns: Record<string, unknown>): Promise<void> {
  for (const [name, value] of Object.entries(ns)) {
    if (typeof value !== 'function' || !/^[A-Z]/.test(name) || !value.prototype) continue;
    const C = value as new (...a: unknown[]) => unknown;
    for (const args of GARBAGE) await garbage(`new ${where}.${name}(${JSON.stringify(args)})`, () => new C(...args));
  }
}

async function main(): Promise<void> {
  // options objects: unknown keys and values outside the allowed set
  await bad('nn.Conv2d paddingg', () => new nn.Conv2d(1, 2, 3, { paddingg: 1 } as never));
  await bad("nn.Conv2d padding 'foo'", () => new nn.Conv2d(1, 2, 3, { padding: 'foo' as never }));
  await bad('nn.Conv2d kernel 0', () => new nn.Conv2d(1, 2, 0));
  await bad('nn.Linear(-1, 3)', () => new nn.Linear(-1, 3));
  await bad('nn.Linear bogus option', () => new nn.Linear(2, 3, { biass: false } as never));
  await bad('nn.BatchNorm2d(0)', () => new nn.BatchNorm2d(0));
  await bad('nn.BatchNorm1d bogus option', () => new nn.BatchNorm1d(3, { moment: 0.1 } as never));
  await bad('nn.LSTM bogus option', () => new nn.LSTM(3, 4, { layers: 2 } as never));
  await bad('nn.MaxPool2d bogus option', () => new nn.MaxPool2d(2, { strides: 2 } as never));
  await bad("nn.Linear.to('float17')", () => new nn.Linear(2, 2).to('float17'));
  await bad('nn.functional.crossEntropy bogus', () =>
    nn.functional.crossEntropy(torch.randn([2, 3]), torch.tensor([0, 1], { dtype: 'int64' }), {
      smoothing: 0.1,
    } as never),
  );
  await bad(
    'optim.Adam bogus option',
    () => new optim.Adam(new nn.Linear(2, 2).parameters(), { learningRate: 1 } as never),
  );
  await bad('optim.SGD lr -1', () => new optim.SGD(new nn.Linear(2, 2).parameters(), { lr: -1 }));
  await bad(
    'pipeline.Estimator labelColumn',
    () => new pipeline.Estimator(new nn.Linear(2, 2), { labelColumn: 'y' } as never),
  );
  await bad(
    "pipeline.Estimator task 'classify'",
    () => new pipeline.Estimator(new nn.Linear(2, 2), { task: 'classify' as never }),
  );
  await bad('pipeline.Estimator without a module', () => new pipeline.Estimator(null as never));
  await bad('pipeline.Estimator batchSize 0', () =>
    new pipeline.Estimator(new nn.Linear(2, 2), { batchSize: 0 }).resolve(),
  );
  await bad('pipeline.Pipeline of garbage', () => new pipeline.Pipeline([42 as never]));
  await bad('data.readImages bogus option', () => data.readImages('.', { recurse: true } as never));
  await bad('data.readImagesDecoded bogus option', () => data.readImagesDecoded('.', { dropInvalid: true } as never));
  await bad("data.loadFashionMnist('val')", () => data.loadFashionMnist('val' as never));
  await bad('data.generateSyntheticCxr count -5', () => data.generateSyntheticCxr('/tmp/never-written', { count: -5 }));
  await bad('data.generateSyntheticCxr bogus', () =>
    data.generateSyntheticCxr('/tmp/never-written', { counts: 5 } as never),
  );
  await bad('data.DataFrame.fromColumns ragged', () => data.DataFrame.fromColumns({ a: [1, 2], b: [1] }));
  await bad('data.DataFrame.limit(-1)', () => data.DataFrame.range(3).limit(-1));
  await bad(
    'data.DataLoader batchSize 0',
    () => new data.DataLoader(new data.TensorDataset(torch.zeros([2])), { batchSize: 0 }),
  );
  await bad(
    'features.StandardScaler withMeans',
    () => new data.features.StandardScaler({ inputCol: 'x', outputCol: 'y', withMeans: true } as never),
  );
  await bad(
    'features.Bucketizer splits',
    () => new data.features.Bucketizer({ inputCol: 'x', outputCol: 'y', splits: [1] }),
  );
  await bad("torch.tensor(['a'])", () => torch.tensor(['a'] as never));
  await bad('torch.zeros([-1])', () => torch.zeros([-1]));
  await bad('torch.full([2], "x")', () => torch.full([2], 'x' as never));
  await bad('torch.randn([2, 3]).view([4])', () => torch.randn([2, 3]).view([4]));
  await bad('torch.setDefaultDtype int64', () => torch.setDefaultDtype('int64' as never));
  await bad('resize_ under a dataView', () => {
    const t = torch.zeros([4]);
    const v = t.dataView();
    torch.ops.aten.resize_.default(t, [1000]);
    return v;
  });
  await bad('torch.ops.aten.to.device float17', () => torch.randn([2]).to('float17' as never));
  await bad('models.resnet18 numClasses -1', () => models.resnet18({ numClasses: -1 }));

  // constructors given garbage: success or a clear Error, never a crash or an engine message
  await sweepClasses('nn', nn as unknown as Record<string, unknown>);
  await sweepClasses('optim', optim as unknown as Record<string, unknown>);
  await sweepClasses('data.features', data.features as unknown as Record<string, unknown>);
  process.stdout.write(`${JSON.stringify({ calls, findings })}\n`);
}

await main();
