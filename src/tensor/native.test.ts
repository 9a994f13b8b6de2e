import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { defaultOpenMpWaitPolicy } from './native.js';

const nativeJs = fileURLToPath(new URL('./native.js', import.meta.url));

/** OMP_WAIT_POLICY as a fresh process sees it after loading the addon, with `env` added to its environment. */
function policyAfterLoad(env: Record<string, string | undefined>): string {
  const code = `await import(${JSON.stringify(nativeJs)}); console.log(process.env.OMP_WAIT_POLICY ?? '')`;
  const childEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
  return execFileSync(process.execPath, ['--input-type=module', '-e', code], {
    env: childEnv,
    encoding: 'utf8',
  }).trim();
}

describe('OpenMP wait policy default', () => {
  it('sets PASSIVE when the user did not choose, and keeps a user choice', () => {
    const empty: NodeJS.ProcessEnv = {};
    assert.equal(defaultOpenMpWaitPolicy(empty), 'PASSIVE');
    assert.equal(empty.OMP_WAIT_POLICY, 'PASSIVE');
    const blank: NodeJS.ProcessEnv = { OMP_WAIT_POLICY: '  ' };
    assert.equal(defaultOpenMpWaitPolicy(blank), 'PASSIVE');
    const chosen: NodeJS.ProcessEnv = { OMP_WAIT_POLICY: 'ACTIVE' };
    assert.equal(defaultOpenMpWaitPolicy(chosen), 'ACTIVE');
    assert.equal(chosen.OMP_WAIT_POLICY, 'ACTIVE');
  });

  it('is in the environment before the addon (and libgomp) load', () => {
    assert.equal(policyAfterLoad({ OMP_WAIT_POLICY: undefined }), 'PASSIVE');
    assert.equal(policyAfterLoad({ OMP_WAIT_POLICY: 'active' }), 'active');
  });
});
