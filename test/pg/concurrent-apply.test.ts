/**
 * Two appliers (two pools, as two instances have) apply one ingest log on one PostgreSQL database at the same time,
 * each taking whichever apply partition is free (api/ingest/apply-partitions.ts). The log holds many developers'
 * journeys: anonymous reading, `$identify` and `$create_alias` merges (a second device too), `$set`, retried
 * uuids, calls with failures before a first success, and milestones. The test proves that they overlapped (a monitor
 * sees both holding a partition at once) and that everything stored, and the reports, equal one applier's serial
 * apply of the same log on another database.
 */
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { parseFunnelParams } from '../../api/analytics/funnel-params.ts';
import { funnelReport } from '../../api/analytics/funnel-report.ts';
import { parseRangeParams, parseTtfsiParams } from '../../api/analytics/params.ts';
import { createReportStore } from '../../api/analytics/report-store.ts';
import { ttfsiReport } from '../../api/analytics/ttfsi-report.ts';
import { partitionOf, pendingEvents } from '../../api/ingest/apply-partitions.ts';
import { createLogProcessor, drainLog } from '../../api/ingest/log-processor.ts';
import { inProcessRequests, type LogItem, packedRecords } from '../../api/ingest/raw-log.ts';
import type { NormalizedEvent } from '../../api/ingest/validate.ts';
import type { SqlDatabase } from '../../api/storage/sql/interface.ts';
import { advisoryLockKey, postgresDatabase } from '../../api/storage/sql/postgres.ts';
import { openPgDb } from '../../db/client-pg.ts';
import { usePostgres } from '../support/postgres.ts';

const cluster = usePostgres();

const T0 = Date.UTC(2026, 2, 2);
const MINUTE = 60_000;
const DEVELOPERS = 240;
const RECEIVED = T0 + 30 * 86_400_000;

let uuidCounter = 0;
const nextUuid = () => `0193a1b2-c3d4-7e5f-8a9b-${(uuidCounter += 1).toString(16).padStart(12, '0')}`;

function event(name: string, distinctId: string, at: number, properties: Record<string, unknown> = {}): NormalizedEvent {
  const set = properties.$set as Record<string, unknown> | undefined;
  return {
    uuid: nextUuid(),
    event: name,
    distinctId,
    timestamp: at,
    receivedAt: 0,
    properties,
    propertiesJson: JSON.stringify(properties),
    set,
    setOnce: undefined,
  };
}

const call = (who: string, at: number, status: number, endpoint = '/v1/messages') =>
  event('api_call', who, at, { endpoint, method: 'GET', status, duration_ms: 20 + (at % 300), ...(status >= 400 ? { error_code: `e${status}` } : {}) });

/**
 * The log, as requests in arrival order: reading before signup, then the identifies (one request each, as a browser
 * sends them), then server batches of calls and milestones with retries, then a second device per tenth developer,
 * aliased, and more calls. Requests take turns between developers, so every row mixes partitions.
 */
function journeys(): NormalizedEvent[][] {
  const requests: NormalizedEvent[][] = [];
  const dev = (i: number) => ({ anon: `anon-${i}`, user: `user-${i}`, at: T0 + i * 7 * MINUTE });
  for (let round = 0; round < 3; round += 1) {
    for (let start = 0; start < DEVELOPERS; start += 12) {
      const batch: NormalizedEvent[] = [];
      for (let i = start; i < start + 12; i += 1) {
        const { anon, at } = dev(i);
        batch.push(event('$pageview', anon, at + round * MINUTE, { $current_url: `/docs/${round}` }));
        if (round === 1) batch.push(event('quickstart_started', anon, at + round * MINUTE + 1, { $set: { referrer: `r${i % 5}` } }));
      }
      requests.push(batch);
    }
  }
  for (let i = 0; i < DEVELOPERS; i += 1) {
    if (i % 8 === 7) continue; // never signs up
    const { anon, user, at } = dev(i);
    requests.push([event('$identify', user, at + 5 * MINUTE, { $anon_distinct_id: anon, $set: { email: `${user}@example.com`, plan: 'free' } })]);
  }
  const retried: NormalizedEvent[] = [];
  for (let round = 0; round < 4; round += 1) {
    for (let start = 0; start < DEVELOPERS; start += 20) {
      const batch: NormalizedEvent[] = [];
      for (let i = start; i < start + 20; i += 1) {
        if (i % 8 === 7) continue;
        const { user, at } = dev(i);
        const t = at + (10 + round * 30) * MINUTE;
        if (round === 0) batch.push(event('signed_up', user, t), event('api_key_created', user, t + 1));
        // Failures first, then successes for most; a few never succeed.
        batch.push(call(user, t + 2, round < 2 || i % 6 === 0 ? 401 : 200), call(user, t + 3, 500, '/v1/keys'));
        if (round === 3) batch.push(event('$set', user, t + 4, { $set: { plan: i % 3 === 0 ? 'pro' : 'free' } }));
      }
      requests.push(batch);
      if (start % 60 === 0) retried.push(...batch.slice(0, 5));
    }
  }
  // A retrying SDK: the same uuids again, in one request of their own.
  requests.push(retried.map((e) => ({ ...e })));
  for (let i = 0; i < DEVELOPERS; i += 10) {
    const { user, at } = dev(i);
    const laptop = `laptop-${i}`;
    requests.push([event('$pageview', laptop, at + 200 * MINUTE)]);
    requests.push([event('$create_alias', user, at + 201 * MINUTE, { alias: laptop })]);
    requests.push([call(laptop, at + 202 * MINUTE, 200), event('support_ticket_created', laptop, at + 203 * MINUTE)]);
  }
  // Calls and `$set` from both devices of one person in one request: two partitions update that person.
  for (let round = 0; round < 30; round += 1) {
    const batch: NormalizedEvent[] = [];
    for (let i = 0; i < DEVELOPERS; i += 10) {
      const { user, at } = dev(i);
      const t = at + (210 + round) * MINUTE;
      batch.push(call(user, t, i % 6 === 0 ? 403 : 200), call(`laptop-${i}`, t + 1, i % 6 === 0 ? 429 : 200, '/v1/keys'));
      // Each device sets a property of its own on the shared person: a lost update would drop one.
      batch.push(
        event('$set', user, t + 2, { $set: { [`desktop_${round}`]: true } }),
        event('$set', `laptop-${i}`, t + 3, { $set: { [`laptop_${round}`]: true } }),
      );
    }
    requests.push(batch);
  }
  return requests;
}

/** Each request logged as received, all of them in one append per group of 40 (as group commits pack them). */
function logItems(): LogItem[][] {
  const items = journeys().flatMap((request, i) => inProcessRequests(request.map((e) => ({ ...e, receivedAt: RECEIVED + i }))));
  const commits: LogItem[][] = [];
  for (let i = 0; i < items.length; i += 40) commits.push(items.slice(i, i + 40));
  return commits;
}

async function openInstance(url: string): Promise<SqlDatabase> {
  const db = await openPgDb(url);
  cluster.onCleanup(() => db.close());
  return postgresDatabase(db.$client);
}

/** Applies the log with idle chunks until it is empty; returns the events this applier took. */
async function applyAll(database: SqlDatabase): Promise<number> {
  const processor = createLogProcessor(database);
  let taken = 0;
  for (;;) {
    const result = await processor.processChunk({ maxEvents: 200 });
    if (result === 0) return taken;
    if (result === 'busy') await new Promise((resolve) => setTimeout(resolve, 2));
    else taken += result;
  }
}

/**
 * Samples pg_locks while `work` runs: the most backends seen at once holding the apply lock shared, which only
 * appliers of single partitions do.
 */
async function mostPartitionAppliers(url: string, work: Promise<unknown>): Promise<number> {
  const monitor = new pg.Client({ connectionString: url });
  await monitor.connect();
  const key = BigInt(advisoryLockKey('ingest'));
  const [classid, objid] = [String(key >> 32n), String(key & 0xffffffffn)];
  let most = 0;
  let done = false;
  void work.finally(() => (done = true));
  try {
    while (!done) {
      const { rows } = await monitor.query<{ n: number }>(
        `SELECT count(DISTINCT pid)::int AS n FROM pg_locks
          WHERE locktype = 'advisory' AND granted AND mode = 'ShareLock' AND classid = $1 AND objid = $2 AND objsubid = 1`,
        [classid, objid],
      );
      most = Math.max(most, rows[0]!.n);
    }
  } finally {
    await monitor.end();
  }
  return most;
}

/**
 * Everything the apply writes, with database ids replaced by each person's sorted distinct ids, so two databases
 * that assign ids in different orders compare equal exactly when they hold the same.
 */
async function stored(database: SqlDatabase) {
  const idsOf = new Map<number, string[]>();
  for (const row of await database.all<{ distinct_id: string; person_id: number }>(sql`SELECT distinct_id, person_id FROM person_distinct_ids`)) {
    idsOf.set(Number(row.person_id), [...(idsOf.get(Number(row.person_id)) ?? []), row.distinct_id].sort());
  }
  const label = (id: unknown) => (idsOf.get(Number(id)) ?? [`orphan ${id}`]).join(' + ');
  const byLabel = <T extends { person: string }>(rows: T[]) => rows.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  const events = await database.all(sql`SELECT uuid, event, distinct_id, person_id, timestamp, properties FROM events ORDER BY uuid`);
  const persons = await database.all(sql`SELECT id, properties, is_identified, created_at FROM persons`);
  const facts = await database.all(sql`SELECT person_id, first_call_at, first_success_at, failures FROM person_call_facts`);
  const failures = await database.all(sql`SELECT person_id, timestamp, code FROM first_call_failures`);
  const milestones = await database.all(
    sql`SELECT m.person_id, m.timestamp, m.event, e.uuid FROM person_milestones m JOIN events e ON e.id = m.event_id ORDER BY e.uuid`,
  );
  return {
    events: events.map(({ person_id, ...e }) => ({ ...e, person: label(person_id) })),
    persons: byLabel(persons.map(({ id, ...p }) => ({ ...p, person: label(id) }))),
    distinctIds: [...idsOf.values()].map((ids) => ids.join(' + ')).sort(),
    rollups: await database.all(
      sql`SELECT span, bucket_start, endpoint, method, status, code, flags, calls, encode(sketch, 'hex') AS sketch FROM api_call_rollups
           ORDER BY span, bucket_start, endpoint, method, status, code, flags`,
    ),
    facts: byLabel(facts.map(({ person_id, ...f }) => ({ ...f, person: label(person_id) }))),
    failures: byLabel(failures.map(({ person_id, ...f }) => ({ ...f, person: label(person_id) }))),
    milestones: milestones.map(({ person_id, ...m }) => ({ ...m, person: label(person_id) })),
    log: await database.all(sql`SELECT id, error FROM ingest_log`),
  };
}

/** The funnel, TTFSI and API-health reports over the journeys' month, from raw events and from the per-person state. */
async function reports(database: SqlDatabase) {
  const query = { from: new Date(T0).toISOString(), to: new Date(T0 + 20 * 86_400_000).toISOString() };
  const now = T0 + 25 * 86_400_000;
  const state = createReportStore(database);
  const funnel = parseFunnelParams({ ...query, window: '1d' }, now);
  const ttfsi = parseTtfsiParams(query, now);
  return {
    funnel: await funnelReport(database, funnel),
    funnelFromState: await state.funnel(funnel),
    ttfsi: await ttfsiReport(database, ttfsi),
    ttfsiFromState: await state.ttfsi(ttfsi),
    apiHealth: await state.apiHealth(parseRangeParams(query, now)),
  };
}

describe('log rows for a partitioned apply', () => {
  it('give a request with a link a row of its own, and record the partitions of every row', () => {
    const plain = [event('$pageview', 'anon-a', T0), event('$pageview', 'anon-b', T0 + 1)];
    const link = [event('$identify', 'user-a', T0 + 2, { $anon_distinct_id: 'anon-a' })];
    const refused = [event('$identify', 'user-b', T0 + 3, { $anon_distinct_id: 'user-b' })];
    const items = [plain, link, plain.map((e) => ({ ...e, uuid: nextUuid() })), refused].flatMap((r) =>
      inProcessRequests(r.map((e) => ({ ...e, receivedAt: RECEIVED }))),
    );
    const rows = packedRecords(items, 0, 4);
    expect(rows.map((row) => [row.record[0], row.links])).toEqual([
      [2, false],
      [1, true],
      // A link PostHog refuses (to itself) links nothing, so it packs with its neighbours.
      [3, false],
    ]);
    const partitionsOf = (ids: string[]) => ids.reduce((mask, id) => mask | (2 ** partitionOf(id, 4)), 0);
    expect(rows.map((row) => row.partitions)).toEqual([
      partitionsOf(['anon-a', 'anon-b']),
      partitionsOf(['user-a']),
      partitionsOf(['anon-a', 'anon-b', 'user-b']),
    ]);
    // One partition: rows pack as before, whatever they hold.
    expect(packedRecords(items, 0, 1).map((row) => [row.record[0], row.partitions])).toEqual([[6, 1]]);
    // A row's pending events: those of the partitions whose bit is still set.
    const pending = 2 ** partitionOf('anon-b', 4);
    expect(pendingEvents(plain, pending, 4).map((e) => e.distinctId)).toEqual(
      partitionOf('anon-a', 4) === partitionOf('anon-b', 4) ? ['anon-a', 'anon-b'] : ['anon-b'],
    );
    expect(pendingEvents(plain, -1, 4)).toBe(plain);
  });
});

describe('two appliers on one PostgreSQL database', () => {
  it('apply one log concurrently, partition by partition, to exactly what one applier stores', { timeout: 180_000 }, async () => {
    const commits = logItems();
    const [serialUrl, sharedUrl] = [await cluster.server().createDatabase(), await cluster.server().createDatabase()];
    const serial = await openInstance(serialUrl);
    const [a, b] = [await openInstance(sharedUrl), await openInstance(sharedUrl)];
    for (const items of commits) {
      await createLogProcessor(serial).append(items);
      await createLogProcessor(a).append(items);
    }
    const logged = await a.get<{ n: number; linked: number }>(sql`SELECT SUM(event_count) AS n, SUM(links) AS linked FROM ingest_log`);
    expect(logged?.linked).toBe(DEVELOPERS - DEVELOPERS / 8 + DEVELOPERS / 10);

    // A report store opened before the apply, read while it runs: its copy is patched from the change feed.
    const early = createReportStore(a);
    const funnel = parseFunnelParams({ from: new Date(T0).toISOString(), to: new Date(T0 + 20 * 86_400_000).toISOString(), window: '1d' });
    await early.funnel(funnel);

    await drainLog(serial);
    const both = Promise.all([applyAll(a), applyAll(b)]);
    const reads = (async () => {
      for (let i = 0; i < 5; i += 1) {
        await early.funnel(funnel);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const [most, [takenA, takenB]] = await Promise.all([mostPartitionAppliers(sharedUrl, both), both, reads]);
    expect(most, 'both appliers held a partition at the same time').toBe(2);
    // Each logged event (retried copies included) was applied by exactly one of them.
    expect(takenA).toBeGreaterThan(0);
    expect(takenB).toBeGreaterThan(0);
    expect(takenA + takenB).toBe(Number(logged?.n));

    const expected = await stored(serial);
    // Every uuid once: the retried ones were logged twice and stored once.
    const uuids = new Set(commits.flat().flatMap((item) => item.events.map((e) => e.uuid)));
    expect(Number(logged?.n)).toBeGreaterThan(uuids.size);
    expect(expected.events.length).toBe(uuids.size);
    expect(expected.log).toEqual([]);
    expect(await stored(a)).toEqual(expected);
    expect(await reports(a)).toEqual(await reports(serial));
    expect(await early.funnel(funnel)).toEqual(await funnelReport(serial, funnel));
  });
});
