import { gzipSync } from 'node:zlib';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import fc from 'fast-check';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { IngestLog } from '../../api/ingest/ingest-log.ts';
import { createLogProcessor, drainLog } from '../../api/ingest/log-processor.ts';
import { pgSafeEvent, pgSafeText } from '../../api/ingest/pg-safe-text.ts';
import { inProcessRequests, logRecords } from '../../api/ingest/raw-log.ts';
import { validateCapture } from '../../api/ingest/validate.ts';
import { createEventWriter } from '../../api/ingest/writer.ts';
import type { EventWriterOptions } from '../../api/ingest/writer-options.ts';
import { isPgStorageWide, postgresDatabase } from '../../api/storage/sql/postgres.ts';
import { sqliteDatabase } from '../../api/storage/sql/sqlite.ts';
import type { OnrampDb } from '../../db/client.ts';
import { type OnrampPgDb, openPgDb, pgMigrationsFolder } from '../../db/client-pg.ts';
import { PROJECT_TOKEN, testDb } from '../support/app.ts';
import { consoleErrorsDuring } from '../support/console.ts';
import { storedEventRow } from '../support/factories.ts';
import { migrationsBefore, rowOfEvents } from '../support/migrations.ts';
import { usePostgres } from '../support/postgres.ts';

const cluster = usePostgres();

/** One Onramp instance: its own pool on the database, and a PG writer on it. */
async function instance(url: string, options: Omit<EventWriterOptions, 'logged'> = {}) {
  const db = await openPgDb(url);
  cluster.onCleanup(() => db.close());
  const database = postgresDatabase(db.$client);
  const writer = createEventWriter(database, { ...options, logged: true });
  cluster.onCleanup(() => writer.close());
  return { db, writer, processor: createLogProcessor(database) };
}

const validate = (batch: unknown[]) => validateCapture({ api_key: PROJECT_TOKEN, batch }, { projectToken: PROJECT_TOKEN, receivedAt: 1_760_000_500_000 });

let uuidCounter = 0;
/** A fresh lowercase UUID that sorts in creation order. */
const nextUuid = () => `0193a1b2-c3d4-7e5f-8a9b-${(uuidCounter += 1).toString(16).padStart(12, '0')}`;

function pageview(distinctId: string, extra: Record<string, unknown> = {}) {
  return {
    uuid: nextUuid(),
    event: '$pageview',
    distinct_id: distinctId,
    timestamp: 1_760_000_000_000 + uuidCounter,
    properties: { token: PROJECT_TOKEN, ...extra },
  };
}

const count = async (db: OnrampPgDb, sql: string) => Number((await db.$client.query<{ n: string }>(sql)).rows[0]!.n);

/**
 * Events, persons and the distinct-id map with database ids replaced by each person's sorted distinct ids, so two
 * databases that assign different ids compare equal exactly when they hold the same people.
 */
function canonical(
  events: Array<{ uuid: string; event: string; distinct_id: string; person_id: string; timestamp: number; properties: unknown }>,
  persons: Array<{ id: string; properties: unknown; is_identified: boolean; created_at: number }>,
  distinctIds: Array<{ distinct_id: string; person_id: string }>,
) {
  const idsOf = new Map<string, string[]>();
  for (const { distinct_id, person_id } of distinctIds) idsOf.set(person_id, [...(idsOf.get(person_id) ?? []), distinct_id]);
  const label = (personId: string) => (idsOf.get(personId) ?? [`orphan person ${personId}`]).sort().join(' + ');
  return {
    events: events.map((e) => ({
      uuid: e.uuid,
      event: e.event,
      distinctId: e.distinct_id,
      timestamp: e.timestamp,
      properties: e.properties,
      person: label(e.person_id),
    })),
    persons: persons
      .map((p) => ({ person: label(p.id), properties: p.properties, identified: p.is_identified, createdAt: p.created_at }))
      .sort((a, b) => a.person.localeCompare(b.person)),
    distinctIds: distinctIds.map((d) => ({ distinctId: d.distinct_id, person: label(d.person_id) })).sort((a, b) => a.distinctId.localeCompare(b.distinctId)),
  };
}

function sqliteSnapshot(db: OnrampDb) {
  const q = <T>(sql: string) => db.$client.prepare(sql).all() as T[];
  return canonical(
    q<{ uuid: string; event: string; distinct_id: string; person_id: number; timestamp: number; properties: string }>(
      'SELECT uuid, event, distinct_id, person_id, timestamp, properties FROM events ORDER BY id',
    ).map((e) => ({ ...e, person_id: String(e.person_id), properties: JSON.parse(e.properties) as unknown })),
    q<{ id: number; properties: string; is_identified: number; created_at: number }>('SELECT id, properties, is_identified, created_at FROM persons').map(
      (p) => ({
        id: String(p.id),
        properties: JSON.parse(p.properties) as unknown,
        is_identified: p.is_identified === 1,
        created_at: p.created_at,
      }),
    ),
    q<{ distinct_id: string; person_id: number }>('SELECT distinct_id, person_id FROM person_distinct_ids').map((d) => ({
      ...d,
      person_id: String(d.person_id),
    })),
  );
}

async function pgSnapshot(db: OnrampPgDb) {
  const q = async <T extends pg.QueryResultRow>(sql: string) => (await db.$client.query<T>(sql)).rows;
  return canonical(
    await q('SELECT uuid, event, distinct_id, person_id::text, timestamp::float8 AS timestamp, properties FROM events ORDER BY id'),
    await q('SELECT id::text, properties, is_identified, created_at::float8 AS created_at FROM persons'),
    await q('SELECT distinct_id, person_id::text FROM person_distinct_ids'),
  );
}

/** Applies everything logged one row per transaction, so identity state crosses many chunk boundaries. */
async function applyRowByRow(processor: IngestLog) {
  for (let n = await processor.processChunk({ maxEvents: 1, wait: true }); n !== 0; n = await processor.processChunk({ maxEvents: 1, wait: true }));
}

/** One generated capture, as in test/ingest-log.test.ts: a small pool of ids and uuids, so merges, aliases, $set and retries collide. */
const ids = ['a', 'b', 'c', 'd', 'anonymous'];
const jsonPropertyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }).filter((s) => !s.includes('\u0000')),
);
const generatedEvent = fc.record({
  kind: fc.constantFrom('view', 'identify', 'alias', 'set', 'set_once'),
  distinctId: fc.constantFrom(...ids),
  other: fc.constantFrom(...ids),
  uuidIndex: fc.integer({ min: 0, max: 40 }),
  at: fc.integer({ min: 0, max: 1_000_000 }),
  value: jsonPropertyValue,
});

function toCapture(g: { kind: string; distinctId: string; other: string; uuidIndex: number; at: number; value: unknown }) {
  const uuid = `0193a1b2-c3d4-7e5f-8a9b-${g.uuidIndex.toString(16).padStart(12, '0')}`;
  const properties: Record<string, unknown> = { token: PROJECT_TOKEN, value: g.value };
  if (g.kind === 'identify') properties.$anon_distinct_id = g.other;
  if (g.kind === 'alias') properties.alias = g.other;
  if (g.kind === 'set') properties.$set = { last: g.at, value: g.value };
  if (g.kind === 'set_once') properties.$set_once = { first: g.at, value: g.value };
  const event = g.kind === 'identify' ? '$identify' : g.kind === 'alias' ? '$create_alias' : g.kind === 'view' ? '$pageview' : '$set';
  return { uuid, event, distinct_id: g.distinctId, timestamp: 1_760_000_000_000 + g.at, properties };
}

describe('PostgreSQL ingest gives exactly what SQLite gives', () => {
  it('same events, persons and merges for any sequence of JSON, gzip and in-process requests, however the log is applied', async () => {
    const { db, writer, processor } = await instance(await cluster.server().createDatabase(), { pollMs: 60_000 });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ events: fc.array(generatedEvent, { minLength: 1, maxLength: 4 }), via: fc.constantFrom('json', 'gzip', 'in-process') }), {
          minLength: 1,
          maxLength: 25,
        }),
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 25 }), rowByRow: fc.boolean() }), { maxLength: 3 }),
        async (requests, applyPoints) => {
          await db.$client.query('TRUNCATE events, person_distinct_ids, persons, ingest_log');
          const sqlite = testDb();
          const direct = createEventWriter(sqliteDatabase(sqlite.$client));
          for (const [i, request] of requests.entries()) {
            const batch = request.events.map(toCapture);
            const events = validate(batch);
            // A request over HTTP is logged as received and validated again when applied (api/ingest/raw-log.ts).
            const json = JSON.stringify({ api_key: PROJECT_TOKEN, batch });
            const raw =
              request.via === 'gzip'
                ? {
                    body: gzipSync(json),
                    meta: { contentType: 'application/json', contentEncoding: 'gzip', compression: undefined },
                    querySentAt: undefined,
                    projectToken: PROJECT_TOKEN,
                  }
                : request.via === 'json'
                  ? {
                      body: Buffer.from(json),
                      meta: { contentType: 'application/json', contentEncoding: undefined, compression: undefined },
                      querySentAt: undefined,
                      projectToken: PROJECT_TOKEN,
                    }
                  : undefined;
            await Promise.all([direct.write(events), writer.write(events, raw)]);
            // Apply part of the log midway, so merges meet a mix of applied and logged events.
            for (const point of applyPoints.filter((p) => p.at === i)) await (point.rowByRow ? applyRowByRow(processor) : writer.settle());
          }
          await writer.settle();
          expect(await pgSnapshot(db)).toEqual(sqliteSnapshot(sqlite));
          expect(await count(db, 'SELECT COUNT(*) AS n FROM ingest_log')).toBe(0);
          sqlite.$client.close();
        },
      ),
      { numRuns: 40, seed: 20261124 },
    );
  });

  it('keeps the text of ordinary properties as SQLite has it, and turns what jsonb rejects into U+FFFD', async () => {
    const { db, writer } = await instance(await cluster.server().createDatabase());
    const ordinary = {
      emoji: '😀 ok',
      escapes: 'a\\u0000b "q" \\ud800',
      nested: { list: [1, 2.5, -0, 1e-7, 12345678901234567000, null, true], é: 'ü' },
      __proto__key: 1,
    };
    const hostile = { nul: 'a\u0000b', lone: 'x\ud800y', trail: 'z\udc00', pair: '\ud83d\ude00', 'k\u0000': ['\u0000', { 'deep\ud800': 'v\u0000' }] };
    const events = validate([
      pageview('plain', ordinary),
      { ...pageview('nul\u0000id', hostile), event: 'ev\u0000ent', $set: { name: 'n\u0000', ok: 'fine' } },
    ]);
    expect(pgSafeEvent(events[0]!)).toBe(events[0]);
    await writer.write(events);
    await writer.settle();
    expect(writer.failedLogRows).toBe(0);
    const { rows } = await db.$client.query<{ event: string; distinct_id: string; properties: Record<string, unknown> }>(
      'SELECT event, distinct_id, properties FROM events ORDER BY id',
    );
    // jsonb orders keys its own way (as db/schema/pg.ts says); every value, and every character of every string, is kept.
    expect(rows[0]!.properties).toStrictEqual(JSON.parse(events[0]!.propertiesJson));
    expect(rows[0]!.properties).toEqual({ ...ordinary, nested: { ...ordinary.nested, list: [1, 2.5, 0, 1e-7, 12345678901234567000, null, true] } });
    expect(rows[1]!.event).toBe('ev\ufffdent');
    expect(rows[1]!.distinct_id).toBe('nul\ufffdid');
    expect(rows[1]!.properties).toMatchObject({
      nul: 'a\ufffdb',
      lone: 'x\ufffdy',
      trail: 'z\ufffd',
      pair: '😀',
      'k\ufffd': ['\ufffd', { 'deep\ufffd': 'v\ufffd' }],
    });
    const person = await db.$client.query<{ properties: unknown }>(
      "SELECT p.properties FROM persons p JOIN person_distinct_ids d ON d.person_id = p.id WHERE d.distinct_id = 'nul' || chr(65533) || 'id'",
    );
    expect(person.rows[0]!.properties).toEqual({ name: 'n\ufffd', ok: 'fine' });
  });

  it('pgSafeText leaves well-formed text alone and replaces NUL and lone surrogates only', () => {
    expect(pgSafeText('plain ünïcödé 😀')).toBe('plain ünïcödé 😀');
    expect(pgSafeText('\u0000\ud800\udc00\ud800x\udc00')).toBe('\ufffd\ud800\udc00\ufffdx\ufffd');
    expect(pgSafeText('\udbff')).toBe('\ufffd');
  });
});

/** What only PostgreSQL's log does; the writer's behaviour on both dialects is in test/ingest-writer.test.ts. */
describe('PostgreSQL ingest log', () => {
  it('answers 503 storage_unavailable when the database cannot be used', async () => {
    const db = await openPgDb(await cluster.server().createDatabase());
    const writer = createEventWriter(postgresDatabase(db.$client), { logged: true, pollMs: 60_000, closeDrainMs: 0 });
    await db.close();
    await expect(writer.write(validate([pageview('nowhere')]))).rejects.toMatchObject({ status: 503, code: 'storage_unavailable' });
    await writer.close();
  });

  it('tells failures of the database (kept logged, retried) from failures of a row (set aside)', () => {
    const withCode = (code: string) => Object.assign(new Error('x'), { code });
    for (const err of [
      withCode('53100'),
      withCode('08006'),
      withCode('57P01'),
      withCode('40P01'),
      withCode('ECONNREFUSED'),
      new Error('Connection terminated unexpectedly'),
    ]) {
      expect(isPgStorageWide(err), String((err as { code?: string }).code ?? err.message)).toBe(true);
    }
    for (const err of [
      withCode('22P02'),
      withCode('23503'),
      withCode('22021'),
      new SyntaxError('Connection terminated: quoted from a bad row'),
      new Error('boom'),
    ]) {
      expect(isPgStorageWide(err), String((err as { code?: string }).code ?? err.message)).toBe(false);
    }
  });

  it('still applies a row that commits after a row with a larger id was applied', async () => {
    const url = await cluster.server().createDatabase();
    const { db, writer } = await instance(url, { pollMs: 60_000 });
    const [early] = validate([pageview('slow-instance')]);
    const [late] = validate([pageview('fast-instance')]);
    // Another instance's append, still in flight: its id is taken, its row not yet visible.
    const slow = new pg.Client({ connectionString: url });
    await slow.connect();
    cluster.onCleanup(() => slow.end());
    await slow.query('BEGIN');
    const [record] = logRecords(inProcessRequests([early!]), 0);
    const { rows } = await slow.query<{ id: string }>(
      'INSERT INTO ingest_log (event_count, logged_at, body, capture) VALUES ($1, $2, $3, $4) RETURNING id::text',
      record,
    );
    await writer.write([late!]);
    await writer.settle();
    const stored = async () => (await db.$client.query<{ distinct_id: string }>('SELECT distinct_id FROM events ORDER BY id')).rows.map((r) => r.distinct_id);
    expect(await stored()).toEqual(['fast-instance']);
    expect(Number(rows[0]!.id)).toBeLessThan(await count(db, 'SELECT last_value AS n FROM ingest_log_id_seq'));

    await slow.query('COMMIT');
    await writer.settle();
    expect(await stored()).toEqual(['fast-instance', 'slow-instance']);
    expect(await count(db, 'SELECT COUNT(*) AS n FROM ingest_log')).toBe(0);
  });
});

describe('two Onramp instances on one PostgreSQL database', () => {
  it('store the same uuid sent to both once', async () => {
    const url = await cluster.server().createDatabase();
    const a = await instance(url);
    const b = await instance(url);
    const [event] = validate([pageview('retrying-sdk')]);
    await Promise.all([a.writer.write([event!]), b.writer.write([event!])]);
    await Promise.all([a.writer.settle(), b.writer.settle()]);
    expect(await count(a.db, `SELECT COUNT(*) AS n FROM events WHERE uuid = '${event!.uuid}'`)).toBe(1);
    expect(await count(a.db, 'SELECT COUNT(*) AS n FROM ingest_log')).toBe(0);
  });

  it.each(['identifying', 'other'] as const)(
    'merge anonymous events from one with an identify on the other (settled on the %s instance)',
    async (settledOn) => {
      const url = await cluster.server().createDatabase();
      const a = await instance(url, { pollMs: 60_000 });
      const b = await instance(url, { pollMs: 60_000 });
      // Both ids already have a person, so the identify merges two persons rather than mapping a new id.
      await a.writer.write(validate([{ ...pageview('user-x'), $set: { plan: 'pro', name: 'Ada' } }]));
      await a.writer.settle();
      await b.writer.write(validate([pageview('anon-x', { step: 1 }), { ...pageview('anon-x'), $set: { plan: 'free', referrer: 'docs' } }]));
      await b.writer.settle();
      await b.writer.write(validate([pageview('anon-x', { step: 2 })]));
      await a.writer.write(validate([{ ...pageview('user-x'), event: '$identify', properties: { token: PROJECT_TOKEN, $anon_distinct_id: 'anon-x' } }]));
      await a.writer.write(validate([pageview('user-x', { step: 3 })]));
      await (settledOn === 'identifying' ? a : b).writer.settle();
      const { rows } = await a.db.$client.query<{ person_id: string }>('SELECT DISTINCT person_id::text FROM events');
      expect(rows).toHaveLength(1);
      expect(await count(a.db, 'SELECT COUNT(*) AS n FROM events')).toBe(6);
      // The identified person's properties win; the anonymous one's only fill gaps.
      const person = await a.db.$client.query<{ properties: unknown; is_identified: boolean }>('SELECT properties, is_identified FROM persons');
      expect(person.rows).toEqual([{ properties: { plan: 'pro', name: 'Ada', referrer: 'docs' }, is_identified: true }]);
      const mapped = await a.db.$client.query<{ distinct_id: string; person_id: string }>(
        'SELECT distinct_id, person_id::text FROM person_distinct_ids ORDER BY distinct_id',
      );
      expect(mapped.rows).toEqual([
        { distinct_id: 'anon-x', person_id: rows[0]!.person_id },
        { distinct_id: 'user-x', person_id: rows[0]!.person_id },
      ]);
    },
  );

  it('apply a shared backlog concurrently without applying a row twice or losing one', async () => {
    const url = await cluster.server().createDatabase();
    const a = await instance(url, { pollMs: 60_000, closeDrainMs: 0 });
    const b = await instance(url, { pollMs: 60_000, closeDrainMs: 0 });
    const uuids = new Set<string>();
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 60; i += 1) {
      const batch = validate(Array.from({ length: 25 }, (_, j) => pageview(`user-${(i * 7 + j) % 40}`)));
      // Every tenth request replays an earlier one, as a retrying SDK does.
      const events =
        i % 10 === 9 ? validate(batch.map((e) => ({ uuid: e.uuid, event: e.event, distinct_id: e.distinctId, properties: { token: PROJECT_TOKEN } }))) : batch;
      for (const e of events) uuids.add(e.uuid);
      writes.push((i % 2 === 0 ? a : b).writer.write(events));
    }
    await Promise.all(writes);
    // Stop both writers' own idle work, so every row below is taken by one of the appliers we count.
    await Promise.all([a.writer.close(), b.writer.close()]);
    const logged = await count(a.db, 'SELECT SUM(event_count) AS n FROM ingest_log');
    expect(logged).toBe(1500);

    const idle = (processor: IngestLog) => async () => {
      let taken = 0;
      for (let misses = 0; misses < 50; ) {
        const result = await processor.processChunk({ maxEvents: 60 });
        if (result === 'busy') misses += 1;
        else if (result === 0) break;
        else taken += result;
      }
      return taken;
    };
    const settle = (processor: IngestLog) => async () => {
      const upToId = await processor.lastRowId();
      let taken = 0;
      for (let result = await processor.processChunk({ maxEvents: 90, upToId, wait: true }); result !== 0; ) {
        taken += result as number;
        result = await processor.processChunk({ maxEvents: 90, upToId, wait: true });
      }
      return taken;
    };
    const appliers = [idle(a.processor), idle(b.processor), settle(a.processor), settle(b.processor), idle(a.processor), settle(b.processor)];
    const taken = await Promise.all(appliers.map((apply) => apply()));
    expect(taken.reduce((n, t) => n + t, 0)).toBe(logged);
    expect(taken.filter((t) => t > 0).length).toBeGreaterThan(1);
    expect(await count(a.db, 'SELECT COUNT(*) AS n FROM ingest_log')).toBe(0);
    expect(await count(a.db, 'SELECT COUNT(*) AS n FROM events')).toBe(uuids.size);
    expect(await count(a.db, 'SELECT COUNT(DISTINCT distinct_id) AS n FROM person_distinct_ids')).toBe(40);
    expect(await count(a.db, 'SELECT COUNT(*) AS n FROM persons')).toBe(40);
  });

  it('keep writing while both apply through idle work and settles, and end with every event once', async () => {
    const url = await cluster.server().createDatabase();
    const a = await instance(url, { pollMs: 20 });
    const b = await instance(url, { pollMs: 20 });
    const uuids = new Set<string>();
    const work: Promise<void>[] = [];
    for (let i = 0; i < 40; i += 1) {
      const events = validate(Array.from({ length: 20 }, (_, j) => pageview(`p-${(i + j) % 13}`)));
      for (const e of events) uuids.add(e.uuid);
      const [writer, other] = i % 2 === 0 ? [a.writer, b.writer] : [b.writer, a.writer];
      work.push(writer.write(events));
      if (i % 5 === 4) work.push(other.settle());
      if (i % 8 === 0) await new Promise((resolve) => setTimeout(resolve, 120));
    }
    await Promise.all(work);
    await Promise.all([a.writer.settle(), b.writer.settle()]);
    expect(await count(a.db, 'SELECT COUNT(*) AS n FROM events')).toBe(uuids.size);
    expect(await count(a.db, 'SELECT COUNT(*) AS n FROM ingest_log')).toBe(0);
    expect(await count(a.db, 'SELECT COUNT(*) AS n FROM persons')).toBe(13);
  });
});

describe('PostgreSQL ingest log: rows of events written before one row format', () => {
  it('are converted by the migration and apply to exactly the events they held; a bad one is kept and set aside', async () => {
    const url = await cluster.server().createDatabase();
    const old = new pg.Client({ connectionString: url });
    await old.connect();
    await migrate(drizzle(old), { migrationsFolder: migrationsBefore(pgMigrationsFolder, '0006_ingest_log_requests_only') });
    const batch = (receivedAt: number, ...distinctIds: string[]) =>
      validateCapture(
        {
          api_key: PROJECT_TOKEN,
          batch: distinctIds.map((id, i) => ({
            ...pageview(id, { $pathname: '/docs/ünï"code/', n: [1.5, { deep: null }] }),
            timestamp: 1_760_000_000_000 + i,
            $set: { plan: id },
          })),
        },
        { projectToken: PROJECT_TOKEN, receivedAt },
      );
    const events = [...batch(1_760_000_100_000, 'up-1', 'up-2'), ...batch(1_760_000_200_000, 'up-3')];
    const insert = 'INSERT INTO ingest_log (event_count, events, logged_at) VALUES ($1, $2, 0)';
    await old.query(insert, [events.length, rowOfEvents(events)]);
    await old.query(insert, [1, '[not json']);
    await old.end();

    const db = await openPgDb(url);
    cluster.onCleanup(() => db.close());
    const errors = await consoleErrorsDuring(() => drainLog(postgresDatabase(db.$client)));
    const { rows } = await db.$client.query(
      'SELECT uuid, event, distinct_id, timestamp::float8 AS timestamp, received_at::float8 AS received_at, properties FROM events ORDER BY id',
    );
    expect(rows).toEqual(events.map((e) => storedEventRow(e, 'object')));
    const persons = await db.$client.query('SELECT properties FROM persons ORDER BY id');
    expect(persons.rows.map((r) => r.properties)).toEqual([{ plan: 'up-1' }, { plan: 'up-2' }, { plan: 'up-3' }]);
    const left = await db.$client.query("SELECT event_count AS n, convert_from(body, 'UTF8') AS body, error IS NOT NULL AS failed FROM ingest_log");
    expect(left.rows).toEqual([{ n: 1, body: '[not json', failed: true }]);
    expect(errors).toHaveLength(1);
  });
});
