import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { defaultOpenBlasThreadTimeout, defaultOpenMpWaitPolicy } from './openmp.js';

const nativeJs = fileURLToPath(new URL('../tensor/native.js', import.meta.url));
const openmpJs = fileURLToPath(new URL('./openmp.js', import.meta.url));

/**
 * libgomp's own report of its settings (OMP_DISPLAY_ENV=verbose, printed when the addon loads it) from a
 * fresh process running `code`, with `env` added to (undefined: removed from) its environment.
 * GOMP_SPINCOUNT is '1000' under tszoo's default (PASSIVE with a short spin), '0' under PASSIVE alone and
 * '300000' under libgomp's spinning default.
 */
function libgompSettings(code: string, env: Record<string, string | undefined> = {}): { policy: string; spin: string } {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, OMP_DISPLAY_ENV: 'verbose' };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete childEnv[k];
    else childEnv[k] = v;
  }
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { env: childEnv, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const read = (name: string) => new RegExp(`${name} = '([^']*)'`).exec(r.stderr)?.[1] ?? 'not reported';
  return { policy: read('OMP_WAIT_POLICY'), spin: read('GOMP_SPINCOUNT') };
}

const loadNative = `await import(${JSON.stringify(nativeJs)});`;
/** the main thread sets the default (or not), then a worker thread loads the addon */
const workerLoads = (setFirst: boolean) =>
  `import { Worker } from 'node:worker_threads';
   ${setFirst ? `(await import(${JSON.stringify(openmpJs)})).defaultOpenMpWaitPolicy();` : ''}
   const w = new Worker(${JSON.stringify(loadNative)}, { eval: true });
   await new Promise((resolve, reject) => { w.on('exit', resolve); w.on('error', reject); });`;

describe('OpenMP wait policy default', () => {
  it('sets PASSIVE in the main thread when the user did not choose, and keeps a user choice', () => {
    const empty: NodeJS.ProcessEnv = {};
    assert.equal(defaultOpenMpWaitPolicy(empty, true), 'PASSIVE');
    assert.equal(empty.OMP_WAIT_POLICY, 'PASSIVE');
    assert.equal(empty.GOMP_SPINCOUNT, '1000', 'a short spin before sleeping');
    const spin: NodeJS.ProcessEnv = { GOMP_SPINCOUNT: '0' };
    defaultOpenMpWaitPolicy(spin, true);
    assert.equal(spin.GOMP_SPINCOUNT, '0', "the user's spin count stays");
    const blank: NodeJS.ProcessEnv = { OMP_WAIT_POLICY: '  ' };
    assert.equal(defaultOpenMpWaitPolicy(blank, true), 'PASSIVE');
    const chosen: NodeJS.ProcessEnv = { OMP_WAIT_POLICY: 'ACTIVE' };
    assert.equal(defaultOpenMpWaitPolicy(chosen, true), 'ACTIVE');
    assert.equal(chosen.OMP_WAIT_POLICY, 'ACTIVE');
    assert.equal(chosen.GOMP_SPINCOUNT, undefined, "a chosen policy keeps libgomp's spin count for it");
    assert.equal(empty.OPENBLAS_THREAD_TIMEOUT, '4', "OpenBLAS's idle threads sleep too");
    assert.equal(defaultOpenBlasThreadTimeout({ OPENBLAS_THREAD_TIMEOUT: '20' }), '20', 'a user choice stays');
    const inWorker: NodeJS.ProcessEnv = {};
    assert.equal(defaultOpenMpWaitPolicy(inWorker, false), 'libgomp default');
    assert.equal(inWorker.OPENBLAS_THREAD_TIMEOUT, undefined);
    assert.equal(inWorker.OMP_WAIT_POLICY, undefined, 'a worker cannot reach the C environment');
  });

  it('libgomp runs PASSIVE with a short spin once the addon is loaded, unless the user chose', () => {
    const unset = { OMP_WAIT_POLICY: undefined, GOMP_SPINCOUNT: undefined };
    assert.deepEqual(libgompSettings(loadNative, unset), { policy: 'PASSIVE', spin: '1000' });
    assert.deepEqual(libgompSettings(loadNative, { ...unset, GOMP_SPINCOUNT: '0' }), { policy: 'PASSIVE', spin: '0' });
    const active = libgompSettings(loadNative, { ...unset, OMP_WAIT_POLICY: 'active' });
    assert.equal(active.policy, 'ACTIVE');
    assert.notEqual(active.spin, '1000', "ACTIVE keeps libgomp's own (unbounded) spin");
  });

  it('reaches a worker thread that loads the addon only when the main thread set it first', () => {
    const unset = { OMP_WAIT_POLICY: undefined, GOMP_SPINCOUNT: undefined };
    assert.deepEqual(libgompSettings(workerLoads(true), unset), { policy: 'PASSIVE', spin: '1000' });
    // what the serving pool and runInWorker would get without their call: libgomp's spinning default
    assert.equal(libgompSettings(workerLoads(false), unset).spin, '300000');
  });
});
