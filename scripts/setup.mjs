#!/usr/bin/env node
// Sets up what a fresh Debian machine lacks, then builds: Debian packages (LibTorch, Gloo, OpenBLAS),
// npm dependencies, the native addon and the TypeScript. Each step runs only when needed.
// Plain JS with no dependencies: it runs before `npm ci`.
//   --build-only    what npm's install step runs: check packages, build addon and TypeScript
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));

/**
 * Debian packages for building and testing. LibTorch, Gloo and OpenBLAS are the engine; libdeflate
 * inflates PNGs on the image decoder's fast path; Debian's PyTorch, torchvision, numpy, PIL, pydicom and scikit-learn are the tests' oracles and the benchmarks' peer;
 * Fashion-MNIST is the first real data set.
 */
const DEBIAN_PACKAGES = [
  'libtorch-dev',
  'libgloo-dev',
  'libopenblas0-pthread',
  'libdeflate-dev',
  // oneDNN's headers: the addon builds whole-graph inference plans on the libdnnl LibTorch itself links
  'libdnnl-dev',
  'python3',
  'python3-numpy',
  'python3-torch',
  'python3-torchvision',
  'python3-pil',
  'python3-pydicom',
  'python3-sklearn',
  'dataset-fashion-mnist',
  'make',
  'g++',
  // ip netns / veth: the distributed two-host test runs one worker in each of two network namespaces
  'iproute2',
  // src/serving's Cluster Serving queue (Redis Streams); its tests spawn their own redis-server
  'redis-server',
  // the chest X-ray review page's end-to-end test drives Debian's Chromium with playwright-core (no browser download)
  'chromium',
];

function log(msg) {
  console.log(`[setup] ${msg}`);
}

function run(cmd, cmdArgs, options = {}) {
  log(`${cmd} ${cmdArgs.join(' ')}`);
  const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit', cwd: root, ...options });
  if (r.status !== 0) {
    throw new Error(`[setup] failed (exit ${r.status ?? r.signal}): ${cmd} ${cmdArgs.join(' ')}`);
  }
}

function missingDebianPackages(pkgs) {
  return pkgs.filter((p) => {
    try {
      const s = execFileSync('dpkg-query', ['-W', `-f=\${Status}`, p], { stdio: ['ignore', 'pipe', 'ignore'] });
      return !s.toString().includes('install ok installed');
    } catch {
      return true;
    }
  });
}

function ensureDebianPackages(pkgs) {
  const missing = missingDebianPackages(pkgs);
  if (missing.length === 0) return;
  const isRoot = process.getuid?.() === 0;
  const sudo = isRoot ? [] : ['sudo', '-n'];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  log(`installing Debian packages: ${missing.join(' ')}`);
  try {
    const [c, ...rest] = [...sudo, 'apt-get', 'update', '-q'];
    run(c, rest, { env });
    const [c2, ...rest2] = [...sudo, 'apt-get', 'install', '-y', '-q', ...missing];
    run(c2, rest2, { env });
  } catch (e) {
    throw new Error(
      `${e.message}\nInstall them by hand: sudo apt-get install ${missing.join(' ')}` +
        (isRoot ? '' : ' (setup needs root or passwordless sudo to do it itself)'),
    );
  }
}

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) {
    if (name === 'node_modules' || name === 'dist' || name === 'build') continue;
    newest = Math.max(newest, newestMtime(join(path, name)));
  }
  return newest;
}

function ensureNpmDependencies() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  // Never download onnxruntime binaries during install (later issues depend on onnxruntime-node).
  run('npm', ['ci', '--no-audit', '--no-fund'], { env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } });
}

function ensureAddon() {
  const addons = ['tszoo.node', 'tszoo_image.node'].map((f) => join(root, 'build', 'Release', f));
  const sources = Math.max(newestMtime(join(root, 'native')), newestMtime(join(root, 'binding.gyp')));
  if (addons.every((a) => existsSync(a) && statSync(a).mtimeMs >= sources)) return;
  const started = Date.now();
  // Build against the running Node's own headers (no download: this machine has no internet).
  const prefix = dirname(dirname(process.execPath));
  const nodedir = existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
  run(join(root, 'node_modules', '.bin', 'node-gyp'), ['rebuild', '--jobs', 'max', ...nodedir]);
  log(`native addon built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function ensureTypeScript() {
  // A clean dist/: compiled files of deleted sources (old tests above all) must not linger.
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json']);
}

try {
  const packages = DEBIAN_PACKAGES;
  if (args.has('--build-only')) {
    // npm's install step (npm ci): dependencies are in place; build, but install nothing system-wide.
    const missing = missingDebianPackages(packages);
    if (missing.length > 0) {
      throw new Error(
        `[setup] missing Debian packages: ${missing.join(' ')}. Run \`npm run setup\` (or npm start / npm test).`,
      );
    }
  } else {
    ensureDebianPackages(packages);
    ensureNpmDependencies();
  }
  ensureAddon();
  ensureTypeScript();
} catch (e) {
  console.error(e.message);
  process.exit(1);
}
