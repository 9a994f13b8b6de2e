/** `tszoo cxr serve` / `tszoo cxr review`: the review page and API, with a predict endpoint when a model is given. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type CliCommand, formatHelp, intOption, parseCommand } from '../../../src/util/cli.js';
import { inferencePredictor } from '../server/inference-predictor.js';
import { localPredictor } from '../server/predictor.js';
import { startReviewServer } from '../server/server.js';

export const SERVE_COMMAND: CliCommand = {
  name: 'cxr serve',
  summary:
    'Serve the review page (worklist by triage priority, study view with window/level and heatmaps, agree/disagree per finding) and, with a model, POST /api/predict. Reviews go to a DuckDB file.',
  options: {
    worklist: {
      type: 'string',
      value: 'DIR',
      default: 'runs/cxr/worklist',
      help: "a worklist ('cxr evaluate', 'cxr predict --worklist', 'cxr explain')",
    },
    model: {
      type: 'string',
      value: 'DIR',
      help: 'a trained model: enables POST /api/predict (default for serve: runs/cxr/model)',
    },
    db: { type: 'string', value: 'FILE', help: 'the reviews database (default: <worklist>/reviews.duckdb)' },
    host: {
      type: 'string',
      value: 'ADDR',
      default: '127.0.0.1',
      help: 'address to bind; any non-loopback address requires a token',
    },
    port: { type: 'string', value: 'N', default: '8080', help: 'port (0: any free one)' },
    token: {
      type: 'string',
      value: 'TOKEN',
      help: 'bearer token for /api (default: $CXR_TOKEN; generated when bound wider than loopback)',
    },
    'in-process': {
      type: 'boolean',
      help: "predict with the model in the server's thread instead of src/serving's InferenceModel (worker threads, batching)",
    },
    review: {
      type: 'boolean',
      help: 'review only (no predict endpoint unless --model is given); what `cxr review` sets',
    },
  },
  epilog: [
    'Examples:',
    '  tszoo cxr review --worklist runs/cxr/worklist',
    '  tszoo cxr serve --model runs/cxr/model --host 0.0.0.0 --port 8443   # prints the token',
    '  curl -H "Content-Type: image/png" --data-binary @chest.png http://127.0.0.1:8080/api/predict',
  ].join('\n'),
};

export async function main(argv: string[]): Promise<number> {
  const { values, help } = parseCommand(SERVE_COMMAND, argv);
  if (help) {
    process.stdout.write(formatHelp(SERVE_COMMAND));
    return 0;
  }
  const worklistDir = resolve(values.worklist as string);
  const modelArg = (values.model as string | undefined) ?? (values.review ? undefined : 'runs/cxr/model');
  const modelDir = modelArg ? resolve(modelArg) : undefined;
  let predictor: Awaited<ReturnType<typeof localPredictor>> | undefined;
  let closeModel = async () => {};
  if (modelDir && existsSync(join(modelDir, 'cxr.json'))) {
    if (values['in-process'] !== true) {
      const served = await inferencePredictor(modelDir);
      predictor = served;
      closeModel = served.close;
      process.stdout.write(
        `model: ${modelDir} (InferenceModel, ${served.model.info.backend}, batches up to ${served.model.info.maxBatch})\n`,
      );
    } else predictor = await localPredictor(modelDir);
  } else if (modelDir) process.stderr.write(`note: no model in ${modelDir}: POST /api/predict is off\n`);
  const server = await startReviewServer({
    worklistDir,
    db: resolve((values.db as string | undefined) ?? join(worklistDir, 'reviews.duckdb')),
    host: values.host as string,
    port: intOption(values, 'port', { min: 0, max: 65535 }) as number,
    token: (values.token as string | undefined) ?? process.env.CXR_TOKEN,
    predictor,
  });
  const link = server.token ? `${server.url}#token=${server.token}` : server.url;
  process.stdout.write(`review page: ${link}\n`);
  if (server.token) process.stdout.write(`API token (Authorization: Bearer ...): ${server.token}\n`);
  process.stdout.write('Ctrl-C stops the server.\n');
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  await closeModel();
  return 0;
}
