import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { ToTensor } from '../../data/image/photometric.js';
import { InferenceModel } from '../inference-model.js';
import { saveTinyModel, TINY_CLASSES, tinyInputs } from '../model.testutil.js';
import type { Predictor } from '../predictor.js';
import { type Server, startServer } from './server.js';

/** Writes a 20x24 8-bit MONOCHROME2 DICOM with pixels (i * 11) % 256 (pydicom, the independent writer). */
const MAKE_DICOM = `
import sys
import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
meta = FileMetaDataset()
meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.7'
meta.MediaStorageSOPInstanceUID = generate_uid()
meta.TransferSyntaxUID = ExplicitVRLittleEndian
ds = Dataset()
ds.file_meta = meta
ds.SOPClassUID = meta.MediaStorageSOPClassUID
ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
ds.Modality = 'OT'
ds.Rows, ds.Columns = 20, 24
ds.SamplesPerPixel = 1
ds.PhotometricInterpretation = 'MONOCHROME2'
ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
ds.PixelData = (np.arange(20 * 24, dtype=np.uint32) * 11 % 256).astype(np.uint8).tobytes()
ds.is_little_endian = True
ds.is_implicit_VR = False
ds.save_as(sys.argv[1], write_like_original=False)
`;

/** A raw HTTP request (no URL normalisation, unlike fetch). */
function rawRequest(port: number, method: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { 'content-type': 'image/png' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(Buffer.from([1, 2, 3]));
  });
}

describe('HTTP frontend', () => {
  let tmp: string;
  let model: InferenceModel;
  let server: Server;
  let png: Buffer;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'tszoo-http-'));
    await saveTinyModel(join(tmp, 'tiny'));
    model = await InferenceModel.load(join(tmp, 'tiny'), { transform: ToTensor(), threadsPerWorker: 1 });
    server = await startServer({ models: { tiny: model }, port: 0, bodyLimit: 64 * 1024 });
    const pixels = Buffer.from(Array.from({ length: 20 * 24 }, (_, i) => (i * 13) % 256));
    png = await sharp(pixels, { raw: { width: 24, height: 20, channels: 1 } })
      .png()
      .toBuffer();
  });
  after(async () => {
    await server.close();
    await model.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  const post = (path: string, body: string | Uint8Array, type: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, { method: 'POST', body, headers: { 'content-type': type, ...headers } });

  it('predicts a JSON tensor batch exactly as in-process predict does, and an image with label names', async () => {
    const data = tinyInputs(3);
    const tensor = { dtype: 'float32' as const, shape: [3, 1, 16, 16], data: Array.from(data) };
    const res = await post('/v1/models/tiny/predict', JSON.stringify(tensor), 'application/json');
    assert.equal(res.status, 200);
    const body = (await res.json()) as { model: string; predictions: { output: number[]; label: string }[] };
    const direct = await model.predict(tensor);
    assert.equal(body.model, 'tiny');
    // the same batch through the same worker: identical numbers, and JSON carries float32 exactly
    assert.deepEqual(
      body.predictions.map((p) => p.output),
      direct.map((p) => Array.from(p.output)),
    );
    const img = await post('/v1/models/tiny/predict', new Uint8Array(png), 'image/png');
    assert.equal(img.status, 200);
    const ib = (await img.json()) as { predictions: { probabilities: Record<string, number>; label: string }[] };
    assert.deepEqual(Object.keys(ib.predictions[0]?.probabilities ?? {}), TINY_CLASSES);
    assert.ok(TINY_CLASSES.includes(ib.predictions[0]?.label as string));
  });

  it('predicts a DICOM upload (written by pydicom) as its decoded pixels', async () => {
    const path = join(tmp, 'x.dcm');
    execFileSync('/usr/bin/python3', ['-c', MAKE_DICOM, path]);
    const bytes = new Uint8Array(readFileSync(path));
    const res = await post('/v1/models/tiny/predict', bytes, 'application/dicom');
    assert.equal(res.status, 200);
    const body = (await res.json()) as { predictions: { output: number[] }[] };
    // the oracle: the same pixels, 0, 11, 22, ... as pydicom wrote them, through the model in-process
    const pixels = Uint8Array.from({ length: 20 * 24 }, (_, i) => (i * 11) % 256);
    const png = await sharp(Buffer.from(pixels), { raw: { width: 24, height: 20, channels: 1 } })
      .png()
      .toBuffer();
    const want = await model.predictOne(new Uint8Array(png));
    assert.deepEqual(body.predictions[0]?.output, Array.from(want.output));
  });

  it('answers each bad input with a clear 4xx and keeps serving', async () => {
    const corruptPng = Buffer.concat([png.subarray(0, 60), Buffer.alloc(40, 7)]);
    const cases: [string, Promise<Response>, number, RegExp][] = [
      [
        'corrupt PNG',
        post('/v1/models/tiny/predict', new Uint8Array(corruptPng), 'image/png'),
        400,
        /decode|corrupt|png|image/i,
      ],
      [
        'corrupt DICOM',
        post(
          '/v1/models/tiny/predict',
          new Uint8Array(Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.alloc(50, 9)])),
          'application/dicom',
        ),
        400,
        /./,
      ],
      [
        'wrong shape',
        post(
          '/v1/models/tiny/predict',
          JSON.stringify({ dtype: 'float32', shape: [1, 3, 16, 16], data: new Array(768).fill(0) }),
          'application/json',
        ),
        400,
        /does not match the model's \[1,16,16\]/,
      ],
      [
        'wrong dtype',
        post(
          '/v1/models/tiny/predict',
          JSON.stringify({ dtype: 'string', shape: [1, 1, 16, 16], data: [] }),
          'application/json',
        ),
        400,
        /dtype 'string'/,
      ],
      [
        'not a tensor',
        post('/v1/models/tiny/predict', JSON.stringify({ hello: 1 }), 'application/json'),
        400,
        /tensor/,
      ],
      ['oversized body', post('/v1/models/tiny/predict', new Uint8Array(100 * 1024), 'image/png'), 413, /large/i],
      ['unknown model', post('/v1/models/nope/predict', new Uint8Array(png), 'image/png'), 404, /unknown model 'nope'/],
      [
        'path as a name',
        post('/v1/models/..%2F..%2Fetc/predict', new Uint8Array(png), 'image/png'),
        400,
        /invalid model name/,
      ],
      ['unsupported type', post('/v1/models/tiny/predict', 'a,b', 'text/csv'), 415, /./],
    ];
    for (const [what, pending, status, message] of cases) {
      const res = await pending;
      const body = (await res.json()) as { error: string };
      assert.equal(res.status, status, `${what}: ${JSON.stringify(body)}`);
      assert.match(body.error, message, what);
    }
    // an unnormalised path never reaches the filesystem: no route matches it
    assert.equal(await rawRequest(server.port, 'POST', '/v1/models/../../etc/predict'), 404);
    assert.equal((await post('/v1/models/tiny/predict', new Uint8Array(png), 'image/png')).status, 200);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /tszoo_requests_total\{model="tiny",status="400"\} [4-9]/);
    assert.match(metrics, /tszoo_requests_total\{model="tiny",status="200"\} \d+/);
    assert.match(metrics, /tszoo_request_duration_seconds_bucket\{model="tiny",le="\+Inf"\} \d+/);
    assert.match(metrics, /tszoo_batches_total\{model="tiny",size="\d+"\} \d+/);
    assert.match(metrics, /tszoo_workers\{model="tiny"\} 1/);
  });

  it('lists models, reports health and readiness, and serves an OpenAPI document', async () => {
    const list = (await (await fetch(`${server.url}/v1/models`)).json()) as {
      models: Record<string, { classNames: string[] }>;
    };
    assert.deepEqual(list.models.tiny?.classNames, TINY_CLASSES);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    assert.equal(doc.openapi, '3.1.0');
    assert.ok('/v1/models/{name}/predict' in doc.paths);
  });

  it('requires a bearer token when bound beyond loopback, and refuses to start without one', async () => {
    await assert.rejects(startServer({ models: { tiny: model }, host: '0.0.0.0', port: 0 }), /needs a bearer token/);
    const wide = await startServer({ models: { tiny: model }, host: '0.0.0.0', port: 0, token: 's3cret-token' });
    try {
      const url = `http://127.0.0.1:${wide.port}/v1/models/tiny/predict`;
      const send = (headers: Record<string, string>) =>
        fetch(url, { method: 'POST', body: new Uint8Array(png), headers: { 'content-type': 'image/png', ...headers } });
      assert.equal((await send({})).status, 401);
      assert.equal((await send({ authorization: 'Bearer wrong-token!' })).status, 401);
      assert.equal((await send({ authorization: 'Bearer s3cret-token' })).status, 200);
      assert.equal((await fetch(`http://127.0.0.1:${wide.port}/healthz`)).status, 200);
      assert.equal((await fetch(`http://127.0.0.1:${wide.port}/metrics`)).status, 401);
    } finally {
      await wide.close();
    }
  });

  it('drains requests in flight on close, and adds routes through the hook', async () => {
    // the model says when the request reached it: close() must come while it is in flight, not after a guess
    let reached!: () => void;
    const inFlightNow = new Promise<void>((r) => {
      reached = r;
    });
    const watched: Predictor = {
      info: model.info,
      queueDepth: 0,
      workers: 1,
      predictOne: (input, where) => model.predictOne(input, where),
      predict: (b) => {
        reached();
        return model.predict(b);
      },
    };
    const extra = await startServer({
      models: { tiny: watched },
      port: 0,
      routes: (app) => {
        app.get('/review', async () => 'review page');
      },
    });
    assert.equal(await (await fetch(`${extra.url}/review`)).text(), 'review page');
    const batch = { dtype: 'float32', shape: [64, 1, 16, 16], data: Array.from(tinyInputs(64)) };
    const inFlight = fetch(`${extra.url}/v1/models/tiny/predict`, {
      method: 'POST',
      body: JSON.stringify(batch),
      headers: { 'content-type': 'application/json' },
    });
    await inFlightNow;
    const closing = extra.close();
    const res = await inFlight;
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { predictions: unknown[] }).predictions.length, 64);
    await closing;
  });
});
