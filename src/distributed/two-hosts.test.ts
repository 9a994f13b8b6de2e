import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { lastJson, startProcess } from './workers.testutil.js';

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'collectives.fixture.js');

/**
 * Two "hosts": network namespaces joined by a veth pair, each with its own address (only inside the
 * namespaces), one worker in each. Created here and removed after; needs root (CAP_NET_ADMIN).
 */
const id = process.pid % 100000;
const hosts = [
  { ns: `tszoo-a-${id}`, dev: `tzA${id}`, addr: `10.213.${id % 250}.1` },
  { ns: `tszoo-b-${id}`, dev: `tzB${id}`, addr: `10.213.${id % 250}.2` },
] as const;

function ip(...args: string[]): { ok: boolean; err: string } {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  return { ok: r.status === 0, err: `${r.stderr ?? ''}${r.error?.message ?? ''}` };
}

let cannot = '';

describe('two hosts over a real network (network namespaces and a veth pair)', () => {
  before(() => {
    const made = ip('netns', 'add', hosts[0].ns);
    if (!made.ok) {
      cannot = `cannot create network namespaces here (needs root and iproute2): ${made.err.trim()}`;
      return;
    }
    const steps: string[][] = [
      ['netns', 'add', hosts[1].ns],
      ['link', 'add', hosts[0].dev, 'type', 'veth', 'peer', 'name', hosts[1].dev],
    ];
    for (const h of hosts) {
      steps.push(['link', 'set', h.dev, 'netns', h.ns]);
      steps.push(['-n', h.ns, 'addr', 'add', `${h.addr}/24`, 'dev', h.dev]);
      steps.push(['-n', h.ns, 'link', 'set', h.dev, 'up']);
      steps.push(['-n', h.ns, 'link', 'set', 'lo', 'up']);
    }
    for (const s of steps) {
      const r = ip(...s);
      if (!r.ok) throw new Error(`ip ${s.join(' ')}: ${r.err}`);
    }
  });

  after(() => {
    for (const h of hosts) ip('netns', 'del', h.ns); // removes the veth pair with it
  });

  it('runs every collective between a worker in each namespace, over the veth link', async (t) => {
    if (cannot) {
      t.skip(cannot);
      return;
    }
    const port = 20000 + (id % 20000);
    const workers = hosts.map((h, rank) =>
      startProcess('ip', ['netns', 'exec', h.ns, process.execPath, fixture, 'all'], {
        MASTER_ADDR: hosts[0].addr,
        MASTER_PORT: String(port),
        RANK: String(rank),
        WORLD_SIZE: '2',
        LOCAL_RANK: '0',
        LOCAL_WORLD_SIZE: '1',
        GLOO_SOCKET_IFNAME: h.dev,
        TSZOO_NUM_THREADS: '1',
      }),
    );
    const codes = await Promise.all(workers.map((w) => w.exited));
    assert.deepEqual(codes, [0, 0], workers.map((w) => w.stderr).join('\n'));
    for (const [rank, w] of workers.entries()) {
      const r = lastJson<Record<string, unknown>>(w, 'result ');
      assert.equal(r.rank, rank);
      assert.deepEqual(r.sum, [3, 30]);
      assert.deepEqual(r.broadcast, [42, 1]);
      assert.deepEqual(r.gather, [
        [0, 0],
        [1, 1],
      ]);
    }
    // the addresses exist only inside the namespaces, not on this machine's own interfaces
    const own = spawnSync('ip', ['-o', 'addr', 'show'], { encoding: 'utf8' }).stdout;
    assert.equal(own.includes(hosts[0].addr) || own.includes(hosts[1].addr), false);
  });
});
