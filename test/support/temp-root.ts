import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Vitest global setup: the run's temporary files (SQLite databases of test servers, import files, PostgreSQL
 * clusters, Chromium profiles) all go under one directory that is removed when the run ends. `os.tmpdir()` follows
 * TMPDIR, which the test workers and every process they start inherit. Before, each run left its databases behind
 * in the system temp directory, some of them hundreds of MB.
 */
export default function setup() {
  // Each vitest project runs the global setups; the first one's directory serves the whole run.
  if (process.env.ONRAMP_TEST_TMPDIR) return undefined;
  const previous = process.env.TMPDIR;
  // Short on purpose: Chromium puts a Unix socket under TMPDIR, and socket paths are limited to 107 bytes.
  const root = mkdtempSync(join(tmpdir(), 'ot-'));
  // A local PostgreSQL test cluster runs as the `postgres` user when the tests run as root: it must reach its data dir.
  chmodSync(root, 0o755);
  process.env.TMPDIR = root;
  process.env.ONRAMP_TEST_TMPDIR = root;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    delete process.env.ONRAMP_TEST_TMPDIR;
    rmSync(root, { recursive: true, force: true });
  };
}
