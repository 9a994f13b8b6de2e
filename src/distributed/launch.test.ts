import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseLaunch } from './launch.js';
import { type FitResult, freePort, lastJson, maxDiff, results, startProcess, type Worker } from './workers.testutil.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, 'fit.fixture.js');
const tszoo = join(here, '../../apps/tszoo.js');

/** The pid of the child of `parent` whose environment has RANK=<rank>. */
function workerPid(parent: number, rank: number): number {
  const pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parent) continue;
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      if (env.includes(`RANK=${rank}`)) return Number(pid);
    } catch {
      // the process ended while we looked
    }
  }
  throw new Error(`no worker of rank ${rank} under pid ${parent}`);
}

/** Runs a supervised 2-worker fit of 3 epochs, kills rank 1 with SIGKILL after the checkpoint of iteration 4. */
async function killAndResume(start: (dir: string, port: number) => Worker): Promise<{ w: Worker; result: FitResult }> {
  const dir = mkdtempSync(join(tmpdir(), 'tszoo-launch-'));
  try {
    const w = start(dir, await freePort());
    await Promise.race([
      w.waitFor('checkpoint 4'),
      w.exited.then((c) => {
        throw new Error(`exited (${c}) before checkpoint 4:\n${w.stdout}\n${w.stderr}`);
      }),
    ]);
    process.kill(workerPid(w.child.pid as number, 1), 'SIGKILL');
    const code = await w.exited;
    assert.equal(code, 0, `${w.stdout}\n${w.stderr}`);
    return { w, result: lastJson<FitResult>(w, w.stdout.includes('[0] result ') ? '[0] result ' : 'result ') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('tszoo launch', () => {
  it('reads its options up to the script and passes the rest to the script', () => {
    const plan = parseLaunch(['--nproc-per-node', '2', '--max-restarts=1', 'train.js', '--epochs', '3']);
    assert.ok(plan !== 'help');
    assert.deepEqual(
      [plan.script, plan.args, plan.nprocPerNode, plan.maxRestarts, plan.nnodes],
      ['train.js', ['--epochs', '3'], 2, 1, 1],
    );
    assert.throws(() => parseLaunch(['--nnodes', '2', '--node-rank', '2', 'a.js']), /--node-rank must be < --nnodes/);
    assert.throws(() => parseLaunch(['--nproc-per-node', '2']), /missing the SCRIPT/);
  });

  it('stops the group when a worker fails and gives up without restarts', async () => {
    const w = startProcess(
      process.execPath,
      [tszoo, 'launch', '--nproc-per-node', '2', '--master-port', String(await freePort()), '/nonexistent/train.js'],
      {},
    );
    // node fails at once on both workers: no such script
    const code = await w.exited;
    assert.notEqual(code, 0);
    assert.match(w.stderr, /giving up after 1 attempt\(s\): worker \d (exited with status|was killed)/);
  });

  it('a worker killed with SIGKILL: the group restarts, resumes from the last checkpoint and ends as an uninterrupted run', async () => {
    const [reference] = await results([
      startProcess(process.execPath, [fixture, 'single', '3', '8'], { TSZOO_NUM_THREADS: '1' }),
    ]);
    const { w, result } = await killAndResume((dir, port) =>
      startProcess(
        process.execPath,
        [
          tszoo,
          'launch',
          '--nproc-per-node',
          '2',
          '--max-restarts',
          '1',
          '--master-port',
          String(port),
          '--threads-per-worker',
          '1',
          fixture,
          'ddp',
          '3',
          '8',
          dir,
        ],
        { SLOW_STEPS: '150', RESULT_FROM_RANK0: '1' },
      ),
    );
    assert.match(w.stderr, /worker 1 was killed by SIGKILL: stopping the group/);
    assert.match(w.stderr, /restarting the group \(restart 1 of 1\)/);
    assert.match(w.stdout, /^\[0\] checkpoint 18$/m);
    assert.ok(reference);
    assert.equal(result.iterations, 18);
    assert.equal(result.validations.length, 3);
    assert.ok(
      maxDiff(result.weights, reference.weights) <= 1e-5,
      `weights differ by ${maxDiff(result.weights, reference.weights)}`,
    );
  });
});

describe("Debian's torchrun --no-python", () => {
  it('runs the workers, restarts the group after a SIGKILL (--max-restarts 1) and the fit resumes', async () => {
    const [reference] = await results([
      startProcess(process.execPath, [fixture, 'single', '3', '8'], { TSZOO_NUM_THREADS: '1' }),
    ]);
    const { w, result } = await killAndResume((dir, port) =>
      startProcess(
        'torchrun',
        [
          // torchrun 1.13 spells its options with underscores
          '--nproc_per_node',
          '2',
          '--max_restarts',
          '1',
          '--master_port',
          String(port),
          '--no_python',
          '--redirects',
          '2',
          '--tee',
          '2',
          process.execPath,
          fixture,
          'ddp',
          '3',
          '8',
          dir,
        ],
        { SLOW_STEPS: '150', TSZOO_NUM_THREADS: '1', RESULT_FROM_RANK0: '1' },
      ),
    );
    // the survivor named the lost rank (or was stopped by the agent first); the agent stopped the group
    assert.match(w.stderr, /rank 1 is gone|closing signal SIGTERM/);
    assert.ok(reference);
    assert.equal(result.iterations, 18);
    assert.ok(
      maxDiff(result.weights, reference.weights) <= 1e-5,
      `weights differ by ${maxDiff(result.weights, reference.weights)}`,
    );
  });
});
