/**
 * The review server (fastify): the review page (static HTML/JS/CSS), the worklist and study API, the
 * studies' pixels and heatmaps, reviews stored in DuckDB with a CSV export, and a predict endpoint.
 * Binds 127.0.0.1 by default; bound to any other address it requires a bearer token on every /api
 * call. Study ids are checked against the worklist and never become paths; bodies are size-capped.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { CXR14_LABELS } from '../../../src/data/datasets/chestxray14.js';
import { type HeatmapFile, readWorklist, STUDY_ID, type Study, type Worklist } from '../worklist.js';
import { displayPixels } from './pixels.js';
import type { Predictor } from './predictor.js';
import { ReviewStore } from './review-store.js';

export interface ReviewServerOptions {
  /** a worklist folder (evaluate, predict --worklist or explain wrote it) */
  worklistDir: string;
  /** the DuckDB file of the reviews */
  db: string;
  host?: string;
  /** 0: any free port */
  port?: number;
  /** required when host is not loopback (generated when absent) */
  token?: string | undefined;
  /** enables POST /api/predict */
  predictor?: { predict: Predictor; thresholds: number[] } | undefined;
  /** largest accepted body (default 32 MiB) */
  maxBodyBytes?: number;
}

export interface ReviewServer {
  url: string;
  /** the bearer token, or null on loopback without one */
  token: string | null;
  app: FastifyInstance;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const STATIC: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

function pageDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // next to the source (ts-node, tests from the source tree) or, from dist/, the source tree's copy
  for (const dir of [
    join(here, '..', 'review-page'),
    join(here, '..', '..', '..', '..', 'apps', 'chest-xray', 'review-page'),
  ]) {
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  throw new Error('review server: the review page (apps/chest-xray/review-page) is missing');
}

const sameSecret = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * Starts the server and resolves once it listens.
 *
 * @example
 * ```ts
 * const server = await startReviewServer({ worklistDir: 'runs/cxr/worklist', db: 'runs/cxr/reviews.duckdb' });
 * console.log(server.url); // http://127.0.0.1:8080/
 * ```
 */
export async function startReviewServer(options: ReviewServerOptions): Promise<ReviewServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? (LOOPBACK.has(host) ? null : randomBytes(24).toString('base64url'));
  if (token !== null && !/^[A-Za-z0-9._~+/=-]{16,200}$/.test(token)) {
    throw new Error('review server: the token must be 16 to 200 URL-safe characters');
  }
  const worklist: Worklist = readWorklist(options.worklistDir);
  const studies = new Map<string, Study>(worklist.studies.map((s) => [s.id, s]));
  const store = await ReviewStore.open(options.db);
  const pages = pageDir();
  const app = Fastify({ bodyLimit: options.maxBodyBytes ?? 32 * 1024 * 1024, logger: false });
  app.addContentTypeParser(
    ['image/png', 'image/jpeg', 'application/dicom', 'application/octet-stream'],
    { parseAs: 'buffer' },
    (_req, body, done) => done(null, body),
  );

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (token === null || !req.url.startsWith('/api/')) return;
    const header = req.headers.authorization ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!sameSecret(given, token)) {
      reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or wrong bearer token' });
    }
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('content-security-policy', "default-src 'self'; img-src 'self' data: blob:; style-src 'self'");
    return payload;
  });

  const sendPage = (name: string) => async (_req: FastifyRequest, reply: FastifyReply) =>
    reply.type(STATIC[name] as string).send(readFileSync(join(pages, name)));
  app.get('/', sendPage('index.html'));
  app.get('/app.js', sendPage('app.js'));
  app.get('/style.css', sendPage('style.css'));

  /** The study named in the URL, or a 400/404 reply: ids are looked up, never joined into paths. */
  const studyOf = (req: FastifyRequest, reply: FastifyReply): Study | null => {
    const id = (req.params as { id?: string }).id ?? '';
    if (!STUDY_ID.test(id)) {
      reply.code(400).send({ error: `bad study id '${id.slice(0, 60)}'` });
      return null;
    }
    const s = studies.get(id);
    if (!s) {
      reply.code(404).send({ error: `no study '${id}' on the worklist` });
      return null;
    }
    return s;
  };

  app.get('/api/worklist', async () => {
    const reviewed = await store.reviewedCounts();
    return {
      labels: worklist.labels,
      thresholds: worklist.thresholds,
      source: worklist.source,
      studies: worklist.studies.map((s) => ({
        id: s.id,
        patientId: s.patientId ?? null,
        priority: s.priority,
        flags: s.flags,
        top: CXR14_LABELS.map((l, k) => ({ label: l, p: s.probabilities[k] as number }))
          .sort((a, b) => b.p - a.p)
          .slice(0, 3),
        reviewed: reviewed.get(s.id) ?? 0,
        dicom: s.dicom === true,
      })),
    };
  });

  app.get('/api/studies/:id', async (req, reply) => {
    const s = studyOf(req, reply);
    if (!s) return reply;
    const hasHeatmap = existsSync(join(options.worklistDir, 'maps', `${s.id}.json`));
    return {
      id: s.id,
      patientId: s.patientId ?? null,
      studyInstanceUid: s.studyInstanceUid ?? null,
      probabilities: s.probabilities,
      flags: s.flags,
      priority: s.priority,
      truth: s.truth ?? null,
      dicom: s.dicom === true,
      labels: worklist.labels,
      thresholds: worklist.thresholds,
      hasHeatmap,
      reviews: await store.current(s.id),
    };
  });

  app.get('/api/studies/:id/pixels', async (req, reply) => {
    const s = studyOf(req, reply);
    if (!s) return reply;
    const d = await displayPixels(s.file);
    return reply
      .type('application/octet-stream')
      .header('x-width', d.width)
      .header('x-height', d.height)
      .header('x-min', d.min)
      .header('x-max', d.max)
      .header('x-window-center', d.windowCenter)
      .header('x-window-width', d.windowWidth)
      .send(Buffer.from(d.pixels.buffer, d.pixels.byteOffset, d.pixels.byteLength));
  });

  app.get('/api/studies/:id/heatmap', async (req, reply) => {
    const s = studyOf(req, reply);
    if (!s) return reply;
    const path = join(options.worklistDir, 'maps', `${s.id}.json`);
    if (!existsSync(path)) return reply.code(404).send({ error: `no heatmap for '${s.id}'` });
    return JSON.parse(readFileSync(path, 'utf8')) as HeatmapFile;
  });

  app.put('/api/studies/:id/reviews/:finding', async (req, reply) => {
    const s = studyOf(req, reply);
    if (!s) return reply;
    const finding = (req.params as { finding: string }).finding;
    if (!(CXR14_LABELS as readonly string[]).includes(finding))
      return reply.code(400).send({ error: `unknown finding '${finding.slice(0, 60)}'` });
    const body = req.body as { verdict?: unknown; note?: unknown; reviewer?: unknown } | null;
    if (!body || typeof body !== 'object')
      return reply.code(400).send({ error: 'expected a JSON body { verdict, note? }' });
    if (body.verdict !== 'agree' && body.verdict !== 'disagree')
      return reply.code(400).send({ error: "verdict must be 'agree' or 'disagree'" });
    const note = body.note ?? '';
    if (typeof note !== 'string' || note.length > 2000)
      return reply.code(400).send({ error: 'note must be a string of at most 2000 characters' });
    const reviewer = body.reviewer ?? 'reviewer';
    if (typeof reviewer !== 'string' || !/^[\w .@-]{1,80}$/.test(reviewer))
      return reply.code(400).send({ error: 'reviewer must be 1-80 plain characters' });
    return store.add({ studyId: s.id, finding, verdict: body.verdict, note, reviewer });
  });

  app.get('/api/reviews.csv', async (_req, reply) =>
    reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="reviews.csv"')
      .send(await store.exportCsv()),
  );

  app.post('/api/predict', async (req, reply) => {
    if (!options.predictor) return reply.code(404).send({ error: 'no model loaded: start the server with --model' });
    const body = req.body;
    if (!Buffer.isBuffer(body) || body.length === 0) {
      return reply
        .code(415)
        .send({ error: 'send the image bytes with Content-Type image/png, image/jpeg or application/dicom' });
    }
    const isDicom =
      req.headers['content-type'] === 'application/dicom' ||
      (body.length > 132 && body.subarray(128, 132).toString('latin1') === 'DICM');
    const file = join(tmpdir(), `tszoo-cxr-${randomBytes(8).toString('hex')}${isDicom ? '.dcm' : '.img'}`);
    writeFileSync(file, body, { mode: 0o600 });
    try {
      const p = await options.predictor.predict(file);
      return { labels: CXR14_LABELS, thresholds: options.predictor.thresholds, ...p };
    } catch (e) {
      return reply.code(422).send({ error: `cannot read the image: ${(e as Error).message}` });
    } finally {
      rmSync(file, { force: true });
    }
  });

  app.setErrorHandler((error, _req, reply) => {
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    reply.code(status >= 400 && status < 600 ? status : 500).send({ error: (error as Error).message });
  });

  await app.listen({ host, port: options.port ?? 8080 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 8080);
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/`,
    token,
    app,
    async close() {
      await app.close();
      await store.close();
    },
  };
}
