// Event files: CRC-32C against RFC 3720's vectors, Event bytes against the protobuf wire format worked
// out by hand, write/read round trips, corruption and truncation, kill -9 and exit safety; JSON lines.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  crc32c,
  decodeEvent,
  decodeRecords,
  EventFileWriter,
  encodeEvent,
  encodeRecord,
  JsonLinesWriter,
  maskedCrc32c,
  readEventFile,
  readJsonLines,
  readRuns,
  readScalars,
  TrainSummary,
  ValidationSummary,
} from './index.js';

const root = mkdtempSync(join(tmpdir(), 'tszoo-summary-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => join(root, `d${dirs++}`);
const fixture = fileURLToPath(new URL('./event-writer.fixture.js', import.meta.url));

describe('CRC-32C', () => {
  it('matches the test vectors of RFC 3720 (B.4) and the check value of "123456789"', () => {
    const ascending = Uint8Array.from({ length: 32 }, (_, i) => i);
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
    assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
    assert.equal(crc32c(ascending), 0x46dd794e);
    assert.equal(crc32c(ascending.slice().reverse()), 0x113fdb5c);
    assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
  });

  it('masks as TFRecord does: rotate right 15, add 0xa282ead8 (mod 2^32)', () => {
    // crc("123456789") = 0xe3069283: rotated right by 15 = 0x2507c60d; + 0xa282ead8 = 0xc78ab0e5
    assert.equal(maskedCrc32c(new TextEncoder().encode('123456789')), 0xc78ab0e5);
  });
});

describe('records and events', () => {
  it('encodes an Event byte for byte as the protobuf wire format prescribes', () => {
    // Event{wall_time=1.5 (field 1, fixed64), step=3 (field 2, varint),
    //       summary (field 5) = Summary{value (field 1) = Value{tag="Loss" (1), simple_value=0.5 (2, fixed32)}}}
    const expected = [
      0x09, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f, 0x10, 0x03, 0x2a, 0x0d, 0x0a, 0x0b, 0x0a, 0x04, 0x4c, 0x6f, 0x73, 0x73, 0x15,
      0, 0, 0, 0x3f,
    ];
    const bytes = encodeEvent({ wallTime: 1.5, step: 3, summary: { value: [{ tag: 'Loss', simpleValue: 0.5 }] } });
    assert.deepEqual(Array.from(bytes), expected);
    // file_version is field 3, a length-delimited string
    const header = encodeEvent({ wallTime: 0, step: 0, fileVersion: 'brain.Event:2' });
    assert.deepEqual(Array.from(header.subarray(-15)), [0x1a, 13, ...Buffer.from('brain.Event:2')]);
    assert.deepEqual(decodeEvent(bytes), {
      wallTime: 1.5,
      step: 3,
      summary: { value: [{ tag: 'Loss', simpleValue: 0.5 }] },
    });
  });

  it('frames a record: length, masked CRC of the length, data, masked CRC of the data', () => {
    const data = new TextEncoder().encode('123456789');
    const record = encodeRecord(data);
    assert.equal(record.length, 8 + 4 + 9 + 4);
    assert.equal(record.readBigUInt64LE(0), 9n);
    assert.equal(record.readUInt32LE(8), maskedCrc32c(record.subarray(0, 8)));
    assert.deepEqual(record.subarray(12, 21), Buffer.from(data));
    assert.equal(record.readUInt32LE(21), 0xc78ab0e5);
  });

  it('finds corruption in the length or the data, naming the file and the byte offset', () => {
    const two = Buffer.concat([encodeRecord(Buffer.from('first')), encodeRecord(Buffer.from('second'))]);
    const second = encodeRecord(Buffer.from('first')).length;
    const badData = Buffer.from(two);
    badData[second + 13] = (badData[second + 13] as number) ^ 1;
    assert.throws(
      () => decodeRecords(badData, 'f.tfevents'),
      /f\.tfevents: record at byte 21 \(6 bytes\): data CRC mismatch/,
    );
    const badLength = Buffer.from(two);
    badLength[second] = 7;
    assert.throws(() => decodeRecords(badLength, 'f.tfevents'), /record at byte 21: length CRC mismatch/);
  });

  it('keeps the complete records of a file cut inside its last record', () => {
    const two = Buffer.concat([encodeRecord(Buffer.from('first')), encodeRecord(Buffer.from('second'))]);
    for (const cut of [1, 5, 12, 20, 21]) {
      // the second record is 22 bytes (12 header + 6 data + 4 CRC): every cut leaves it incomplete
      const { records, truncatedBytes } = decodeRecords(two.subarray(0, 21 + cut), 'x');
      assert.equal(records.length, 1);
      assert.equal(Buffer.from(records[0] as Uint8Array).toString(), 'first');
      assert.equal(truncatedBytes, cut);
    }
  });
});

describe('EventFileWriter', () => {
  it('writes events.out.tfevents.<secs>.<host> starting with the file version, scalars read back as float32', () => {
    const dir = freshDir();
    const before = Math.floor(Date.now() / 1000);
    const writer = new EventFileWriter(dir);
    writer.addScalar('loss', 0.1, 1, 1000.25);
    writer.addScalars({ loss: 0.05, learningRate: 1e-3 }, 2);
    writer.close();
    const name = readdirSync(dir)[0] as string;
    const match = /^events\.out\.tfevents\.(\d+)\.(.+)$/.exec(name);
    assert.ok(match, name);
    assert.ok(Number(match[1]) >= before && Number(match[1]) <= before + 2);
    assert.equal(match[2], hostname());
    const events = readEventFile(join(dir, name));
    assert.equal(events[0]?.fileVersion, 'brain.Event:2');
    assert.equal(events.length, 3);
    const scalars = readScalars(dir);
    assert.deepEqual(scalars.loss, [
      { step: 1, value: Math.fround(0.1), wallTime: 1000.25 },
      { step: 2, value: Math.fround(0.05), wallTime: scalars.loss?.[1]?.wallTime },
    ]);
    assert.deepEqual(
      scalars.learningRate?.map((p) => p.value),
      [Math.fround(1e-3)],
    );
    assert.throws(() => writer.addScalar('loss', 1, 3), /is closed/);
  });

  it('two writers started in the same second get distinct files', () => {
    const dir = freshDir();
    const a = new EventFileWriter(dir);
    const b = new EventFileWriter(dir);
    a.addScalar('x', 1, 0);
    b.addScalar('x', 2, 0);
    a.close();
    b.close();
    assert.notEqual(a.path, b.path);
    assert.deepEqual(
      readScalars(dir)
        .x?.map((p) => p.value)
        .sort(),
      [1, 2],
    );
  });

  it('refuses bad steps and values with a message', () => {
    const writer = new EventFileWriter(freshDir());
    assert.throws(() => writer.addScalar('loss', 1, -1), /step must be an integer >= 0, got -1/);
    assert.throws(() => writer.addScalars({ loss: '1' as unknown as number }, 1), /value of loss is string/);
    writer.close();
  });

  it('flushes queued scalars when the process exits without close()', async () => {
    const dir = freshDir();
    const code = await new Promise((resolve) =>
      spawn(process.execPath, [fixture, dir, '500', 'exit']).on('exit', resolve),
    );
    assert.equal(code, 0);
    const loss = readScalars(dir).loss ?? [];
    assert.equal(loss.length, 500);
    assert.equal(loss[499]?.value, Math.fround(1 / 500));
  });

  it('leaves a readable file when killed with SIGKILL while writing', async () => {
    const dir = freshDir();
    const child = spawn(process.execPath, [fixture, dir, '200', 'kill'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 50));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    const loss = readScalars(dir).loss ?? [];
    assert.ok(loss.length >= 200, `${loss.length} points`);
    assert.deepEqual(
      loss.slice(0, 200).map((p) => p.step),
      Array.from({ length: 200 }, (_, i) => i),
    );
  });
});

describe('TrainSummary and ValidationSummary', () => {
  it('write the seed layout <logDir>/<app>/train and /validation with its tags', () => {
    const logDir = freshDir();
    const train = new TrainSummary(logDir, 'cxr');
    const validation = new ValidationSummary(logDir, 'cxr');
    for (let it = 1; it <= 3; it++)
      train.write({ iteration: it, loss: 1 / it, learningRate: 0.01, throughput: 100 + it });
    validation.write(3, { auc: 0.75, 'auc/Atelectasis': 0.5, loss: 0.25 });
    assert.deepEqual(
      train.readScalar('throughput').map((p) => [p.step, p.value]),
      [
        [1, 101],
        [2, 102],
        [3, 103],
      ],
    );
    train.close();
    validation.close();
    const runs = readRuns(logDir);
    assert.deepEqual(Object.keys(runs).sort(), ['cxr/train', 'cxr/validation']);
    assert.deepEqual(Object.keys(runs['cxr/train'] ?? {}).sort(), ['learningRate', 'loss', 'throughput']);
    assert.deepEqual(runs['cxr/validation'], {
      auc: [{ step: 3, value: 0.75, wallTime: runs['cxr/validation']?.auc?.[0]?.wallTime }],
      'auc/Atelectasis': [{ step: 3, value: 0.5, wallTime: runs['cxr/validation']?.auc?.[0]?.wallTime }],
      loss: [{ step: 3, value: 0.25, wallTime: runs['cxr/validation']?.auc?.[0]?.wallTime }],
    });
  });
});

describe('JSON lines', () => {
  it('round-trips records, NaN and infinities included, and skips a line cut by a crash', () => {
    const path = join(freshDir(), 'log.jsonl');
    const log = new JsonLinesWriter(path);
    log.write({ event: 'iteration', iteration: 1, loss: 0.5 });
    log.write({ event: 'iteration', iteration: 2, loss: Number.NaN, grad: [Number.POSITIVE_INFINITY, -1] });
    log.close();
    assert.equal(
      readFileSync(path, 'utf8').split('\n')[1],
      '{"event":"iteration","iteration":2,"loss":"NaN","grad":["Infinity",-1]}',
    );
    appendFileSync(path, '{"event":"iter');
    assert.deepEqual(readJsonLines(path), [
      { event: 'iteration', iteration: 1, loss: 0.5 },
      { event: 'iteration', iteration: 2, loss: Number.NaN, grad: [Number.POSITIVE_INFINITY, -1] },
    ]);
    writeFileSync(path, '{"a":1}\nnot json\n');
    assert.throws(() => readJsonLines(path), /log\.jsonl: line 2 is not JSON/);
  });
});
