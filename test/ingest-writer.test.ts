import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { validateCapture } from '../api/ingest/validate.ts';
import { createEventWriter, createPgEventWriter, type EventWriterOptions } from '../api/ingest/writer.ts';
import type { SqlDatabase } from '../api/storage/sql/interface.ts';
import { postgresDatabase } from '../api/storage/sql/postgres.ts';
import { sqliteDatabase } from '../api/storage/sql/sqlite.ts';
import { PROJECT_TOKEN, testDb } from './support/app.ts';
import { consoleErrorsDuring } from './support/console.ts';
import { afterThisTest, freshPgDb, ON_POSTGRES } from './support/pg-test-db.ts';

/**
 * The logged ingest writer on the dialect of the project (SQLite, or PostgreSQL in the `postgres` project), with a
 * SqlDatabase on the same database for assertions. Idle work is kept out of the way unless a test asks for it.
 */
function loggedWriter(options: Omit<EventWriterOptions, 'logged'> = {}) {
  const settings = { pollMs: 60_000, ...options };
  if (ON_POSTGRES) {
    const pg = freshPgDb();
    const writer = createPgEventWriter(pg, settings);
    afterThisTest(() => writer.close(0));
    return { writer, database: postgresDatabase(pg.$client), reopen: () => createPgEventWriter(pg, { ...settings, pollMs: 50 }) };
  }
  const db = testDb();
  const writer = createEventWriter(db.$client, { logged: true, ...settings });
  return { writer, database: sqliteDatabase(db.$client), reopen: () => createEventWriter(db.$client, { logged: true, ...settings, pollMs: 50 }) };
}

let uuidCounter = 0;
/** A fresh lowercase UUID that sorts in creation order. */
const nextUuid = () => `0193a1b2-c3d4-7e5f-8a9b-${(uuidCounter += 1).toString(16).padStart(12, '0')}`;
const pageview = (distinctId: string) => ({
  uuid: nextUuid(),
  event: '$pageview',
  distinct_id: distinctId,
  timestamp: 1_760_000_000_000 + uuidCounter,
  properties: {},
});
const validate = (batch: unknown[]) => validateCapture({ api_key: PROJECT_TOKEN, batch }, { projectToken: PROJECT_TOKEN, receivedAt: 1_760_000_500_000 });

async function count(database: SqlDatabase, query: ReturnType<typeof sql>): Promise<number> {
  const row = await database.get<{ n: unknown }>(query);
  return Number(row?.n ?? 0);
}

describe('ingest writer (group commit over the ingest log)', () => {
  it('acknowledges from the log, and applies it on settle, or on the next start when the first closed first', async () => {
    const first = loggedWriter({ closeDrainMs: 0 });
    await first.writer.write(validate([pageview('crash-1'), pageview('crash-2')]));
    expect(await count(first.database, sql`SELECT COUNT(*) AS n FROM events`)).toBe(0);
    expect(await count(first.database, sql`SELECT SUM(event_count) AS n FROM ingest_log`)).toBe(2);
    expect(first.writer.backlogEvents).toBe(2);
    // The process stops between append and apply: nothing applied, nothing lost.
    await first.writer.close();
    await expect(first.writer.write(validate([pageview('late')]))).rejects.toMatchObject({ status: 503, code: 'shutting_down' });

    const next = first.reopen();
    afterThisTest(() => next.close(0));
    await expect.poll(() => count(first.database, sql`SELECT COUNT(*) AS n FROM events`), { timeout: 5_000 }).toBe(2);
    expect(await count(first.database, sql`SELECT COUNT(*) AS n FROM ingest_log`)).toBe(0);
    await expect.poll(() => next.backlogEvents).toBe(0);
  });

  it('sets aside a row that cannot be applied, keeps it, and applies the rows around it', async () => {
    const { writer, database } = loggedWriter();
    await writer.write(validate([pageview('before')]));
    await database.run(sql`INSERT INTO ingest_log (event_count, events, logged_at) VALUES (1, '[not json', 0)`);
    await writer.write(validate([pageview('after')]));
    const errors = await consoleErrorsDuring(() => writer.settle());
    const rows = await database.all<{ distinct_id: string }>(sql`SELECT distinct_id FROM events ORDER BY distinct_id`);
    expect(rows.map((r) => r.distinct_id)).toEqual(['after', 'before']);
    const log = await database.all<{ event_count: number; failed: unknown }>(sql`SELECT event_count, error IS NOT NULL AS failed FROM ingest_log`);
    expect(log.map((row) => [row.event_count, Boolean(row.failed)])).toEqual([[1, true]]);
    expect(writer.failedLogRows).toBe(1);
    expect(errors).toHaveLength(1);
  });

  it('answers 503 overloaded past maxQueuedEvents, and stores what it accepted', async () => {
    const { writer, database } = loggedWriter({ maxQueuedEvents: 3 });
    const results = await Promise.allSettled([1, 2, 3].map((i) => writer.write(validate([pageview(`q${i}`), pageview(`q${i}`)]))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ status: 503, code: 'overloaded' });
    await writer.settle();
    expect(await count(database, sql`SELECT COUNT(*) AS n FROM events`)).toBe(2);
  });

  it('applies a chunk with each commit once the backlog passes its bound', async () => {
    const { writer, database } = loggedWriter({ maxBacklogEvents: 600 });
    for (let i = 0; i < 12; i += 1) await writer.write(validate(Array.from({ length: 100 }, () => pageview(`b-${i}`))));
    // Each commit past 600 applies one 500-event chunk, so the backlog stays near the bound instead of reaching 1200.
    expect(await count(database, sql`SELECT SUM(event_count) AS n FROM ingest_log`)).toBeLessThanOrEqual(700);
    await writer.settle();
    expect(await count(database, sql`SELECT COUNT(*) AS n FROM events`)).toBe(1200);
  });

  it('groups everything queued while a commit is in flight into the next commit', async () => {
    const { writer, database } = loggedWriter();
    await Promise.all(Array.from({ length: 30 }, (_, i) => writer.write(validate([pageview(`g${i}`)]))));
    // The first request commits alone (it started the loop); the 29 queued behind it share one or two commits.
    expect(await count(database, sql`SELECT COUNT(*) AS n FROM ingest_log`)).toBeLessThanOrEqual(3);
    expect(await count(database, sql`SELECT SUM(event_count) AS n FROM ingest_log`)).toBe(30);
  });
});
