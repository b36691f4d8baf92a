/**
 * The onramp CLI against a PostgreSQL DATABASE_URL prints what it prints on SQLite. The import, export and
 * checkpoints themselves run on both dialects in test/import/dialects.test.ts.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { type OnrampPgDb, openPgDb } from '../../db/client-pg.ts';
import { historyFile, jsonl, posthogRows, TOKEN, tempFile } from '../import/support.ts';
import { usePostgres } from '../support/postgres.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const cluster = usePostgres();

async function pgInstance(): Promise<{ url: string; db: OnrampPgDb }> {
  const url = await cluster.server().createDatabase();
  const db = await openPgDb(url);
  cluster.onCleanup(() => db.close());
  return { url, db };
}

async function pgCount(db: OnrampPgDb): Promise<number> {
  const { rows } = await db.$client.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
  return rows[0]!.n;
}

describe('onramp CLI with DATABASE_URL=postgres://', () => {
  const cli = (args: string[], databaseUrl: string) =>
    run(process.execPath, ['--import', 'tsx', 'api/cli/onramp.ts', ...args], {
      cwd: root,
      // Raw calls kept for good, as in the SQLite suite: the rows are older than the default retention.
      env: { ...process.env, DATABASE_URL: databaseUrl, ONRAMP_PROJECT_TOKEN: TOKEN, ONRAMP_API_CALL_RAW_DAYS: '0' },
    }).then(
      (r) => ({ code: 0, ...r }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
    );
  /** The summary without its timing, which differs run to run. */
  const summary = (stdout: string) => stdout.replace(/ in [\d.]+s \(\d+ events\/s\)/g, '');

  it('imports, resumes and exports as it does on SQLite, printing the same summaries', async () => {
    const { url, db } = await pgInstance();
    const sqlitePath = join(mkdtempSync(join(tmpdir(), 'onramp-cli-pg-')), 'a.db');
    const file = historyFile();
    const steps = [
      ['import', file, '--stop-after', '20', '--commit-every', '8'],
      ['import', file],
      ['import', file],
      ['import', file, '--restart'],
    ];
    for (const args of steps) {
      const [onPg, onSqlite] = [await cli(args, url), await cli(args, `file:${sqlitePath}`)];
      expect(onPg.code, onPg.stderr).toBe(onSqlite.code);
      expect(summary(onPg.stdout)).toBe(summary(onSqlite.stdout));
    }
    const resumed = await cli(['import', tempFile('more.jsonl', jsonl(posthogRows(5)))], url);
    expect(resumed.stdout).toMatch(/0 imported, 5 duplicates skipped, 0 rejected/);
    expect(await pgCount(db)).toBe(45);

    const out = join(mkdtempSync(join(tmpdir(), 'onramp-cli-pg-')), 'range.jsonl');
    const exported = await cli(['export', '--from', '2026-01-01T00:00:00Z', '--to', '2026-01-01T00:00:04Z', '--out', out], url);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stderr).toMatch(/exported 5 events/);
    expect(
      readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { uuid: string }).uuid),
    ).toEqual([0, 1, 2, 3, 4].map((i) => `0190a000-0000-7000-8000-${String(i).padStart(12, '0')}`));

    const unreachable = await cli(['import', file], 'postgres://nobody@127.0.0.1:1/none');
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/cannot use the PostgreSQL database/);
  }, 180_000);
});
