/**
 * `tszoo serve`: serves a saved model over HTTP in this process (the embedded default), or as Cluster
 * Serving with `--redis`: worker processes in the stream's consumer group, and the HTTP frontend in front of
 * Redis when `--http` is given. Start more workers (here or on other machines) to scale.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { basename, resolve } from 'node:path';
import { type CliCommand, CliUsageError, formatHelp, intOption, numberOption, parseCommand } from '../util/cli.js';
import { BACKENDS, type Backend } from './backend.js';
import { InputQueue } from './cluster/queues.js';
import { RedisPredictor } from './cluster/redis-predictor.js';
import type { WorkerProcessConfig } from './cluster/worker-process.js';
import { MODEL_NAME, type Server, startServer } from './http/server.js';
import { InferenceModel } from './inference-model.js';
import { loadTransform } from './transform-module.js';

export const SERVE_COMMAND: CliCommand = {
  name: 'serve',
  summary: 'Serve a saved model: HTTP in-process, or Cluster Serving workers on Redis Streams (--redis)',
  options: {
    model: { type: 'string', value: 'DIR', help: 'a Model.save directory or an .onnx file (required)' },
    name: { type: 'string', value: 'NAME', help: "the model's name in URLs (default: the directory's name)" },
    http: {
      type: 'string',
      value: 'PORT',
      help: 'serve HTTP on this port (default 8080 without --redis; 0 picks one)',
    },
    host: {
      type: 'string',
      value: 'ADDR',
      default: '127.0.0.1',
      help: 'HTTP address; any other than loopback needs --token',
    },
    token: { type: 'string', value: 'TOKEN', help: 'bearer token clients must send (default: $TSZOO_TOKEN)' },
    redis: { type: 'string', value: 'URL', help: 'Cluster Serving: the Redis URL, e.g. redis://127.0.0.1:6379' },
    workers: {
      type: 'string',
      value: 'N',
      default: '1',
      help: 'model copies: threads in-process, worker processes with --redis (0: frontend only)',
    },
    threads: {
      type: 'string',
      value: 'N',
      help: 'intra-op threads per model copy (default: cores / workers, at least 1)',
    },
    backend: { type: 'string', value: 'B', default: 'libtorch', help: `engine: ${BACKENDS.join(' | ')}` },
    transform: {
      type: 'string',
      value: 'MODULE',
      help: "a JS module exporting the model's serving `transform` (default: the saved one, rebuilt from its name if all its steps are deterministic)",
    },
    'max-batch': { type: 'string', value: 'N', default: '8', help: 'most requests in one batch' },
    'max-delay-ms': {
      type: 'string',
      value: 'MS',
      default: '2',
      help: 'longest wait for a batch to fill while a worker is free',
    },
    'stream-name': {
      type: 'string',
      value: 'NAME',
      default: 'serving_stream',
      help: 'Cluster Serving name (Redis keys tszoo:NAME:...)',
    },
    'max-queue': { type: 'string', value: 'N', default: '10000', help: 'requests queued before clients get 429 busy' },
    'body-limit-mb': { type: 'string', value: 'MB', default: '32', help: 'largest HTTP request body' },
  },
  epilog: [
    'Examples:',
    '  tszoo serve --model models/tiny --http 8080',
    '  curl -X POST --data-binary @cat.png -H "content-type: image/png" http://127.0.0.1:8080/v1/models/tiny/predict',
    '  tszoo serve --model models/tiny --redis redis://127.0.0.1:6379 --workers 2 --http 8080',
    '  tszoo serve --model models/tiny --redis redis://10.0.0.5:6379 --workers 4     # more workers, another machine',
  ].join('\n'),
};

function waitForSignal(): Promise<string> {
  return new Promise((res) => {
    process.once('SIGINT', () => res('SIGINT'));
    process.once('SIGTERM', () => res('SIGTERM'));
  });
}

/** Forks a worker process; resolves when it has joined the group. */
function forkWorker(config: WorkerProcessConfig): Promise<ChildProcess> {
  const child = fork(new URL('./cluster/worker-process.js', import.meta.url), [JSON.stringify(config)], {
    stdio: 'inherit',
  });
  return new Promise((res, rej) => {
    child.once('message', (m: { type: string; message?: string }) => {
      if (m.type === 'ready') res(child);
      else rej(new Error(m.message ?? 'worker failed'));
    });
    child.once('exit', (code) => rej(new Error(`a worker exited with code ${code} while starting`)));
  });
}

export async function main(argv: string[]): Promise<number> {
  const { values, help } = parseCommand(SERVE_COMMAND, argv);
  if (help) {
    process.stdout.write(formatHelp(SERVE_COMMAND));
    return 0;
  }
  if (typeof values.model !== 'string') throw new CliUsageError('tszoo serve: --model DIR is required');
  const modelPath = resolve(values.model);
  const backend = values.backend as Backend;
  if (!BACKENDS.includes(backend))
    throw new CliUsageError(`--backend must be one of ${BACKENDS.join(', ')}, got '${backend}'`);
  const name =
    (values.name as string | undefined) ??
    basename(modelPath)
      .replace(/\.onnx$/i, '')
      .replace(/[^A-Za-z0-9._-]/g, '-');
  if (!MODEL_NAME.test(name)) throw new CliUsageError(`--name '${name}' must match ${MODEL_NAME}`);
  const redisUrl = values.redis as string | undefined;
  const workers = intOption(values, 'workers', { min: redisUrl ? 0 : 1, max: 256 }) as number;
  const threads =
    intOption(values, 'threads', { min: 1, max: 1024 }) ??
    Math.max(1, Math.floor(availableParallelism() / Math.max(1, workers)));
  const maxBatch = intOption(values, 'max-batch', { min: 1, max: 4096 }) as number;
  const maxDelayMs = numberOption(values, 'max-delay-ms', { min: 0, max: 10_000 }) as number;
  const maxQueue = intOption(values, 'max-queue', { min: 1 }) as number;
  const bodyLimit = (numberOption(values, 'body-limit-mb', { min: 0.001, max: 4096 }) as number) * 1024 * 1024;
  const httpPort = intOption(values, 'http', { min: 0, max: 65535 }) ?? (redisUrl ? undefined : 8080);
  const host = values.host as string;
  const token = (values.token as string | undefined) ?? process.env.TSZOO_TOKEN;
  const transformModule = values.transform as string | undefined;
  const streamName = values['stream-name'] as string;
  const log = (m: string) => process.stderr.write(`[tszoo serve] ${m}\n`);

  let server: Server | null = null;
  const serverOptions = {
    host,
    bodyLimit,
    ...(token ? { token } : {}),
    ...(httpPort !== undefined ? { port: httpPort } : {}),
  };
  if (!redisUrl) {
    const transform = await loadTransform(transformModule);
    const model = await InferenceModel.load(modelPath, {
      backend,
      concurrency: workers,
      threadsPerWorker: threads,
      maxBatch,
      maxDelayMs,
      maxQueue,
      ...(transform ? { transform } : {}),
    });
    const r = model.info.backendReport;
    if (!model.info.transform) {
      log(
        `model ${name} takes tensors only: ${model.info.transformNote ?? 'it has no image transform'}; pass --transform MODULE for images`,
      );
    }
    log(
      `model ${name}: ${model.info.backend} (${r.reason}${r.timingsMs ? ` ${JSON.stringify(r.timingsMs)}` : ''}), ${workers} worker thread(s) x ${model.info.threadsPerWorker} threads`,
    );
    try {
      server = await startServer({ models: { [name]: model }, ...serverOptions });
    } catch (e) {
      await model.close();
      throw e;
    }
    process.stdout.write(`serving ${name} at ${server.url}/v1/models/${name}/predict\n`);
    log(`${await waitForSignal()}: draining`);
    await server.close();
    await model.close();
    return 0;
  }

  const config: WorkerProcessConfig = {
    model: modelPath,
    redisUrl,
    name: streamName,
    backend,
    threadsPerWorker: threads,
    maxBatch,
    maxDelayMs,
    ...(transformModule ? { transformModule: resolve(transformModule) } : {}),
  };
  const children = new Set<ChildProcess>();
  let stopping = false;
  const supervise = (child: ChildProcess) => {
    children.add(child);
    child.once('exit', (code, signal) => {
      children.delete(child);
      if (stopping) return;
      log(`a worker exited (${signal ?? code}); starting another`);
      forkWorker(config).then(supervise, (e: Error) => log(`cannot restart a worker: ${e.message}`));
    });
  };
  for (const child of await Promise.all(Array.from({ length: workers }, () => forkWorker(config)))) supervise(child);
  log(`${workers} worker process(es) in group 'serving' of tszoo:${streamName}:requests at ${redisUrl}`);
  let queue: InputQueue | null = null;
  if (httpPort !== undefined) {
    queue = new InputQueue(redisUrl, { name: streamName, maxLength: maxQueue });
    const predictor = new RedisPredictor(queue, { info: { model: modelPath, backend } });
    server = await startServer({ models: { [name]: predictor }, ...serverOptions });
    process.stdout.write(`serving ${name} at ${server.url}/v1/models/${name}/predict (through Redis)\n`);
  }
  log(`${await waitForSignal()}: draining`);
  stopping = true;
  await server?.close();
  await queue?.close();
  await Promise.all(
    [...children].map(
      (c) =>
        new Promise<void>((res) => {
          c.once('exit', () => res());
          c.kill('SIGTERM');
        }),
    ),
  );
  return 0;
}
