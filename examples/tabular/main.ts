/**
 * The tabular example: a Spark ML pipeline on a CSV, with an NN regressor as its last stage. Without --csv
 * it writes a synthetic insurance-charges CSV first. Last line: `test_r2 <x> test_rmse <y>`.
 *
 *   npm run example:tabular -- [--csv file.csv] [--epochs 60] [--out runs/tabular] [--seed 1]
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type CliCommand, CliUsageError, formatHelp, intOption, parseCommand } from '../../src/util/cli.js';
import { runTabular, writeSyntheticInsuranceCsv } from './recipe.js';

const command: CliCommand = {
  name: 'example:tabular',
  summary:
    'Fits Imputer, StringIndexer, OneHotEncoder, VectorAssembler, StandardScaler and an MLP regressor on a CSV\n' +
    '(columns age, bmi, children, smoker, region, charges), evaluates it, saves, reloads and predicts.',
  options: {
    csv: { type: 'string', value: 'FILE', help: 'the CSV (default: a synthetic one written to --out)' },
    epochs: { type: 'string', default: '60', help: 'training epochs' },
    out: { type: 'string', default: 'runs/tabular', value: 'DIR', help: 'where the fitted pipeline is saved' },
    seed: { type: 'string', default: '1', help: 'seed of the split, the weights and the shuffling' },
  },
};

try {
  const { values, help } = parseCommand(command, process.argv.slice(2));
  if (help) {
    process.stdout.write(formatHelp(command));
    process.exit(0);
  }
  const out = values.out as string;
  mkdirSync(out, { recursive: true });
  let csv = values.csv as string | undefined;
  if (!csv) {
    csv = join(out, 'insurance.csv');
    await writeSyntheticInsuranceCsv(csv);
  }
  const r = await runTabular({
    csv,
    out: join(out, 'pipeline'),
    epochs: intOption(values, 'epochs', { min: 1 }) as number,
    seed: intOption(values, 'seed', { min: 0 }) as number,
  });
  console.log(`train: r2 ${r.train.r2.toFixed(3)}, rmse ${(r.train.rmse * 10000).toFixed(0)}`);
  for (const s of r.sample) console.log(`charges ${s.charges}, predicted ${s.prediction.toFixed(0)}`);
  console.log(`test_r2 ${r.test.r2.toFixed(4)} test_rmse ${(r.test.rmse * 10000).toFixed(0)}`);
} catch (e) {
  if (e instanceof CliUsageError) {
    process.stderr.write(`${e.message}\n\n${formatHelp(command)}`);
    process.exit(2);
  }
  throw e;
}
