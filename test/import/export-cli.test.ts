import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { seedDemoIfEmpty } from '../../api/demo/seed.ts';
import { sqliteIngestDatabase } from '../../api/import/database.ts';
import { exportEvents } from '../../api/import/export.ts';
import { importFile } from '../../api/import/importer.ts';
import { openDb } from '../../db/client.ts';
import { testDb } from '../support/app.ts';
import { countEvents, eventTuples, jsonl, posthogRows, TOKEN, tempFile } from './support.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

/** Persons as sets of distinct ids, independent of local person ids. */
function partition(db: ReturnType<typeof testDb>): string[] {
  const rows = db.$client
    .prepare('SELECT person_id, group_concat(distinct_id) ids FROM (SELECT * FROM person_distinct_ids ORDER BY distinct_id) GROUP BY person_id')
    .all() as Array<{ ids: string }>;
  return rows.map((r) => r.ids).sort();
}

async function exportToString(db: ReturnType<typeof testDb>, from = 0, to = Number.MAX_SAFE_INTEGER) {
  let text = '';
  const count = await exportEvents(sqliteIngestDatabase(db.$client), { from, to }, (t) => {
    text += t;
  });
  return { text, count };
}

describe('export', () => {
  it('round-trips with import: same events, same persons', async () => {
    const source = testDb();
    await seedDemoIfEmpty(sqliteIngestDatabase(source.$client), { now: Date.UTC(2026, 10, 23), developers: 150 });
    const { text, count } = await exportToString(source);
    expect(count).toBe(countEvents(source));

    const target = testDb();
    const summary = await importFile(target.$client, tempFile('export.jsonl', text), { projectToken: TOKEN });
    expect(summary).toMatchObject({ imported: count, rejected: 0, duplicates: 0 });
    const strip = (rows: ReturnType<typeof eventTuples>) => rows.map((r) => ({ ...r, properties: JSON.parse(r.properties) as unknown }));
    expect(strip(eventTuples(target))).toEqual(strip(eventTuples(source)));
    expect(partition(target)).toEqual(partition(source));
    const received = (db: ReturnType<typeof testDb>) => db.$client.prepare('SELECT uuid, received_at FROM events ORDER BY uuid').all();
    expect(received(target)).toEqual(received(source));
  });

  it('writes only the events inside [from, to], oldest first', async () => {
    const db = testDb();
    await importFile(db.$client, tempFile('e.jsonl', jsonl(posthogRows(20))), { projectToken: TOKEN });
    const from = Date.UTC(2026, 0, 1) + 5000;
    const to = Date.UTC(2026, 0, 1) + 9000;
    const { text, count } = await exportToString(db, from, to);
    expect(count).toBe(5);
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { timestamp: string; distinctId: string; personId: string });
    expect(lines.map((l) => Date.parse(l.timestamp))).toEqual([5, 6, 7, 8, 9].map((s) => Date.UTC(2026, 0, 1) + s * 1000));
    expect(Object.keys(lines[0]!)).toEqual(['uuid', 'event', 'distinctId', 'personId', 'timestamp', 'receivedAt', 'properties']);
  });
});

describe('onramp CLI', () => {
  const cli = (args: string[], databasePath: string) =>
    run(process.execPath, ['--import', 'tsx', 'api/cli/onramp.ts', ...args], {
      cwd: root,
      // Raw calls kept for good: these rows are from January, past the default retention, and this suite is about
      // import and export, not retention (test/analytics/api-traffic.test.ts covers that).
      env: { ...process.env, DATABASE_URL: `file:${databasePath}`, ONRAMP_PROJECT_TOKEN: TOKEN, ONRAMP_API_CALL_RAW_DAYS: '0' },
    }).then(
      (r) => ({ code: 0, ...r }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
    );

  it('imports with a summary naming bad lines, and exports a range to a file that imports elsewhere', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'onramp-cli-'));
    const file = tempFile('cli.jsonl', jsonl([...posthogRows(10), 'not json']));
    const partial = await cli(['import', file, '--stop-after', '4', '--commit-every', '2'], join(dir, 'a.db'));
    expect(partial.code).toBe(0);
    expect(partial.stdout).toMatch(/4 imported, 0 duplicates skipped, 0 rejected/);
    expect(partial.stdout).toMatch(/interrupted: run the same command again/);
    const first = await cli(['import', file], join(dir, 'a.db'));
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/resumed after line 4\): 6 imported, 0 duplicates skipped, 1 rejected/);
    expect(first.stdout).toMatch(/line 11: line: not valid JSON/);

    const again = await cli(['import', file], join(dir, 'a.db'));
    expect(again.stdout).toMatch(/already imported/);

    const out = join(dir, 'range.jsonl');
    const exported = await cli(['export', '--from', '2026-01-01T00:00:00Z', '--to', '2026-01-01T00:00:04Z', '--out', out], join(dir, 'a.db'));
    expect(exported.code).toBe(0);
    expect(exported.stderr).toMatch(/exported 5 events/);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(5);

    const imported = await cli(['import', out], join(dir, 'b.db'));
    expect(imported.stdout).toMatch(/5 imported/);
    const b = openDb(`file:${join(dir, 'b.db')}`);
    expect(countEvents(b)).toBe(5);
    b.$client.close();
  });

  it('exits 1 under --strict at a bad row and 2 on usage errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'onramp-cli-'));
    const strict = await cli(['import', '--strict', tempFile('s.jsonl', jsonl([...posthogRows(3), '{}', ...posthogRows(2)]))], join(dir, 'a.db'));
    expect(strict.code).toBe(1);
    expect(strict.stdout).toMatch(/stopped by --strict at line 4/);
    expect((await cli(['export', '--from', 'last tuesday'], join(dir, 'a.db'))).code).toBe(2);
    expect((await cli(['import'], join(dir, 'a.db'))).stderr).toMatch(/give exactly one file/);
    const missing = await cli(['import', join(dir, 'nope.jsonl')], join(dir, 'a.db'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no such file/);
  });
});
