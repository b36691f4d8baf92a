import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const LOCK = '/tmp/astro-build.lock';

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** True when dist/ is missing or older than any source the build reads. */
export function isSiteStale(): boolean {
  const stamp = join(root, 'dist', 'index.html');
  if (!existsSync(stamp)) return true;
  const built = statSync(stamp).mtimeMs;
  const sources = [join(root, 'site'), join(root, 'astro.config.mjs')].filter((p) => existsSync(p));
  return sources.some((p) => newestMtime(p) > built);
}

/**
 * Builds the Astro site for browser tests only when needed. The staleness check is repeated inside the lock, so
 * parallel test files (or other helpers) waiting on it build once.
 */
export function ensureSiteBuilt(): void {
  if (!isSiteStale()) return;
  const result = spawnSync('flock', [LOCK, process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), '--build-if-stale'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (result.status !== 0) throw new Error(`astro build failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
}

/**
 * The environment for `astro build` from inside vitest. vitest sets NODE_ENV=test (React's development build) and
 * also DEV=1, PROD='', MODE=test, SSR, BASE_URL, which Astro reads into `import.meta.env`: with DEV=1 Starlight
 * ships its dev-only search stub, whose script logs a console error on every docs page.
 */
export function productionBuildEnv(source: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...source, NODE_ENV: 'production' };
  for (const name of Object.keys(env)) if (/^(DEV|PROD|MODE|SSR|BASE_URL|TEST|VITEST.*)$/.test(name)) delete env[name];
  return env;
}

if (process.argv.includes('--build-if-stale') && isSiteStale()) {
  const build = spawnSync('npx', ['astro', 'build'], { cwd: root, stdio: 'inherit', env: productionBuildEnv() });
  process.exit(build.status ?? 1);
}
