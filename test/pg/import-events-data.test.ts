import { describe, expect, it } from 'vitest';
import { createCheckpoints, type Checkpoint } from '../../api/import/checkpoint.ts';
import { exportEvents } from '../../api/import/export.ts';
import { createPgCheckpoints } from '../../api/import/pg/checkpoint.ts';
import { exportPgEvents } from '../../api/import/pg/export.ts';
import { encodeLogEntry } from '../../api/ingest/log.ts';
import { createEventStore } from '../../api/ingest/store.ts';
import { validateCapture } from '../../api/ingest/validate.ts';
import { queryEvents, querySchema } from '../../api/routes/events.ts';
import { queryPgEvents } from '../../api/routes/pg/events.ts';
import type { OnrampDb } from '../../db/client.ts';
import { openPgDb, type OnrampPgDb } from '../../db/client-pg.ts';
import { PROJECT_TOKEN, testDb } from '../support/app.ts';
import { usePostgres } from '../support/postgres.ts';

const T0 = 1_760_000_000_000;

const cluster = usePostgres();

async function pgInstance(): Promise<OnrampPgDb> {
  const db = await openPgDb(await cluster.server().createDatabase());
  cluster.onCleanup(() => db.close());
  return db;
}

function sqliteInstance(): OnrampDb {
  const db = testDb();
  cluster.onCleanup(async () => void db.$client.close());
  return db;
}

/** A deterministic pseudo-random sequence (mulberry32), so a failure reproduces. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` captures over 40 people: pageviews, calls, identifies and aliases that merge anonymous ids into persons,
 * `$set`, nested and non-ASCII properties; timestamps collide often (whole seconds), so ties are ordered by id.
 */
function captures(count: number) {
  const next = random(7);
  const pick = <T,>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  const people = Array.from({ length: 40 }, (_, i) => `user-${i}`);
  const anons = Array.from({ length: 60 }, (_, i) => `anon-${i}`);
  return Array.from({ length: count }, (_, i) => {
    const kind = pick(['view', 'view', 'call', 'call', 'identify', 'alias', 'signup'] as const);
    const distinctId = kind === 'view' ? pick([...people, ...anons]) : pick(people);
    const properties: Record<string, unknown> =
      kind === 'identify'
        ? { $anon_distinct_id: pick(anons), $set: { email: `${distinctId}@example.test`, plan: pick(['free', 'pro']) } }
        : kind === 'alias'
          ? { alias: pick(anons) }
          : kind === 'call'
            ? { status: pick([200, 201, 401, 503]), endpoint: '/sandbox/v1/messages', duration_ms: Math.round(next() * 5000) / 10, nested: { a: [1, 'zwei', null], ü: 'Grüße 🚀' } }
            : { $pathname: pick(['/docs', '/pricing', '/docs/quickstart']), $current_url: 'https://onramp.example.test/x?y=1' };
    const event = { identify: '$identify', alias: '$create_alias', view: '$pageview', call: 'api_call', signup: 'signed_up' }[kind];
    return { uuid: `0193a1b2-c3d4-7e5f-8a9b-${i.toString(16).padStart(12, '0')}`, event, distinct_id: distinctId, timestamp: T0 + Math.floor(next() * 600) * 1000, properties };
  });
}

/** Fills SQLite through the event store, then copies persons, distinct ids and events (ids included) to PostgreSQL. */
async function sameEventsInBoth(count: number): Promise<{ sqlite: OnrampDb; pg: OnrampPgDb }> {
  const sqlite = sqliteInstance();
  const pg = await pgInstance();
  const all = captures(count);
  const store = createEventStore(sqlite.$client);
  for (let i = 0; i < all.length; i += 500) {
    store.writeBatches([validateCapture({ api_key: PROJECT_TOKEN, batch: all.slice(i, i + 500) }, { projectToken: PROJECT_TOKEN, receivedAt: T0 + 700_000 + i })]);
  }
  const rows = (sql: string) => JSON.stringify(sqlite.$client.prepare(sql).all());
  await pg.$client.query(
    `INSERT INTO persons (id, uuid, properties, is_identified, created_at)
     SELECT id, uuid, properties::jsonb, is_identified = 1, created_at FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, uuid text, properties text, is_identified int, created_at bigint)`,
    [rows('SELECT id, uuid, properties, is_identified, created_at FROM persons')],
  );
  await pg.$client.query(
    `INSERT INTO person_distinct_ids (distinct_id, person_id) SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(distinct_id text, person_id bigint)`,
    [rows('SELECT distinct_id, person_id FROM person_distinct_ids')],
  );
  await pg.$client.query(
    `INSERT INTO events (id, uuid, event, distinct_id, person_id, timestamp, received_at, properties)
     SELECT id, uuid, event, distinct_id, person_id, timestamp, received_at, properties::jsonb
       FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, uuid text, event text, distinct_id text, person_id bigint, timestamp bigint, received_at bigint, properties text)`,
    [rows('SELECT id, uuid, event, distinct_id, person_id, timestamp, received_at, properties FROM events')],
  );
  const [{ n }] = (await pg.$client.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM events')).rows as [{ n: number }];
  expect(n).toBe(sqlite.$client.prepare('SELECT COUNT(*) AS n FROM events').pluck().get());
  return { sqlite, pg };
}

/** Exported JSONL as objects (jsonb reorders keys and spaces them differently), with the pieces handed to `write`. */
async function exported(run: (write: (text: string) => void) => Promise<number>) {
  const pieces: string[] = [];
  const count = await run((text) => void pieces.push(text));
  const lines = pieces.join('').split('\n');
  expect(lines.pop()).toBe('');
  expect(pieces.every((piece) => piece.endsWith('\n'))).toBe(true);
  return { count, pieces: pieces.length, events: lines.map((line) => JSON.parse(line) as unknown) };
}

describe('PostgreSQL import checkpoints are the twin of the SQLite ones', () => {
  it('get, save (insert and replace) and clear give the same checkpoints', async () => {
    const sqlite = createCheckpoints(sqliteInstance().$client);
    const pg = createPgCheckpoints(await pgInstance());
    const checkpoints: Checkpoint[] = [
      { fileHash: 'a'.repeat(64), path: '/data/events.jsonl', format: 'jsonl', columns: undefined, byteOffset: 1024, line: 10, imported: 9, duplicates: 1, rejected: 0, completedAt: undefined },
      { fileHash: 'b'.repeat(64), path: '/data/export.csv', format: 'csv', columns: ['uuid', 'event', 'distinct_id'], byteOffset: 0, line: 1, imported: 0, duplicates: 0, rejected: 0, completedAt: undefined },
      // Past 2^31, as a file larger than 2 GiB gets.
      { fileHash: 'a'.repeat(64), path: '/data/events.jsonl', format: 'jsonl', columns: undefined, byteOffset: 5_000_000_000, line: 3_000_000_000, imported: 2_999_999_000, duplicates: 500, rejected: 499, completedAt: T0 },
    ];
    const hashes = ['a'.repeat(64), 'b'.repeat(64), 'c'.repeat(64)];
    const compare = async () => {
      for (const hash of hashes) expect(await pg.get(hash)).toEqual(sqlite.get(hash));
    };
    await compare();
    for (const cp of checkpoints) {
      sqlite.save(cp);
      await pg.save(cp);
      await compare();
    }
    expect(await pg.get('a'.repeat(64))).toEqual(checkpoints[2]);
    sqlite.clear('a'.repeat(64));
    await pg.clear('a'.repeat(64));
    await compare();
    expect(await pg.get('a'.repeat(64))).toBeUndefined();
    expect(await pg.get('b'.repeat(64))).toEqual(checkpoints[1]);
  });
});

describe('PostgreSQL export and events listing are the twins of the SQLite ones', () => {
  it('exports the same events in the same order for whole, partial, single-instant and empty ranges', async () => {
    // More rows than one cursor FETCH (2000), with ties on timestamp across fetch boundaries.
    const { sqlite, pg } = await sameEventsInBoth(4500);
    const timestamps = sqlite.$client.prepare('SELECT DISTINCT timestamp FROM events ORDER BY timestamp').pluck().all() as number[];
    const ranges = [
      { from: 0, to: Number.MAX_SAFE_INTEGER },
      { from: timestamps[10]!, to: timestamps[300]! },
      { from: timestamps[50]!, to: timestamps[50]! },
      { from: timestamps[50]! + 1, to: timestamps[51]! - 1 },
      { from: T0 + 10_000_000, to: T0 + 20_000_000 },
    ];
    for (const range of ranges) {
      const expected = await exported((write) => exportEvents(sqlite.$client, range, write));
      const actual = await exported((write) => exportPgEvents(pg, range, write));
      expect(actual.count).toBe(expected.count);
      expect(actual.events).toEqual(expected.events);
    }
    const whole = await exported((write) => exportPgEvents(pg, ranges[0]!, write));
    expect(whole.count).toBe(4500);
    expect(new Set(whole.events.map((e) => (e as { personId: string }).personId)).size).toBeLessThan(100);
  });

  it('exports events acknowledged into the ingest log but not yet applied', async () => {
    const db = await pgInstance();
    const logged = validateCapture({ api_key: PROJECT_TOKEN, batch: captures(30) }, { projectToken: PROJECT_TOKEN, receivedAt: T0 + 700_000 });
    for (const part of [logged.slice(0, 10), logged.slice(10)]) {
      await db.$client.query('INSERT INTO ingest_log (event_count, events, logged_at) VALUES ($1, $2, $3)', [part.length, encodeLogEntry(part), T0]);
    }
    const { count, events } = await exported((write) => exportPgEvents(db, { from: 0, to: Number.MAX_SAFE_INTEGER }, write));
    expect(count).toBe(30);
    expect(new Set(events.map((e) => (e as { uuid: string }).uuid))).toEqual(new Set(logged.map((e) => e.uuid)));
    const [{ n }] = (await db.$client.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM ingest_log')).rows as [{ n: number }];
    expect(n).toBe(0);
  });

  it('gives its connection back when writing fails, so failed exports cannot exhaust the pool', async () => {
    const pg = await pgInstance();
    // ~3 MB of JSONL, so `write` is first called mid-stream, with the cursor's transaction open.
    await pg.$client.query(`INSERT INTO persons (uuid, created_at) VALUES ('p', 0)`);
    await pg.$client.query(
      `INSERT INTO events (uuid, event, distinct_id, person_id, timestamp, received_at, properties)
       SELECT 'u' || g, '$pageview', 'd', (SELECT id FROM persons), $1::bigint + g, $1::bigint + g, jsonb_build_object('text', repeat('x', 1000))
         FROM generate_series(1, 3000) g`,
      [T0],
    );
    // More failures than the pool (10) has connections: a leaked one would make the last export wait and time out.
    for (let i = 0; i < 12; i += 1) {
      await expect(exportPgEvents(pg, { from: 0, to: Number.MAX_SAFE_INTEGER }, () => Promise.reject(new Error('disk full')))).rejects.toThrow('disk full');
    }
    const whole = await exported((write) => exportPgEvents(pg, { from: 0, to: Number.MAX_SAFE_INTEGER }, write));
    expect(whole.count).toBe(3000);
    expect(whole.pieces).toBeGreaterThan(1);
    expect(pg.$client.totalCount - pg.$client.idleCount).toBe(0);
  });

  it('lists the same events for every combination of event, distinct_id (whole person), before and limit', async () => {
    const { sqlite, pg } = await sameEventsInBoth(1500);
    const anonMerged = sqlite.$client
      .prepare(`SELECT d.distinct_id FROM person_distinct_ids d JOIN persons p ON p.id = d.person_id WHERE d.distinct_id LIKE 'anon-%' AND p.is_identified = 1 LIMIT 1`)
      .pluck()
      .get() as string | undefined;
    expect(anonMerged).toBeDefined();
    const events = [undefined, '$pageview', '$identify', '$create_alias', 'api_call', 'never_sent'];
    const distinctIds = [undefined, 'user-3', anonMerged, 'anon-59', 'nobody'];
    const befores = [undefined, String(T0 + 300_000), new Date(T0 + 1000).toISOString(), '0'];
    const limits = [undefined, '1', '7', '1000'];
    let compared = 0;
    let nonEmpty = 0;
    for (const event of events) {
      for (const distinct_id of distinctIds) {
        for (const before of befores) {
          for (const limit of limits) {
            const q = querySchema.parse(Object.fromEntries(Object.entries({ event, distinct_id, before, limit }).filter(([, v]) => v !== undefined)));
            const expected = queryEvents(sqlite, q);
            expect(await queryPgEvents(pg, q)).toEqual(expected);
            compared += 1;
            if (expected.length > 0) nonEmpty += 1;
          }
        }
      }
    }
    expect(compared).toBe(480);
    expect(nonEmpty).toBeGreaterThan(150);
  });
});
