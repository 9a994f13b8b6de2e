/**
 * A worker for the process-group tests: runs every collective and prints the results, or (mode 'loop')
 * all-reduces until something fails, announcing 'looping' so the test can kill a peer.
 */
import * as torch from '../tensor/index.js';
import { initProcessGroup } from './process-group.js';
import { SyncBatchNorm } from './sync-batchnorm.js';

const mode = process.argv[2] ?? 'all';
const pg = await initProcessGroup({ timeoutMs: Number(process.env.TEST_TIMEOUT_MS ?? 20000) });
const r = pg.rank;

if (mode === 'all') {
  const out: Record<string, unknown> = { rank: r, world: pg.worldSize, source: pg.place.source };
  const s = torch.tensor([r + 1, 10 * (r + 1)], { dtype: 'float32' });
  await pg.allReduce(s);
  out.sum = s.toArray();
  const a = torch.tensor([r + 1], { dtype: 'float32' });
  await pg.allReduce(a, { op: 'avg' });
  out.avg = a.toArray();
  const m = torch.tensor([r * 7 - 3], { dtype: 'float32' });
  await pg.allReduce(m, { op: 'max' });
  out.max = m.toArray();
  const b = torch.tensor([r === 1 ? 42 : -1, r], { dtype: 'float64' });
  await pg.broadcast(b, { src: 1 });
  out.broadcast = b.toArray();
  const g = await pg.allGather(torch.tensor([r, r * r], { dtype: 'int64' }));
  out.gather = g.map((t) => t.toArray());
  const o = torch.zeros([2]);
  await pg.reduceScatter(o, [torch.tensor([1, 2]).mul(r + 1), torch.tensor([3, 4]).mul(r + 1)]);
  out.reduceScatter = o.toArray();
  await pg.barrier();
  pg.store.set(`hello/${r}`, `from ${r}`);
  await pg.barrier();
  out.store = pg.store.get(`hello/${(r + 1) % pg.worldSize}`);
  out.missing = pg.store.get('nobody');
  try {
    await pg.allReduce(torch.ones([2, 3]).t());
  } catch (e) {
    out.badInput = (e as Error).message;
  }
  console.log(`result ${JSON.stringify(out)}`);
  pg.destroy();
} else if (mode === 'syncbn-eval') {
  // Rank 0 runs SyncBatchNorm in eval mode, rank 1 does not run it at all: a collective in eval would
  // pair with rank 1's barrier below and fail. In training both ranks must meet in it.
  const bn = new SyncBatchNorm(3);
  const x = torch.randn([4, 3, 2, 2]).add(r * 5);
  if (r === 0) bn.eval().forward(x);
  await pg.barrier();
  bn.train();
  const y = bn.forward(x);
  // normalised over both ranks' rows: this rank's mean is far from 0 (rank 0 low, rank 1 high)
  const mean = y.mean().item() as number;
  console.log(`result ${JSON.stringify({ rank: r, mean, runningMean: bn.runningMean?.mean().item() })}`);
  pg.destroy();
} else if (mode === 'loop') {
  const t = torch.ones([1024]);
  await pg.allReduce(t);
  console.log('looping');
  for (;;) await pg.allReduce(t, { op: 'avg' });
}
