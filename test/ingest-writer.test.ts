import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventsOfLogRow, inProcessRequests, logRecords } from '../api/ingest/raw-log.ts';
import { type NormalizedEvent, validateCapture } from '../api/ingest/validate.ts';
import { createEventWriter } from '../api/ingest/writer.ts';
import type { EventWriterOptions } from '../api/ingest/writer-options.ts';
import type { SqlDatabase } from '../api/storage/sql/interface.ts';
import { postgresDatabase } from '../api/storage/sql/postgres.ts';
import { sqliteDatabase } from '../api/storage/sql/sqlite.ts';
import { PROJECT_TOKEN, testDb } from './support/app.ts';
import { consoleErrorsDuring } from './support/console.ts';
import { storedEventRow } from './support/factories.ts';
import { afterThisTest, freshPgDb, ON_POSTGRES } from './support/pg-test-db.ts';

/**
 * The logged ingest writer on the dialect of the project (SQLite, or PostgreSQL in the `postgres` project), with a
 * SqlDatabase on the same database for assertions. Idle work is kept out of the way unless a test asks for it.
 */
function loggedWriter(options: Omit<EventWriterOptions, 'logged'> = {}) {
  const settings = { pollMs: 60_000, logged: true, ...options };
  const database = ON_POSTGRES ? postgresDatabase(freshPgDb().$client) : sqliteDatabase(testDb().$client);
  const writer = createEventWriter(database, settings);
  afterThisTest(() => writer.close(0));
  return { writer, database, reopen: () => createEventWriter(database, { ...settings, pollMs: 50 }) };
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
    await database.run(sql`INSERT INTO ingest_log (event_count, logged_at, body, capture) VALUES (1, 0, ${Buffer.from('{}')}, '[not json')`);
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

  it('applies with each commit once the backlog passes its bound', async () => {
    const { writer, database } = loggedWriter({ maxBacklogEvents: 600 });
    for (let i = 0; i < 12; i += 1) await writer.write(validate(Array.from({ length: 100 }, () => pageview(`b-${i}`))));
    // Each commit past 600 applies at least what it appended, so the backlog stays near the bound instead of reaching 1200.
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

  it('keeps the backlog within its bound plus one commit under concurrent 1,000-event requests', { timeout: 120_000 }, async () => {
    const bound = 2_000;
    const senders = 6;
    const { writer, database } = loggedWriter({ maxBacklogEvents: bound, maxQueuedEvents: 100_000 });
    let maxPending = 0;
    const send = async (sender: number) => {
      for (let i = 0; i < 6; i += 1) {
        await writer.write(validate(Array.from({ length: 1_000 }, () => pageview(`s${sender}-${i}`))));
        maxPending = Math.max(maxPending, await count(database, sql`SELECT SUM(event_count) AS n FROM ingest_log WHERE error IS NULL`));
      }
    };
    await Promise.all(Array.from({ length: senders }, (_, sender) => send(sender)));
    // One group commit holds at most one request of each sender; applying one chunk per commit let this reach ~30,000.
    expect(maxPending).toBeLessThanOrEqual(bound + senders * 1_000);
    await writer.settle();
    expect(await count(database, sql`SELECT COUNT(*) AS n FROM events`)).toBe(senders * 6 * 1_000);
  });

  it('logs in-process events as requests that revalidate to exactly them, and stores them as written', { timeout: 120_000 }, async () => {
    // Text both dialects store as is (PostgreSQL cannot hold NUL or lone surrogates), and numbers JSON keeps exact.
    const text = fc.string({ unit: 'grapheme', maxLength: 12 }).filter((t) => !t.includes('\u0000'));
    const value = fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }));
    const properties = fc.dictionary(
      text.filter((k) => k.length > 0),
      value,
      { maxKeys: 5 },
    );
    const rawEvent = fc.record({
      event: fc.constantFrom('$pageview', 'signed_up', '$set', 'api_call'),
      distinct_id: text.map((t) => `id-${t.trim()}`),
      timestamp: fc.integer({ min: 1_600_000_000_000, max: 1_760_000_000_000 }),
      properties,
      $set: fc.option(properties, { nil: undefined }),
      $set_once: fc.option(properties, { nil: undefined }),
    });
    const fields = (e: NormalizedEvent) => ({
      uuid: e.uuid,
      event: e.event,
      distinctId: e.distinctId,
      timestamp: e.timestamp,
      receivedAt: e.receivedAt,
      properties: e.properties,
      set: e.set,
      setOnce: e.setOnce,
    });
    const { writer, database } = loggedWriter();
    await fc.assert(
      fc.asyncProperty(fc.array(rawEvent, { minLength: 1, maxLength: 30 }), fc.integer({ min: 0, max: 5_000 }), async (batch, skew) => {
        const events = validateCapture({ api_key: PROJECT_TOKEN, batch }, { projectToken: PROJECT_TOKEN, receivedAt: 1_760_000_000_000 + skew });
        // The row format alone: encoded, packed, decoded.
        const replayed = logRecords(inProcessRequests(events), 0).flatMap(([, , body, capture]) => eventsOfLogRow({ body, capture }));
        expect(replayed.map(fields)).toEqual(events.map(fields));
        // And through the log into `events`, on this dialect.
        await writer.write(events);
        await writer.settle();
        const uuids = events.map((e) => e.uuid);
        const rows = await database.all<Record<string, unknown>>(
          sql`SELECT uuid, event, distinct_id, timestamp, received_at, properties FROM events WHERE uuid IN (${sql.join(
            uuids.map((u) => sql`${u}`),
            sql`, `,
          )})`,
        );
        const byUuid = new Map(
          rows.map((row) => [
            row.uuid,
            {
              ...row,
              timestamp: Number(row.timestamp),
              received_at: Number(row.received_at),
              properties: typeof row.properties === 'string' ? JSON.parse(row.properties) : row.properties,
            },
          ]),
        );
        expect(events.map((e) => byUuid.get(e.uuid))).toEqual(events.map((e) => storedEventRow(e, 'object')));
      }),
      { numRuns: 40, seed: 20261207 },
    );
  });

  it('refuses an in-process event that would not come back exactly, naming its field', async () => {
    const { writer } = loggedWriter();
    const [event] = validate([pageview('exact')]);
    await expect(writer.write([{ ...event!, propertiesJson: event!.propertiesJson, uuid: event!.uuid.toUpperCase() }])).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('batch[0].uuid'),
    });
    await expect(writer.write([{ ...event!, properties: { token: 'x' }, propertiesJson: '{"token":"x"}' }])).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('batch[0].properties'),
    });
  });
});
