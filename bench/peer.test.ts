import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { bestByMedian, envLikeTszoo, PYTHON, PythonServer, parsePeerReply } from './peer.js';

test('parsePeerReply returns the object, throws the peer error and rejects what is not a JSON object', () => {
  assert.deepEqual(parsePeerReply('{"images_per_s": {"jit": 60.5}}'), { images_per_s: { jit: 60.5 } });
  assert.throws(() => parsePeerReply('{"error": "ValueError: boom"}', 'py'), /^Error: py: ValueError: boom$/);
  assert.throws(() => parsePeerReply('Warning: something', 'py'), /py: not a JSON reply: Warning/);
  assert.throws(() => parsePeerReply('[1, 2]', 'py'), /py: not a JSON object/);
  assert.throws(() => parsePeerReply('null', 'py'), /py: not a JSON object/);
});

test('bestByMedian picks the highest median, not the highest single round', () => {
  const best = bestByMedian({ eager: [50, 52, 51], channels_last: [90, 40, 41], jit: [60, 58, 61] });
  assert.deepEqual(best, { name: 'jit', median: 60 });
  assert.deepEqual(bestByMedian({ a: [1, 3], b: [2, 2] }), { name: 'a', median: 2 });
  assert.equal(bestByMedian({ a: [] }), undefined);
  assert.equal(bestByMedian({}), undefined);
});

test('envLikeTszoo adds the addon malloc settings unless the user set any or turned the tuning off', () => {
  const base = { PATH: '/bin', OMP_WAIT_POLICY: 'PASSIVE' };
  assert.deepEqual(envLikeTszoo(base), {
    ...base,
    MALLOC_MMAP_THRESHOLD_: '33554432',
    MALLOC_TRIM_THRESHOLD_: '2147483647',
    MALLOC_TOP_PAD_: '268435456',
  });
  assert.deepEqual(base, { PATH: '/bin', OMP_WAIT_POLICY: 'PASSIVE' }, 'the argument is not changed');
  assert.deepEqual(envLikeTszoo({ ...base, MALLOC_TOP_PAD_: '0' }), { ...base, MALLOC_TOP_PAD_: '0' });
  assert.deepEqual(envLikeTszoo({ ...base, TSZOO_MALLOC_TUNING: '0' }), { ...base, TSZOO_MALLOC_TUNING: '0' });
});

test('PythonServer answers requests in order, passes errors and the environment, and ends at close', {
  skip: !existsSync(PYTHON),
}, async () => {
  const echo = [
    'import json, os, sys',
    'for line in sys.stdin:',
    '    req = json.loads(line)',
    '    if "fail" in req: print("trace", file=sys.stderr, flush=True); print(json.dumps({"error": req["fail"]}), flush=True)',
    '    else: print(json.dumps({"n": req["n"] * 2, "env": os.environ.get("TSZOO_PEER_TEST")}), flush=True)',
  ].join('\n');
  process.env.TSZOO_PEER_TEST = 'seen';
  const server = new PythonServer('echo', ['-c', echo]);
  try {
    assert.deepEqual(await server.request({ n: 2 }), { n: 4, env: 'seen' });
    await assert.rejects(server.request({ fail: 'bad input' }), /^Error: echo: bad input/);
    assert.deepEqual(await server.request({ n: 5 }), { n: 10, env: 'seen' });
  } finally {
    delete process.env.TSZOO_PEER_TEST;
    await server.close();
  }
  await assert.rejects(
    new PythonServer('gone', ['-c', 'import sys; sys.exit(3)']).request({ n: 1 }),
    /gone exited \(code 3\)/,
  );
});
