/**
 * `tszoo launch`: starts the workers of one node with the torchrun environment contract, prefixes their
 * output with their rank, stops the whole group when one worker fails, and restarts it (up to
 * --max-restarts times) with TORCHELASTIC_RESTART_COUNT raised; a script that resumes from its latest
 * checkpoint (Estimator.setResume) then carries on where the group stopped.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { type CliCommand, CliUsageError, formatHelp, intOption, parseCommand } from '../util/cli.js';

export const LAUNCH_COMMAND: CliCommand = {
  name: 'launch',
  summary: "Start data-parallel workers (node SCRIPT ...) on this node, supervised, with torchrun's environment.",
  positionals: 'SCRIPT [ARGS...]',
  options: {
    'nproc-per-node': { type: 'string', default: '1', value: 'N', help: 'workers on this node' },
    nnodes: { type: 'string', default: '1', value: 'N', help: 'nodes in the job' },
    'node-rank': { type: 'string', default: '0', value: 'R', help: "this node's index (0 hosts the store)" },
    'master-addr': { type: 'string', default: '127.0.0.1', value: 'HOST', help: 'address of node 0' },
    'master-port': { type: 'string', default: '29500', value: 'PORT', help: 'port of the store on node 0' },
    'max-restarts': {
      type: 'string',
      default: '0',
      value: 'K',
      help: 'restart the group up to K times after a failure',
    },
    'threads-per-worker': {
      type: 'string',
      value: 'T',
      help: 'LibTorch threads per worker (default: cores / nproc-per-node, at least 1)',
    },
  },
  epilog: [
    'Each worker gets RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, GROUP_RANK, MASTER_ADDR, MASTER_PORT,',
    'TORCHELASTIC_RESTART_COUNT and TSZOO_NUM_THREADS/OMP_NUM_THREADS; initProcessGroup() reads them.',
    'Example: tszoo launch --nproc-per-node 2 --max-restarts 1 train.js --epochs 10',
  ].join('\n'),
};

/** What the launcher runs. */
export interface LaunchPlan {
  script: string;
  args: string[];
  nprocPerNode: number;
  nnodes: number;
  nodeRank: number;
  masterAddr: string;
  masterPort: number;
  maxRestarts: number;
  threadsPerWorker: number;
}

/** Splits argv at the script: options before it are the launcher's, everything after is the script's. */
function splitAtScript(argv: readonly string[]): [string[], string[]] {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') return [argv.slice(0, i), argv.slice(i + 1)];
    if (!a.startsWith('-')) return [argv.slice(0, i), argv.slice(i)];
    const name = a.replace(/^--?/, '').split('=')[0] as string;
    const o = LAUNCH_COMMAND.options[name];
    if (o?.type === 'string' && !a.includes('=')) i++; // its value
  }
  return [[...argv], []];
}

/** Reads the command line into a plan; usage mistakes throw a CliUsageError naming the option. */
export function parseLaunch(argv: readonly string[]): LaunchPlan | 'help' {
  const [own, rest] = splitAtScript(argv);
  const { values, help } = parseCommand(LAUNCH_COMMAND, own, { allowPositionals: false });
  if (help) return 'help';
  const [script, ...args] = rest;
  if (script === undefined) throw new CliUsageError('tszoo launch: missing the SCRIPT to run');
  const nprocPerNode = intOption(values, 'nproc-per-node', { min: 1, max: 1024 }) as number;
  const nnodes = intOption(values, 'nnodes', { min: 1 }) as number;
  const nodeRank = intOption(values, 'node-rank', { min: 0 }) as number;
  if (nodeRank >= nnodes) throw new CliUsageError(`--node-rank must be < --nnodes (${nnodes}), got ${nodeRank}`);
  return {
    script,
    args,
    nprocPerNode,
    nnodes,
    nodeRank,
    masterAddr: values['master-addr'] as string,
    masterPort: intOption(values, 'master-port', { min: 1, max: 65535 }) as number,
    maxRestarts: intOption(values, 'max-restarts', { min: 0 }) as number,
    threadsPerWorker:
      intOption(values, 'threads-per-worker', { min: 1 }) ??
      Math.max(1, Math.floor(availableParallelism() / nprocPerNode)),
  };
}

/** Copies a stream to `out` line by line, each line prefixed. */
function prefixLines(stream: NodeJS.ReadableStream | null, out: NodeJS.WritableStream, prefix: string): void {
  if (!stream) return;
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    if (lines.length > 0) out.write(lines.map((l) => `${prefix}${l}\n`).join(''));
  });
  stream.on('end', () => {
    if (partial) out.write(`${prefix}${partial}\n`);
  });
}

/** How one attempt ended: 0 when every worker succeeded, else the first failure's exit status. */
interface AttemptResult {
  status: number;
  failed?: { rank: number; how: string };
}

const GRACE_MS = 5000;

function runAttempt(plan: LaunchPlan, attempt: number, log: (line: string) => void): Promise<AttemptResult> {
  const worldSize = plan.nnodes * plan.nprocPerNode;
  const children: ChildProcess[] = [];
  let running = plan.nprocPerNode;
  let result: AttemptResult | null = null;
  return new Promise((resolve) => {
    const stopAll = () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
      const t = setTimeout(() => {
        for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      }, GRACE_MS);
      t.unref();
    };
    for (let local = 0; local < plan.nprocPerNode; local++) {
      const rank = plan.nodeRank * plan.nprocPerNode + local;
      const threads = String(plan.threadsPerWorker);
      const child = spawn(process.execPath, [plan.script, ...plan.args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          RANK: String(rank),
          WORLD_SIZE: String(worldSize),
          LOCAL_RANK: String(local),
          LOCAL_WORLD_SIZE: String(plan.nprocPerNode),
          GROUP_RANK: String(plan.nodeRank),
          MASTER_ADDR: plan.masterAddr,
          MASTER_PORT: String(plan.masterPort),
          TORCHELASTIC_RESTART_COUNT: String(attempt),
          TSZOO_NUM_THREADS: threads,
          OMP_NUM_THREADS: threads,
        },
      });
      children.push(child);
      prefixLines(child.stdout, process.stdout, `[${rank}] `);
      prefixLines(child.stderr, process.stderr, `[${rank}] `);
      child.on('exit', (code, signal) => {
        running--;
        if ((code !== 0 || signal !== null) && result === null) {
          const how = signal !== null ? `was killed by ${signal}` : `exited with status ${code}`;
          result = { status: code ?? 1, failed: { rank, how } };
          log(`worker ${rank} ${how}: stopping the group`);
          stopAll();
        }
        if (running === 0) resolve(result ?? { status: 0 });
      });
      child.on('error', (e) => log(`worker ${rank} could not start: ${e.message}`));
    }
    const onSignal = (sig: NodeJS.Signals) => {
      result ??= { status: 130 };
      for (const c of children) c.kill(sig);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}

/** Runs the plan: attempts until success or the restarts are used up. Resolves with the exit status. */
export async function launch(
  plan: LaunchPlan,
  log: (line: string) => void = (l) => process.stderr.write(`tszoo launch: ${l}\n`),
): Promise<number> {
  log(
    `node ${plan.nodeRank} of ${plan.nnodes}: ${plan.nprocPerNode} worker(s), ${plan.threadsPerWorker} thread(s) each, store at ${plan.masterAddr}:${plan.masterPort}`,
  );
  for (let attempt = 0; ; attempt++) {
    const r = await runAttempt(plan, attempt, log);
    process.removeAllListeners('SIGINT');
    process.removeAllListeners('SIGTERM');
    if (r.status === 0 && !r.failed) return 0;
    if (r.status === 130 || attempt >= plan.maxRestarts) {
      if (r.failed) log(`giving up after ${attempt + 1} attempt(s): worker ${r.failed.rank} ${r.failed.how}`);
      return r.status === 0 ? 1 : r.status;
    }
    log(`restarting the group (restart ${attempt + 1} of ${plan.maxRestarts})`);
  }
}

/** The `tszoo launch` subcommand. */
export async function main(argv: string[]): Promise<number> {
  const plan = parseLaunch(argv);
  if (plan === 'help') {
    process.stdout.write(formatHelp(LAUNCH_COMMAND));
    return 0;
  }
  return launch(plan);
}
