import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DataFrame, Session } from './index.js';

const fixtures = fileURLToPath(new URL('../../../../test/fixtures/dataframe/', import.meta.url));
const session = new Session();
let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tszoo-df-'));
});
after(async () => {
  await session.close();
  await rm(dir, { recursive: true, force: true });
});

const CXR_COLUMNS = [
  'Image Index',
  'Finding Labels',
  'Follow-up #',
  'Patient ID',
  'Patient Age',
  'Patient Gender',
  'View Position',
  'OriginalImage_Width',
  'OriginalImage_Height',
  'OriginalImagePixelSpacing_x',
  'OriginalImagePixelSpacing_y',
];

describe('DataFrame readers and writers', () => {
  it('fromRows keeps lists of strings as strings, lists of numbers as numbers', async () => {
    const rows = await DataFrame.fromRows([
      { findings: ['Left'], p: [0.5, 1] },
      { findings: [], p: [1, 2.5] },
      { findings: ['Left', 'Right'], p: [0, 0] },
    ]).collect();
    assert.deepEqual(
      rows.map((r) => r.findings),
      [['Left'], [], ['Left', 'Right']],
    );
    assert.deepEqual(rows[1]?.p, [1, 2.5]);
    assert.throws(() => DataFrame.fromRows([{ a: ['x', 1] }]), /column "a" mixes strings and numbers/);
  });

  it('reads a CSV with nulls and sniffed types', async () => {
    const df = DataFrame.readCsv(join(fixtures, 'people.csv'), { session });
    assert.deepEqual(
      (await df.schema()).map((c) => `${c.name}:${c.type}`),
      ['id:BIGINT', 'name:VARCHAR', 'age:BIGINT', 'city:VARCHAR'],
    );
    assert.deepEqual((await df.collect())[1], { id: 2, name: 'Bob', age: null, city: 'Rome' });
  });

  it('type overrides, delimiter, header-less files', async () => {
    const path = join(dir, 'semi.csv');
    await writeFile(path, 'code;value\n007;1.5\n010;2\n');
    const df = DataFrame.readCsv(path, { session, delimiter: ';', types: { code: 'VARCHAR', value: 'FLOAT' } });
    assert.deepEqual(await df.collect(), [
      { code: '007', value: 1.5 },
      { code: '010', value: 2 },
    ]);
    const raw = join(dir, 'raw.csv');
    await writeFile(raw, '1,a\n2,b\n');
    const noHeader = DataFrame.readCsv(raw, { session, header: false, names: ['n', 's'] });
    assert.deepEqual(await noHeader.toColumns(), { n: [1, 2], s: ['a', 'b'] });
  });

  it('ChestX-ray14 v2020 header: OriginalImage[Width,Height] split into two named columns', async () => {
    const df = DataFrame.readCsv(join(fixtures, 'cxr14_v2020.csv'), { session });
    assert.deepEqual(await df.columns(), CXR_COLUMNS);
    const rows = await df.collect();
    assert.equal(rows.length, 10);
    assert.deepEqual(rows[0], {
      'Image Index': '00000001_000.png',
      'Finding Labels': 'Cardiomegaly',
      'Follow-up #': 0,
      'Patient ID': 1,
      'Patient Age': 57,
      'Patient Gender': 'M',
      'View Position': 'PA',
      OriginalImage_Width: 2682,
      OriginalImage_Height: 2749,
      OriginalImagePixelSpacing_x: 0.143,
      OriginalImagePixelSpacing_y: 0.143,
    });
  });

  it('ChestX-ray14 2017 header: trailing comma dropped, ages like 058Y kept as text', async () => {
    const df = DataFrame.readCsv(join(fixtures, 'cxr14_2017.csv'), { session });
    assert.deepEqual(await df.columns(), CXR_COLUMNS);
    const ages = await df
      .withColumn('age_years', 'TRY_CAST(regexp_extract("Patient Age", \'^(\\d+)Y$\', 1) AS INTEGER)')
      .select('Patient Age', 'age_years')
      .limit(1, 8)
      .collect();
    assert.deepEqual(ages, [{ 'Patient Age': '011M', age_years: null }]);
    const first = (await df.limit(1).collect())[0]!;
    assert.equal(first['Patient Age'], '058Y');
    assert.equal(first['Patient ID'], 1);
    // data rows without the trailing comma (header only has it) read the same
    const path = join(dir, 'cxr_no_trailing.csv');
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(join(fixtures, 'cxr14_2017.csv'), 'utf8');
    const lines = text.trim().split('\n');
    await writeFile(path, `${[lines[0], ...lines.slice(1).map((l) => l.replace(/,$/, ''))].join('\n')}\n`);
    const df2 = DataFrame.readCsv(path, { session });
    assert.deepEqual(await df2.columns(), CXR_COLUMNS);
    assert.deepEqual(await df2.collect(), await df.collect());
  });

  it('JSON lines and JSON arrays', async () => {
    const lines = await DataFrame.readJson(join(fixtures, 'people.jsonl'), { session }).collect();
    assert.deepEqual(lines, [
      { id: 1, score: 0.5, tags: ['a', 'b'] },
      { id: 2, score: 1.5, tags: [] },
      { id: 9, score: null, tags: ['c'] },
    ]);
    const arr = await DataFrame.readJson(join(fixtures, 'people_array.json'), { session, format: 'array' }).collect();
    assert.deepEqual(arr, [
      { id: 1, score: 0.5 },
      { id: 2, score: 1.5 },
    ]);
  });

  it('round trips through Parquet and CSV', async () => {
    const src = DataFrame.fromRows(
      [
        { id: 1, name: 'a,b', x: 0.25, ok: true, when: new Date('2024-01-02T03:04:05Z'), v: [1, 2] },
        { id: 2, name: 'quote "q"', x: -1, ok: false, when: null, v: [] },
      ],
      { session },
    );
    const pq = join(dir, 'out.parquet');
    await src.writeParquet(pq);
    assert.deepEqual(await DataFrame.readParquet(pq, { session }).collect(), await src.collect());
    const csv = join(dir, 'out.csv');
    await src.drop('v').writeCsv(csv);
    const back = await DataFrame.readCsv(csv, { session }).collect();
    assert.deepEqual(back[0], { id: 1, name: 'a,b', x: 0.25, ok: true, when: new Date('2024-01-02T03:04:05Z') });
    assert.deepEqual(back[1], { id: 2, name: 'quote "q"', x: -1, ok: false, when: null });
  });
});
