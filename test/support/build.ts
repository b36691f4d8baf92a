import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildSiteIfChanged, DEFAULT_PROJECT_TOKEN, isSiteBuildCurrent, type SiteBuildSettings } from '../../scripts/site-build.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const LOCK = '/tmp/astro-build.lock';

/** What the browser suites' servers expect baked into the pages (test/support/server.ts starts them so). */
export const TEST_SITE_SETTINGS: SiteBuildSettings = { projectToken: DEFAULT_PROJECT_TOKEN, publicUrl: undefined };

/**
 * Builds the portal for browser tests unless dist/ already holds a build of the same sources with the tests'
 * settings (a dist/ built with another project token is rebuilt). The check is repeated under a file lock, so
 * parallel test files waiting on it build once.
 */
export function ensureSiteBuilt(): void {
  if (isSiteBuildCurrent(TEST_SITE_SETTINGS)) return;
  const result = spawnSync('flock', [LOCK, process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), '--build-if-stale'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (result.status !== 0) throw new Error(`astro build failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
}

if (process.argv.includes('--build-if-stale')) {
  try {
    buildSiteIfChanged(TEST_SITE_SETTINGS);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}
