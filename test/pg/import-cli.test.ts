import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { exportEvents } from '../../api/import/export.ts';
import { importFile, type ImportOptions } from '../../api/import/importer.ts';
import { exportPgEvents } from '../../api/import/pg/export.ts';
import { pgImportTarget } from '../../api/import/pg/target.ts';
import type { OnrampDb } from '../../db/client.ts';
import { openPgDb, type OnrampPgDb } from '../../db/client-pg.ts';
import { testDb } from '../support/app.ts';
import { usePostgres } from '../support/postgres.ts';
import { jsonl, posthogRows, tempFile, TOKEN } from '../import/support.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const cluster = usePostgres();

async function pgInstance(): Promise<{ url: string; db: OnrampPgDb }> {
  const url = await cluster.server().createDatabase();
  const db = await openPgDb(url);
  cluster.onCleanup(() => db.close());
  return { url, db };
}

function sqliteInstance(): OnrampDb {
  const db = testDb();
  cluster.onCleanup(async () => void db.$client.close());
  return db;
}

const importPg = (db: OnrampPgDb, file: string, options: Partial<ImportOptions> = {}) =>
  importFile(pgImportTarget(db), file, { projectToken: TOKEN, ...options });
const importSqlite = (db: OnrampDb, file: string, options: Partial<ImportOptions> = {}) =>
  importFile(db.$client, file, { projectToken: TOKEN, ...options });

interface StoredEvent {
  uuid: string;
  event: string;
  distinct_id: string;
  timestamp: number;
  received_at: number;
  properties: unknown;
}

/** Every event as a comparable value (properties parsed: jsonb reorders keys), oldest first. */
async function pgEvents(db: OnrampPgDb): Promise<StoredEvent[]> {
  const { rows } = await db.$client.query<StoredEvent>(
    `SELECT uuid, event, distinct_id, timestamp::float8 AS timestamp, received_at::float8 AS received_at, properties
       FROM events ORDER BY timestamp, uuid`,
  );
  return rows;
}

function sqliteEvents(db: OnrampDb): StoredEvent[] {
  return (db.$client.prepare('SELECT uuid, event, distinct_id, timestamp, received_at, properties FROM events ORDER BY timestamp, uuid').all() as StoredEvent[]).map(
    (row) => ({ ...row, properties: JSON.parse(row.properties as string) as unknown }),
  );
}

/** Persons as sorted lists of their distinct ids (with the person's properties and identified flag), independent of ids. */
const PARTITION = `SELECT string_agg(d.distinct_id, ',' ORDER BY d.distinct_id) AS ids, p.properties::text AS properties, p.is_identified::int AS identified
                     FROM person_distinct_ids d JOIN persons p ON p.id = d.person_id GROUP BY p.id, p.properties, p.is_identified`;

async function pgPersons(db: OnrampPgDb) {
  const { rows } = await db.$client.query<{ ids: string; properties: string; identified: number }>(PARTITION);
  return rows.map((r) => ({ ids: r.ids, properties: JSON.parse(r.properties) as unknown, identified: r.identified })).sort((a, b) => a.ids.localeCompare(b.ids));
}

function sqlitePersons(db: OnrampDb) {
  const rows = db.$client
    .prepare(
      `SELECT group_concat(distinct_id, ',') AS ids, properties, identified FROM (
         SELECT d.distinct_id, d.person_id, p.properties, p.is_identified AS identified
           FROM person_distinct_ids d JOIN persons p ON p.id = d.person_id ORDER BY d.distinct_id)
       GROUP BY person_id`,
    )
    .all() as Array<{ ids: string; properties: string; identified: number }>;
  return rows.map((r) => ({ ids: r.ids, properties: JSON.parse(r.properties) as unknown, identified: r.identified })).sort((a, b) => a.ids.localeCompare(b.ids));
}

async function pgCount(db: OnrampPgDb): Promise<number> {
  const { rows } = await db.$client.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
  return rows[0]!.n;
}

const uuid = (n: number) => `0190b000-0000-7000-8000-${String(n).padStart(12, '0')}`;

/**
 * A history with every case the import handles: bad rows (broken JSON, missing event, bad timestamp, bad uuid),
 * a uuid repeated in the file (the second copy a duplicate), rows without uuid (content uuids), `$set`, and an
 * `$identify` merging two persons that both have events already (anonymous reading, and a user created by a call).
 */
function historyFile(): string {
  const t = (s: number) => new Date(Date.UTC(2026, 0, 2) + s * 1000).toISOString();
  return tempFile(
    'history.jsonl',
    jsonl([
      ...posthogRows(40),
      { uuid: uuid(1), event: '$pageview', distinct_id: 'anon-x', timestamp: t(1), properties: { $pathname: '/docs/errors/' } },
      '{"event": "broken", ',
      { uuid: uuid(2), event: 'api_call', distinct_id: 'dev-x', timestamp: t(2), properties: { status: 401, error_code: 'invalid_api_key' }, $set: { plan: 'free' } },
      { uuid: uuid(3), distinct_id: 'dev-x', timestamp: t(3) },
      { uuid: uuid(1), event: '$pageview', distinct_id: 'anon-x', timestamp: t(1), properties: { $pathname: '/docs/errors/' } },
      { uuid: uuid(4), event: 'e', distinct_id: 'dev-x', timestamp: 'yesterday-ish' },
      { uuid: uuid(5), event: '$identify', distinct_id: 'dev-x', timestamp: t(5), properties: { $anon_distinct_id: 'anon-x' }, $set: { email: 'x@example.test' } },
      { uuid: 'not-a-uuid', event: 'e', distinct_id: 'dev-x', timestamp: t(6) },
      { event: 'signed_up', distinct_id: 'dev-x', timestamp: t(7), properties: { ü: 'Grüße 🚀', nested: { a: [1, null] } } },
      { event: 'signed_up', distinct_id: 'dev-y', timestamp: t(8) },
    ]),
  );
}

describe('import into PostgreSQL (the importer with the PostgreSQL target)', () => {
  it('stores what SQLite stores: bad rows reported, duplicates skipped, the identify merges, same persons', async () => {
    const { db } = await pgInstance();
    const sqlite = sqliteInstance();
    const file = historyFile();
    const pgSummary = await importPg(db, file);
    const sqliteSummary = await importSqlite(sqlite, file);
    expect(pgSummary).toMatchObject({ imported: 45, duplicates: 1, rejected: 4, interrupted: false });
    expect(pgSummary.rejectedRows.map((r) => r.line)).toEqual([42, 44, 46, 48]);
    const counts = (s: typeof pgSummary) => ({ imported: s.imported, duplicates: s.duplicates, rejected: s.rejected, rejectedRows: s.rejectedRows });
    expect(counts(pgSummary)).toEqual(counts(sqliteSummary));
    // PostHog rows are received when imported, so only receivedAt may differ.
    const withoutReceived = (events: StoredEvent[]) => events.map(({ received_at: _received, ...rest }) => rest);
    expect(withoutReceived(await pgEvents(db))).toEqual(withoutReceived(sqliteEvents(sqlite)));
    const persons = await pgPersons(db);
    expect(persons).toEqual(sqlitePersons(sqlite));
    expect(persons).toContainEqual({ ids: 'anon-x,dev-x', properties: { plan: 'free', email: 'x@example.test' }, identified: 1 });
  });

  it.each([
    ['in-thread', false],
    ['with the parse worker', true],
  ])('resumes an interrupted import from its checkpoint, and a re-run stores nothing twice (%s)', async (_mode, parallel) => {
    const { db } = await pgInstance();
    const rows: unknown[] = posthogRows(3000);
    rows[1500] = 'not json';
    const file = tempFile('resume.jsonl', jsonl(rows));
    const first = await importPg(db, file, { parallel, commitEvery: 400, stopAfterRows: 1700 });
    expect(first.interrupted).toBe(true);
    expect(await pgCount(db)).toBe(first.imported);
    expect(first.imported).toBe(1699);
    // The checkpoint committed with the last chunk: what it says is stored is exactly what is stored.
    const { rows: saved } = await db.$client.query<{ line: number; imported: number }>('SELECT line::int AS line, imported::int AS imported FROM import_checkpoints');
    expect(saved).toEqual([{ line: 1700, imported: 1699 }]);

    const second = await importPg(db, file, { parallel, commitEvery: 400 });
    expect(second).toMatchObject({ resumedAfterLine: 1700, duplicates: 0, interrupted: false });
    expect(first.imported + second.imported).toBe(2999);
    expect(first.rejected + second.rejected).toBe(1);
    expect(await pgCount(db)).toBe(2999);

    expect(await importPg(db, file, { parallel })).toMatchObject({ alreadyComplete: true, imported: 0 });
    expect(await importPg(db, file, { parallel, restart: true })).toMatchObject({ imported: 0, duplicates: 2999, rejected: 1 });
    expect(await pgCount(db)).toBe(2999);
    const persons = await pgPersons(db);
    expect(persons).toHaveLength(600);
    expect(persons).toContainEqual(expect.objectContaining({ ids: 'anon-599,user-599', identified: 1 }));
  });

  it('commits a chunk and its checkpoint together: when the checkpoint fails, the chunk is not stored either', async () => {
    const { db } = await pgInstance();
    const file = tempFile('atomic.jsonl', jsonl(posthogRows(30)));
    await db.$client.query(`
      CREATE FUNCTION refuse_checkpoint() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'checkpoint refused'; END $$;
      CREATE TRIGGER refuse_checkpoint BEFORE INSERT ON import_checkpoints FOR EACH ROW EXECUTE FUNCTION refuse_checkpoint();`);
    await expect(importPg(db, file, { commitEvery: 10 })).rejects.toThrow(/checkpoint refused/);
    expect(await pgCount(db)).toBe(0);
    await db.$client.query('DROP TRIGGER refuse_checkpoint ON import_checkpoints');
    expect(await importPg(db, file, { commitEvery: 10 })).toMatchObject({ imported: 30, duplicates: 0 });
  });

  it('exports JSONL that imports into another PostgreSQL database (and into SQLite) as the same events and persons', async () => {
    const { db: source } = await pgInstance();
    await importPg(source, historyFile());
    let text = '';
    const count = await exportPgEvents(source, { from: 0, to: Number.MAX_SAFE_INTEGER }, (piece) => {
      text += piece;
    });
    expect(count).toBe(45);
    const exported = tempFile('export.jsonl', text);

    const { db: copy } = await pgInstance();
    expect(await importPg(copy, exported)).toMatchObject({ imported: 45, duplicates: 0, rejected: 0 });
    expect(await pgEvents(copy)).toEqual(await pgEvents(source));
    expect(await pgPersons(copy)).toEqual(await pgPersons(source));

    const sqlite = sqliteInstance();
    expect(await importSqlite(sqlite, exported)).toMatchObject({ imported: 45 });
    expect(sqliteEvents(sqlite)).toEqual(await pgEvents(source));
    let again = '';
    await exportEvents(sqlite.$client, { from: 0, to: Number.MAX_SAFE_INTEGER }, (piece) => {
      again += piece;
    });
    const parsed = (jsonText: string) => jsonText.trim().split('\n').map((line) => {
      const { personId: _person, ...rest } = JSON.parse(line) as Record<string, unknown>;
      return rest;
    });
    expect(parsed(again)).toEqual(parsed(text));
  });
});

describe('onramp CLI with DATABASE_URL=postgres://', () => {
  const cli = (args: string[], databaseUrl: string) =>
    run(process.execPath, ['--import', 'tsx', 'api/cli/onramp.ts', ...args], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: databaseUrl, ONRAMP_PROJECT_TOKEN: TOKEN },
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
    expect(readFileSync(out, 'utf8').trim().split('\n').map((line) => (JSON.parse(line) as { uuid: string }).uuid)).toEqual(
      [0, 1, 2, 3, 4].map((i) => `0190a000-0000-7000-8000-${String(i).padStart(12, '0')}`),
    );

    const unreachable = await cli(['import', file], 'postgres://nobody@127.0.0.1:1/none');
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/cannot use the PostgreSQL database/);
  }, 180_000);
});
