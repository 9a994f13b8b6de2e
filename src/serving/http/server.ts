/**
 * The HTTP frontend (fastify): predictions by model name, the model list, health, readiness, Prometheus
 * metrics and an OpenAPI document. Loopback by default; a bearer token is required on any other address.
 */
import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { BusyError } from '../inference-model.js';
import { type Predictor, PredictTimeoutError } from '../predictor.js';
import { predictionJson } from '../scores.js';
import { InputError, isTensorPayload, type TensorPayload } from '../tensor-payload.js';
import { ServerMetrics } from './metrics.js';
import { openApiDocument } from './openapi.js';

/** Model names a URL may carry: letters, digits, '.', '_', '-' (never a path). */
export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Content types read as encoded image or DICOM bytes. */
export const BINARY_TYPES = [
  'image/png',
  'image/jpeg',
  'image/tiff',
  'image/webp',
  'application/dicom',
  'application/octet-stream',
];

/** Options of {@link startServer}. */
export interface ServerOptions {
  /** the registry: name -> model (names must match {@link MODEL_NAME}) */
  models: Record<string, Predictor>;
  /** default '127.0.0.1'; any other address requires `token` */
  host?: string;
  /** default 8080; 0 picks a free port */
  port?: number;
  /** bearer token required on every route but /healthz and /readyz (required when not on loopback) */
  token?: string;
  /** largest request body in bytes (default 32 MiB): larger ones get 413 */
  bodyLimit?: number;
  /** adds routes or static pages to the server before it listens (e.g. an application's review page) */
  routes?: (app: FastifyInstance) => void | Promise<void>;
}

/** A running server. */
export interface Server {
  app: FastifyInstance;
  /** e.g. 'http://127.0.0.1:8080' */
  url: string;
  port: number;
  /** Stops accepting, answers the requests in flight, then closes (readyz says 503 meanwhile). */
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

function statusOf(e: Error): number {
  if (e instanceof InputError) return 400;
  if (e instanceof BusyError || e.name === 'BusyError') return 429;
  if (e instanceof PredictTimeoutError) return 504;
  const code = (e as FastifyError).statusCode;
  return typeof code === 'number' && code >= 400 && code < 600 ? code : 500;
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer (.+)$/.exec(header ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1] as string);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Starts the HTTP frontend.
 *
 * @example
 * ```ts
 * const model = await InferenceModel.load('models/tiny', { transform: ToTensor() });
 * const server = await startServer({ models: { tiny: model }, port: 8080 });
 * // curl -X POST --data-binary @cat.png -H 'content-type: image/png' http://127.0.0.1:8080/v1/models/tiny/predict
 * await server.close();
 * ```
 */
export async function startServer(options: ServerOptions): Promise<Server> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token;
  if (!LOOPBACK.has(host) && !token) {
    throw new Error(`serving: binding ${host} (not loopback) needs a bearer token (--token or TSZOO_TOKEN)`);
  }
  for (const name of Object.keys(options.models)) {
    if (!MODEL_NAME.test(name)) throw new Error(`serving: model name '${name}' must match ${MODEL_NAME}`);
  }
  const models = new Map(Object.entries(options.models));
  const metrics = new ServerMetrics();
  let draining = false;
  const app = Fastify({
    bodyLimit: options.bodyLimit ?? 32 * 1024 * 1024,
    logger: false,
    forceCloseConnections: 'idle',
  });
  app.addContentTypeParser(BINARY_TYPES, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.addHook('onRequest', async (req, reply) => {
    if (!token || req.url === '/healthz' || req.url === '/readyz') return;
    if (!tokenMatches(req.headers.authorization, token)) {
      reply.header('www-authenticate', 'Bearer');
      return reply.code(401).send({ error: 'missing or wrong bearer token', statusCode: 401 });
    }
  });

  app.setErrorHandler((e: FastifyError, _req, reply) => {
    const status = statusOf(e);
    if (status === 429) reply.header('retry-after', String((e as unknown as BusyError).retryAfterSeconds ?? 1));
    const message = status >= 500 && status !== 504 && status !== 503 ? `internal error: ${e.message}` : e.message;
    reply.code(status).send({ error: message, statusCode: status });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error: `no route ${req.method} ${req.url}`, statusCode: 404 });
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    if (draining) return reply.code(503).send({ status: 'draining' });
    return { status: 'ready', models: [...models.keys()] };
  });
  // what each model is, without server file paths
  const described = (info: object) =>
    Object.fromEntries(Object.entries(info).filter(([k]) => k !== 'path' && k !== 'model'));
  app.get('/v1/models', async () => ({
    models: Object.fromEntries([...models].map(([name, m]) => [name, described(m.info)])),
  }));
  app.get('/openapi.json', async () => openApiDocument([...models.keys()]));
  app.get('/metrics', async (_req, reply) => {
    reply.type('text/plain; version=0.0.4');
    // a model whose figures live elsewhere (Redis) that cannot be read now keeps its last ones
    await Promise.all([...models.values()].map((m) => m.refresh?.().catch(() => {})));
    const gauges = Object.fromEntries(
      [...models].map(([name, m]) => [
        name,
        { queueDepth: m.queueDepth, workers: m.workers, batchSizes: m.batchSizes },
      ]),
    );
    return metrics.render(gauges);
  });

  app.post<{ Params: { name: string } }>('/v1/models/:name/predict', async (req, reply) => {
    const started = performance.now();
    const { name } = req.params;
    let status = 200;
    try {
      if (!MODEL_NAME.test(name)) {
        throw new InputError(
          `invalid model name ${JSON.stringify(name.slice(0, 80))}: use letters, digits, '.', '_', '-'`,
        );
      }
      const model = models.get(name);
      if (!model) {
        const e = new Error(`unknown model '${name}'; served: ${[...models.keys()].join(', ')}`) as FastifyError;
        e.statusCode = 404;
        throw e;
      }
      const body = req.body;
      let predictions: Record<string, unknown>[];
      if (Buffer.isBuffer(body)) {
        if (body.length === 0) throw new InputError('empty body: send image or DICOM bytes, or a JSON tensor');
        predictions = [
          predictionJson(await model.predictOne(new Uint8Array(body), `request body (${req.headers['content-type']})`)),
        ];
      } else if (isTensorPayload(body)) {
        predictions = (await model.predict(body as TensorPayload)).map(predictionJson);
      } else {
        throw new InputError('a JSON body must be a tensor { dtype, shape: [batch, ...sample], data }');
      }
      return { model: name, predictions };
    } catch (e) {
      status = statusOf(e as Error);
      throw e;
    } finally {
      metrics.observe(
        MODEL_NAME.test(name) && models.has(name) ? name : '(unknown)',
        status,
        (performance.now() - started) / 1000,
      );
      void reply;
    }
  });

  if (options.routes) await options.routes(app);
  await app.listen({ host, port: options.port ?? 8080 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 8080);
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    app,
    url: `http://${shownHost}:${port}`,
    port,
    async close() {
      draining = true;
      await app.close();
    },
  };
}
