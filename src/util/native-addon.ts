/**
 * Finds and loads one of the project's native addons in build/Release (tszoo.node: LibTorch;
 * tszoo_image.node: image codecs), from the compiled tree (dist/src/util) or from the sources (src/util).
 */
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Loads build/Release/<file>; `override` is a path that takes precedence (e.g. from TSZOO_ADDON). */
export function loadAddon<T>(file: string, override?: string): T {
  const candidates = [resolve(here, '../../../build/Release', file), resolve(here, '../../build/Release', file)];
  if (override) candidates.unshift(resolve(override));
  const require = createRequire(import.meta.url);
  const errors: string[] = [];
  for (const path of candidates) {
    try {
      require.resolve(path);
      return require(path) as T;
    } catch (e) {
      errors.push(`${path}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(
    `tszoo: the native addon ${file} is not built. Run \`npm run setup\` (installs LibTorch from Debian and builds it).\n${errors.join('\n')}`,
  );
}
