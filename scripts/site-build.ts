/**
 * Builds the portal (`astro build` into dist/) only when something baked into it changed: the site's sources, the
 * dependencies, or the settings the build reads (the project token posthog-js sends, the public URL). A fingerprint
 * of all of them is kept in dist/, so a restart with nothing changed skips the build, and a dist/ built with another
 * project token is rebuilt instead of being served with the wrong one.
 *
 * @example
 * // npm start: build when needed, printing one line either way
 * tsx scripts/site-build.ts
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const FINGERPRINT_FILE = join(root, 'dist', '.build-fingerprint');
/** What the build reads from the file system. */
const SOURCES = ['site', 'public', 'astro.config.mjs', 'tsconfig.json', 'package-lock.json'];
/** The project token the server and the portal use when ONRAMP_PROJECT_TOKEN is unset (api/env.ts). */
export const DEFAULT_PROJECT_TOKEN = 'phc_onramp_local';

/** The settings astro.config.mjs bakes into the pages. */
export interface SiteBuildSettings {
  projectToken: string;
  publicUrl: string | undefined;
}

/** The build settings an environment asks for, with the server's defaults. */
export function siteBuildSettings(env: NodeJS.ProcessEnv = process.env): SiteBuildSettings {
  return { projectToken: env.ONRAMP_PROJECT_TOKEN || DEFAULT_PROJECT_TOKEN, publicUrl: env.ONRAMP_PUBLIC_URL || undefined };
}

function addFiles(hash: ReturnType<typeof createHash>, base: string, path: string): void {
  if (!existsSync(path)) return;
  if (statSync(path).isDirectory()) {
    for (const entry of readdirSync(path).sort()) addFiles(hash, base, join(path, entry));
    return;
  }
  hash.update(relative(base, path)).update('\0').update(readFileSync(path)).update('\0');
}

/** A digest of every source file the build reads and of the settings baked into the output. */
export function siteBuildFingerprint(settings: SiteBuildSettings, base = root): string {
  const hash = createHash('sha256');
  for (const source of SOURCES) addFiles(hash, base, join(base, source));
  hash.update(JSON.stringify(settings));
  return hash.digest('hex');
}

/** True when dist/ holds a complete build of exactly these sources and settings. */
export function isSiteBuildCurrent(settings: SiteBuildSettings): boolean {
  if (!existsSync(join(root, 'dist', 'index.html')) || !existsSync(FINGERPRINT_FILE)) return false;
  return readFileSync(FINGERPRINT_FILE, 'utf8') === siteBuildFingerprint(settings);
}

/**
 * The environment for `astro build`. Under vitest, NODE_ENV=test and DEV/PROD/MODE/SSR/BASE_URL would leak into
 * Astro's `import.meta.env` (with DEV=1 Starlight ships its dev-only search stub), so they are dropped.
 */
export function productionBuildEnv(settings: SiteBuildSettings, source: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...source, NODE_ENV: 'production', ONRAMP_PROJECT_TOKEN: settings.projectToken };
  if (settings.publicUrl) env.ONRAMP_PUBLIC_URL = settings.publicUrl;
  else delete env.ONRAMP_PUBLIC_URL;
  for (const name of Object.keys(env)) if (/^(DEV|PROD|MODE|SSR|BASE_URL|TEST|VITEST.*)$/.test(name)) delete env[name];
  return env;
}

/**
 * Builds dist/ unless it is current; returns what it did. The fingerprint is taken before the build, so a source
 * edited during the build makes the next check rebuild.
 */
export function buildSiteIfChanged(settings: SiteBuildSettings, stdio: 'inherit' | 'pipe' = 'inherit'): { built: boolean; output: string } {
  if (isSiteBuildCurrent(settings)) return { built: false, output: '' };
  const fingerprint = siteBuildFingerprint(settings);
  const build = spawnSync('npx', ['astro', 'build'], { cwd: root, stdio, env: productionBuildEnv(settings), encoding: 'utf8' });
  const output = `${build.stdout ?? ''}${build.stderr ?? ''}`;
  if (build.status !== 0) throw new Error(`astro build failed (${build.status}):\n${output}`);
  writeFileSync(FINGERPRINT_FILE, fingerprint);
  return { built: true, output };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const settings = siteBuildSettings();
  const started = Date.now();
  if (isSiteBuildCurrent(settings)) {
    console.log('Portal build is up to date (no change to the site, its dependencies or its settings).');
  } else {
    console.log('Building the portal (its sources, dependencies or settings changed)...');
    try {
      buildSiteIfChanged(settings, 'pipe');
    } catch (error) {
      console.error((error as Error).message);
      process.exit(1);
    }
    console.log(`Portal built in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  }
}
