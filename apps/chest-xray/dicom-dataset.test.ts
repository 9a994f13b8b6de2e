/**
 * A folder of DICOM files with a labels CSV: indexed into the NIH path's rows (patient from the CSV or the
 * file's PatientID, File or SOPInstanceUID keys, the Split column or a random patient split), its data
 * problems listed (missing, unreadable, unknown label, no patient), and end to end through the CLI:
 * prepare -> train (a few iterations) from the Parquet index -> evaluate -> predict.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { CXR14_LABELS } from '../../src/data/datasets/chestxray14.js';
import { generateSyntheticCxr } from '../../src/data/datasets/synthetic-cxr.js';
import { decodeImageFile } from '../../src/data/image/decode-file.js';
import { runCommand } from './cli.testutil.js';
import { main as evaluate } from './commands/evaluate.js';
import { main as predict } from './commands/predict.js';
import { main as prepare } from './commands/prepare.js';
import { main as train } from './commands/train.js';
import { writeCxrDicom } from './dicom.testutil.js';
import { indexDicomFolder } from './dicom-dataset.js';

const dir = mkdtempSync(join(tmpdir(), 'tszoo-cxr-dicom-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const nih = join(dir, 'nih');
const dcm = join(dir, 'dicom');

interface Entry {
  file: string;
  labels: string;
  patient: string;
  split: 'train_val' | 'test';
  uid: string;
}
const entries: Entry[] = [];

const csvOf = (header: string, rows: string[][]) =>
  `${header}\n${rows.map((r) => r.map((c) => (c.includes(',') ? `"${c}"` : c)).join(',')).join('\n')}\n`;

// the synthetic NIH set, each PNG rewritten as a MONOCHROME1 DICOM in a folder per patient
before(async () => {
  await generateSyntheticCxr(nih, { count: 80, size: 32, seed: 11 });
  const test = new Set(readFileSync(join(nih, 'test_list.txt'), 'utf8').trim().split('\n'));
  const csv = readFileSync(join(nih, 'Data_Entry_2017_v2020.csv'), 'utf8').trim().split('\n').slice(1);
  for (const line of csv) {
    const [image, labels, , patient] = line.split(',') as [string, string, string, string];
    const pid = `PAT-${patient}`;
    const file = `${pid}/${image.replace('.png', '.dcm')}`;
    const { data, info } = await sharp(join(nih, 'images', image))
      .extractChannel(0)
      .raw()
      .toBuffer({ resolveWithObject: true });
    mkdirSync(join(dcm, pid), { recursive: true });
    const uid = `1.2.826.0.1.3680043.8.498.${entries.length + 1}`;
    writeCxrDicom(join(dcm, file), new Uint8Array(data), info.width, info.height, {
      patientId: pid,
      studyInstanceUid: uid,
    });
    entries.push({ file, labels, patient: pid, split: test.has(image) ? 'test' : 'train_val', uid: `${uid}.1` });
  }
  writeFileSync(
    join(dcm, 'labels.csv'),
    csvOf(
      'File,Finding Labels,Split',
      entries.map((e) => [e.file, e.labels, e.split]),
    ),
  );
});

describe('indexing a DICOM folder with a labels CSV', () => {
  it('File keys, patient from the DICOM header, the Split column honoured, validation carved by patient', () => {
    const index = indexDicomFolder(dcm, { valFraction: 0.3, seed: 2 });
    assert.equal(index.csvVersion, 'dicom');
    assert.equal(index.rows.length, entries.length);
    assert.deepEqual(index.problems, []);
    assert.equal(index.dicom?.unlabelled, 0);
    for (const r of index.rows) {
      const e = entries.find((x) => x.file === r.imageIndex) as Entry;
      assert.equal(r.patientId, e.patient, 'PatientID read from the file');
      assert.equal(r.split === 'test', e.split === 'test', r.imageIndex);
      assert.deepEqual(
        r.labels,
        CXR14_LABELS.map((l) => (e.labels.split('|').includes(l) ? 1 : 0)),
      );
    }
    assert.ok(index.rows.some((r) => r.split === 'val') && index.rows.some((r) => r.split === 'train'));
    const sides = new Map<string, Set<string>>();
    for (const r of index.rows) sides.set(r.patientId, (sides.get(r.patientId) ?? new Set()).add(r.split));
    assert.ok(
      [...sides.values()].every((s) => s.size === 1),
      'no patient in two parts',
    );
  });

  it('SOPInstanceUID keys and a Patient ID column; random-patient split without a Split column', () => {
    const csv = join(dir, 'by-uid.csv');
    writeFileSync(
      csv,
      csvOf(
        'SOPInstanceUID,Finding Labels,Patient ID',
        entries.map((e) => [e.uid, e.labels, `csv-${e.patient}`]),
      ),
    );
    assert.throws(() => indexDicomFolder(dcm, { labelsCsv: csv }), /no 'Split' column .* --split random-patient/);
    const index = indexDicomFolder(dcm, { labelsCsv: csv, split: 'random-patient', seed: 1 });
    assert.equal(index.rows.length, entries.length);
    const first = entries[0] as Entry;
    const row = index.rows.find((r) => r.imageIndex === first.file);
    assert.equal(row?.patientId, `csv-${first.patient}`, 'the CSV patient wins');
    assert.equal(index.problems.length, entries.length);
    assert.ok(index.problems.every((p) => p.kind === 'patient-mismatch'));
    assert.deepEqual(new Set(index.rows.map((r) => r.split)), new Set(['train', 'val', 'test']));
  });

  it('lists missing and unreadable files, unknown labels and rows without a patient; the others are kept', () => {
    const root = join(dir, 'problems');
    mkdirSync(join(root, 'a'), { recursive: true });
    const grey = new Uint8Array(16 * 16).fill(100);
    writeCxrDicom(join(root, 'a', 'ok.dcm'), grey, 16, 16, { patientId: 'P1', studyInstanceUid: '1.2.3' });
    writeCxrDicom(join(root, 'a', 'ok2.dcm'), grey, 16, 16, { patientId: 'P2', studyInstanceUid: '1.2.4' });
    writeCxrDicom(join(root, 'a', 'anon.dcm'), grey, 16, 16, { patientId: '', studyInstanceUid: '1.2.5' });
    writeCxrDicom(join(root, 'a', 'extra.dcm'), grey, 16, 16, { patientId: 'P3', studyInstanceUid: '1.2.6' });
    writeFileSync(join(root, 'a', 'broken.dcm'), Buffer.from('not a DICOM file at all'));
    writeFileSync(
      join(root, 'labels.csv'),
      csvOf('File,Finding Labels,Patient Age', [
        ['a/ok.dcm', 'Effusion|Mass', '412Y'],
        ['a/ok2.dcm', 'No Finding', '58'],
        ['a/gone.dcm', 'Mass', ''],
        ['a/broken.dcm', 'Mass', ''],
        ['a/anon.dcm', 'Mass', ''],
        ['a/ok2.dcm', 'Infiltrate', ''],
        ['../outside.dcm', 'Mass', ''],
      ]),
    );
    const index = indexDicomFolder(root, { split: 'random-patient' });
    assert.deepEqual(
      index.rows.map((r) => [r.imageIndex, r.patientId, r.age]),
      [
        ['a/ok.dcm', 'P1', null],
        ['a/ok2.dcm', 'P2', 58],
      ],
    );
    assert.deepEqual(
      index.problems.map((p) => [p.kind, p.imageIndex]),
      [
        ['bad-age', 'a/ok.dcm'],
        ['missing-file', 'a/gone.dcm'],
        ['unreadable-file', 'a/broken.dcm'],
        ['no-patient', 'a/anon.dcm'],
        ['duplicate', 'a/ok2.dcm'],
        ['bad-row', '../outside.dcm'],
      ],
    );
    assert.equal(index.dicom?.unlabelled, 1, 'extra.dcm is not in the CSV');
    // an unknown label: its own problem, mapped by option
    writeFileSync(join(root, 'labels.csv'), csvOf('File,Finding Labels', [['a/ok.dcm', 'Infiltrate|Mass']]));
    assert.throws(() => indexDicomFolder(root, { split: 'random-patient' }), /no usable image/);
    const mapped = indexDicomFolder(root, { split: 'random-patient', labelMap: { Infiltrate: 'Infiltration' } });
    assert.equal(mapped.rows[0]?.labels[3], 1);
  });

  it('end to end: prepare -> train from the index -> evaluate -> predict', async () => {
    const index = join(dir, 'index.parquet');
    const prepared = await runCommand(prepare, ['--data', dcm, '--out', index, '--val-fraction', '0.25']);
    assert.equal(prepared.status, 0);
    assert.match(prepared.out, /DICOM folder at .* \(80 DICOM files/);
    assert.match(prepared.out, /DICOM files not in the labels CSV: 0/);
    assert.match(prepared.out, /data problems: none/);
    assert.match(prepared.out, /^images\s+\d+\s+\d+\s+\d+$/m);
    const model = join(dir, 'model');
    const trained = await runCommand(train, [
      '--index',
      index,
      '--out',
      model,
      ...['--backbone', 'small-cnn', '--width', '4', '--in-channels', '1', '--resize', '32', '--crop', '32'],
      ...['--normalize', 'none', '--epochs', '1', '--warmup-epochs', '0', '--batch-size', '16', '--workers', '0'],
    ]);
    assert.equal(trained.status, 0);
    assert.match(trained.out, /0 unreadable samples skipped/);
    const out = join(dir, 'run');
    const evaluated = await runCommand(evaluate, [
      '--index',
      index,
      '--model',
      model,
      '--out',
      out,
      '--bootstrap',
      '10',
      '--worklist',
      '5',
    ]);
    assert.equal(evaluated.status, 0);
    assert.match(evaluated.out, /^mean\s+\d\.\d{3}/m);
    const report = readFileSync(join(out, 'report.html'), 'utf8');
    assert.match(report, /<h3>Precision-recall curves<\/h3>/);
    assert.ok((report.match(/<path class="pr-curve"/g) ?? []).length >= 1, 'PR curves beside the ROC curves');
    const worklist = JSON.parse(readFileSync(join(out, 'worklist', 'worklist.json'), 'utf8')) as {
      studies: { id: string; dicom?: boolean; patientId?: string }[];
    };
    assert.equal(worklist.studies.length, 5);
    assert.ok(worklist.studies.every((s) => s.dicom === true && /^PAT-\d+$/.test(s.patientId ?? '')));
    const csv = join(dir, 'pred.json');
    const e = entries[0] as Entry;
    const predicted = await runCommand(predict, ['--model', model, '--out', csv, join(dcm, e.file)]);
    assert.equal(predicted.status, 0);
    const rows = JSON.parse(readFileSync(csv, 'utf8')) as Record<string, unknown>[];
    assert.equal(rows[0]?.patientId, e.patient);
    assert.equal(rows[0]?.studyInstanceUid, e.uid.replace(/\.1$/, ''));
    // the file decodes to the PNG it was written from (MONOCHROME1, window 2040/4080)
    const png = await decodeImageFile(join(nih, 'images', e.file.split('/')[1]?.replace('.dcm', '.png') as string), {
      colour: 'grey',
    });
    const back = await decodeImageFile(join(dcm, e.file), { colour: 'grey' });
    assert.deepEqual(Array.from(back.data), Array.from(png.data));
  });
});
