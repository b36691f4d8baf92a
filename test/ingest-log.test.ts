import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OnrampApp } from '../api/app.ts';
import { createLogProcessor, drainLog } from '../api/ingest/log-processor.ts';
import { type NormalizedEvent, validateCapture } from '../api/ingest/validate.ts';
import { createEventWriter } from '../api/ingest/writer.ts';
import { sqliteDatabase } from '../api/storage/sql/sqlite.ts';
import { migrationsFolder, type OnrampDb, openDb } from '../db/client.ts';
import { adminHeaders, captureInProcess, listEvents, PROJECT_TOKEN, SERVER_TOKEN, testApp, testDb } from './support/app.ts';
import { consoleErrorsDuring } from './support/console.ts';
import { captureEvent, storedEventRow } from './support/factories.ts';
import { migrationsBefore, rowOfEvents } from './support/migrations.ts';

/** The real app over a fresh DB, acknowledging through the ingest log as server.ts does. */
function loggedApp(options: { maxBacklogEvents?: number } = {}) {
  const db = testDb();
  const writer = createEventWriter(sqliteDatabase(db.$client), { logged: true, ...options });
  return { ...testApp({ db, writer }), writer };
}

/** One capture request, in process: no socket latency before the test looks at what is still only logged. */
async function capture(app: OnrampApp, body: unknown) {
  const res = await captureInProcess(app, '', { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
}

const GZIP_JSON = { contentType: 'application/json', contentEncoding: 'gzip', compression: undefined };
const PLAIN_JSON = { contentType: 'application/json', contentEncoding: undefined, compression: undefined };

const count = (db: OnrampDb, sql: string) => db.$client.prepare(sql).pluck().get() as number;

const form = (value: string) => `data=${encodeURIComponent(value)}`;
const base64 = (json: string) => Buffer.from(json, 'utf8').toString('base64');

/** Every body encoding capture accepts, as the request that carries it: each is logged as received. */
const encodings: Array<[string, (json: string) => { query: string; body: string | Uint8Array<ArrayBuffer>; headers: Record<string, string> }]> = [
  ['plain JSON', (json) => ({ query: '', body: json, headers: { 'content-type': 'application/json' } })],
  ['text/plain JSON, no query', (json) => ({ query: '', body: json, headers: { 'content-type': 'text/plain' } })],
  ['gzip by Content-Encoding', (json) => ({ query: '', body: gzipSync(json), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } })],
  ['gzip-js', (json) => ({ query: '?compression=gzip-js', body: gzipSync(json), headers: { 'content-type': 'text/plain' } })],
  ['base64 body', (json) => ({ query: '?compression=base64', body: base64(json), headers: { 'content-type': 'text/plain' } })],
  [
    'base64 form (posthog-js)',
    (json) => ({ query: '?compression=base64', body: form(base64(json)), headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
  ],
  [
    'gzip inside a base64 form',
    (json) => ({ query: '', body: form(gzipSync(json).toString('base64')), headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
  ],
  ['JSON form', (json) => ({ query: '', body: form(json), headers: { 'content-type': 'application/x-www-form-urlencoded' } })],
];

describe.each(encodings)('ingest log, %s', (_name, encode) => {
  it('is logged as received and applies to exactly the acknowledged events', async () => {
    const { app, db } = loggedApp();
    const withUuid = captureEvent({ distinct_id: 'enc-1', properties: { token: PROJECT_TOKEN, $pathname: '/docs/ünïcode/' } });
    const { uuid: _omitted, ...withoutUuid } = captureEvent({ distinct_id: 'enc-2' });
    const { query, body, headers } = encode(JSON.stringify([withUuid, withoutUuid]));
    const res = await app.request(`/batch/${query}`, { method: 'POST', headers, body });
    expect(res.status).toBe(200);
    const row = db.$client.prepare('SELECT body FROM ingest_log').get() as { body: Buffer };
    expect(Buffer.compare(row.body, Buffer.from(body))).toBe(0);
    const listed = await listEvents(app);
    expect(listed.map((e) => e.distinctId).sort()).toEqual(['enc-1', 'enc-2']);
    expect(listed.find((e) => e.distinctId === 'enc-1')).toMatchObject({ uuid: withUuid.uuid, properties: { $pathname: '/docs/ünïcode/' } });
  });
});

describe('ingest log: acknowledged first, applied later', () => {
  it('acknowledges from the log, and every reader of events applies it first', async () => {
    const { app, db, writer } = loggedApp();
    // First, so Hono has built its router before the idle apply's 100 ms start counting after the capture below.
    expect((await app.request('/api/v1/ingest/status')).status).toBe(401);
    const event = captureEvent({ event: 'signed_up', properties: { token: SERVER_TOKEN, distinct_id: 'dev-1', plan: 'free' } });
    await capture(app, event);
    expect(count(db, 'SELECT COUNT(*) FROM events')).toBe(0);
    expect(count(db, 'SELECT SUM(event_count) FROM ingest_log')).toBe(1);
    expect(writer.backlogEvents).toBe(1);

    const status = await app.request('/api/v1/ingest/status', { headers: adminHeaders });
    expect(await status.json()).toEqual({ backlogEvents: 1, failedLogRows: 0, queuedEvents: 0 });

    const listed = await listEvents(app);
    expect(listed.map((e) => [e.uuid, e.event, e.distinctId, e.properties.plan])).toEqual([[event.uuid, 'signed_up', 'dev-1', 'free']]);
    expect(count(db, 'SELECT COUNT(*) FROM ingest_log')).toBe(0);
    expect(writer.backlogEvents).toBe(0);
  });

  it('a report sees events that are still only in the log', async () => {
    const { app } = loggedApp();
    const now = Date.now();
    await capture(app, {
      batch: [captureEvent({ event: 'signed_up', distinct_id: 'dev-2', timestamp: new Date(now - 5_000).toISOString() })],
      api_key: PROJECT_TOKEN,
    });
    const res = await app.request(`/api/v1/reports/funnel?from=${new Date(now - 86_400_000).toISOString()}&to=${new Date(now + 60_000).toISOString()}`, {
      headers: adminHeaders,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { steps: Array<{ count: number }> };
    expect(body.steps[0]!.count).toBe(1);
  });

  it('merges an identify with anonymous events whether they were applied already or not', async () => {
    const { app, writer } = loggedApp();
    await capture(app, captureEvent({ distinct_id: 'anon-a' }));
    await writer.settle();
    await capture(app, captureEvent({ distinct_id: 'anon-a' }));
    await capture(app, captureEvent({ event: '$identify', distinct_id: 'user-a', properties: { token: PROJECT_TOKEN, $anon_distinct_id: 'anon-a' } }));
    await capture(app, captureEvent({ distinct_id: 'user-a' }));
    const listed = await listEvents(app);
    expect(listed).toHaveLength(4);
    expect(new Set(listed.map((e) => e.personId)).size).toBe(1);
  });

  it('stores a retried uuid once and does not re-apply its $set', async () => {
    const { app, db } = loggedApp();
    const first = captureEvent({ distinct_id: 'dev-3', $set: { plan: 'free' } });
    await capture(app, first);
    await capture(app, captureEvent({ distinct_id: 'dev-3', $set: { plan: 'pro' } }));
    await capture(app, first);
    expect(await listEvents(app)).toHaveLength(2);
    expect(JSON.parse(db.$client.prepare('SELECT properties FROM persons').pluck().get() as string)).toEqual({ plan: 'pro' });
  });

  it('sets aside a row that cannot be applied, keeps it, and applies the rows around it', async () => {
    const { app, db, writer } = loggedApp();
    await capture(app, captureEvent({ distinct_id: 'before' }));
    db.$client.prepare("INSERT INTO ingest_log (event_count, logged_at, body, capture) VALUES (1, 0, X'7B7D', '[not json')").run();
    await capture(app, captureEvent({ distinct_id: 'after' }));
    const errors = await consoleErrorsDuring(() => writer.settle());
    expect((await listEvents(app)).map((e) => e.distinctId).sort()).toEqual(['after', 'before']);
    expect(db.$client.prepare('SELECT event_count AS n, error IS NOT NULL AS failed FROM ingest_log').all()).toEqual([{ n: 1, failed: 1 }]);
    expect((await createLogProcessor(sqliteDatabase(db.$client)).counts()).failedRows).toBe(1);
    expect(writer.failedLogRows).toBe(1);
    expect(errors).toHaveLength(1);
  });

  it('logs a gzip batch as received (its body, not its events) and applies exactly the events it acknowledged', async () => {
    const { app, db, writer } = loggedApp();
    const committed: string[] = [];
    const withUuid = captureEvent({ event: 'signed_up', distinct_id: 'gz-1', properties: { plan: 'free', nested: { a: [1, { b: null }] } } });
    const batch = [withUuid, { event: 'api_call', distinct_id: 'gz-1', properties: { status: 201 } }];
    const body = gzipSync(JSON.stringify({ api_key: SERVER_TOKEN, batch }));
    const res = await app.request('/batch/', { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body });
    expect(res.status).toBe(200);
    const row = db.$client.prepare('SELECT event_count AS n, body, capture FROM ingest_log').get() as {
      n: number;
      body: Buffer;
      capture: string;
    };
    expect(row.n).toBe(2);
    expect(Buffer.compare(row.body, body)).toBe(0);
    const [logged] = JSON.parse(row.capture) as Array<{ bytes: number; generatedUuids: Array<[number, string]> }>;
    expect(logged!.bytes).toBe(body.byteLength);
    const generated = logged!.generatedUuids;
    expect(generated.map(([i]) => i)).toEqual([1]);
    committed.push(generated[0]![1]);

    const listed = (await listEvents(app)).sort((a, b) => b.event.localeCompare(a.event));
    expect(listed.map((e) => [e.uuid, e.event, e.distinctId, e.properties])).toEqual([
      [withUuid.uuid, 'signed_up', 'gz-1', { plan: 'free', nested: { a: [1, { b: null }] } }],
      [committed[0], 'api_call', 'gz-1', { status: 201 }],
    ]);
    expect(writer.backlogEvents).toBe(0);
  });

  it('logs plain JSON requests as received, packing one group commit into one row in request order', async () => {
    const { app, db, writer } = loggedApp();
    const bodies = ['a', 'b', 'c'].map((id, i) => JSON.stringify(captureEvent({ distinct_id: id, timestamp: new Date(1_760_000_000_000 + i).toISOString() })));
    // Not awaited one by one, so the three requests share a turn and so a group commit.
    const replies = await Promise.all(bodies.map((body) => captureInProcess(app, '', { headers: { 'content-type': 'application/json' }, body })));
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200]);
    const rows = db.$client.prepare('SELECT event_count AS n, body, capture FROM ingest_log').all() as Array<{
      n: number;
      body: Buffer;
      capture: string;
    }>;
    expect(rows).toHaveLength(1);
    expect(rows[0]!.n).toBe(3);
    expect(rows[0]!.body.toString()).toBe(bodies.join(''));
    expect((JSON.parse(rows[0]!.capture) as Array<{ bytes: number }>).map((c) => c.bytes)).toEqual(bodies.map((b) => Buffer.byteLength(b)));
    const listed = await listEvents(app);
    expect(listed.map((e) => e.distinctId).sort()).toEqual(['a', 'b', 'c']);
    expect(writer.backlogEvents).toBe(0);
  });

  it('sets aside a row whose capture column is not a list of requests, and applies the rows around it', async () => {
    const { app, db, writer } = loggedApp();
    const event = captureEvent({ distinct_id: 'unlisted' });
    db.$client
      .prepare('INSERT INTO ingest_log (event_count, logged_at, body, capture) VALUES (1, 0, ?, ?)')
      .run(gzipSync(JSON.stringify(event)), JSON.stringify({ meta: GZIP_JSON, receivedAt: 1_760_000_000_000, projectToken: PROJECT_TOKEN }));
    await capture(app, captureEvent({ distinct_id: 'after' }));
    const errors = await consoleErrorsDuring(() => writer.settle());
    expect((await listEvents(app)).map((e) => e.distinctId)).toEqual(['after']);
    expect(db.$client.prepare('SELECT error FROM ingest_log').pluck().all()).toEqual([expect.stringContaining('not a list of requests')]);
    expect(errors).toHaveLength(1);
  });

  it('sets aside a packed row whose request lengths do not cover its body', async () => {
    const { app, db, writer } = loggedApp();
    const body = JSON.stringify(captureEvent({ distinct_id: 'torn' }));
    db.$client
      .prepare('INSERT INTO ingest_log (event_count, logged_at, body, capture) VALUES (1, 0, ?, ?)')
      .run(Buffer.from(`${body}{}`), JSON.stringify([{ meta: PLAIN_JSON, receivedAt: 0, projectToken: PROJECT_TOKEN, bytes: Buffer.byteLength(body) }]));
    await capture(app, captureEvent({ distinct_id: 'after' }));
    const errors = await consoleErrorsDuring(() => writer.settle());
    expect((await listEvents(app)).map((e) => e.distinctId)).toEqual(['after']);
    expect(db.$client.prepare('SELECT error FROM ingest_log').pluck().all()).toEqual([expect.stringContaining('body bytes')]);
    expect(errors).toHaveLength(1);
  });

  it('sets aside a request logged as received that no longer decodes, and applies the rows around it', async () => {
    const { app, db, writer } = loggedApp();
    await capture(app, captureEvent({ distinct_id: 'before' }));
    db.$client
      .prepare('INSERT INTO ingest_log (event_count, logged_at, body, capture) VALUES (3, 0, ?, ?)')
      .run(
        Buffer.from([0x1f, 0x8b, 1, 2]),
        JSON.stringify([{ meta: { contentType: 'application/json', contentEncoding: 'gzip' }, receivedAt: 0, projectToken: PROJECT_TOKEN, bytes: 4 }]),
      );
    await capture(app, captureEvent({ distinct_id: 'after' }));
    const errors = await consoleErrorsDuring(() => writer.settle());
    expect((await listEvents(app)).map((e) => e.distinctId).sort()).toEqual(['after', 'before']);
    expect(db.$client.prepare('SELECT event_count AS n, error FROM ingest_log').all()).toEqual([{ n: 3, error: expect.stringContaining('gzip') }]);
    expect(errors).toHaveLength(1);
  });

  it('applies chunks during commits once the backlog passes its bound', async () => {
    const { app, writer } = loggedApp({ maxBacklogEvents: 600 });
    for (let i = 0; i < 12; i += 1) {
      await capture(app, { api_key: PROJECT_TOKEN, batch: Array.from({ length: 100 }, () => captureEvent({ distinct_id: `dev-${i}` })) });
    }
    // Each commit past 600 applies at least what it appended, so the backlog stays near the bound instead of reaching 1200.
    expect(writer.backlogEvents).toBeLessThanOrEqual(700);
    expect(await listEvents(app)).toHaveLength(1000);
  });

  it('a read answers 503 rather than a number missing acknowledged events when the log cannot be applied', async () => {
    const { app, db } = loggedApp();
    await capture(app, captureEvent({ distinct_id: 'dev-ro' }));
    db.$client.pragma('query_only = ON');
    try {
      // The failed apply is logged; keep it out of the test output.
      await consoleErrorsDuring(async () => {
        const res = await app.request('/api/v1/events', { headers: adminHeaders });
        expect(res.status).toBe(503);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('storage_unavailable');
      });
    } finally {
      db.$client.pragma('query_only = OFF');
    }
    expect((await listEvents(app)).map((e) => e.distinctId)).toEqual(['dev-ro']);
  });

  it('re-counts its backlog when another process applied the log, instead of spinning', async () => {
    const { app, db, writer } = loggedApp();
    await capture(app, captureEvent({ distinct_id: 'dev-cli' }));
    expect(await drainLog(sqliteDatabase(db.$client))).toBe(1);
    expect(writer.backlogEvents).toBe(1);
    await writer.settle();
    expect(writer.backlogEvents).toBe(0);
  });

  it('applies the log by itself once capture has been quiet for a moment', async () => {
    const { app, db, writer } = loggedApp();
    await capture(app, { api_key: PROJECT_TOKEN, batch: Array.from({ length: 50 }, (_, i) => captureEvent({ distinct_id: `idle-${i % 5}` })) });
    expect(writer.backlogEvents).toBe(50);
    await expect.poll(() => writer.backlogEvents, { timeout: 3_000, interval: 20 }).toBe(0);
    expect(count(db, 'SELECT COUNT(*) FROM events')).toBe(50);
  });

  it('applies a steady stream of requests in the spare time between them, without waiting for quiet', async () => {
    const { app, writer } = loggedApp();
    const sent = 80;
    // A request every 20 ms: never 100 ms of quiet, far from the backlog bound, the loop mostly idle.
    for (let i = 0; i < sent; i += 1) {
      await capture(app, { api_key: PROJECT_TOKEN, batch: Array.from({ length: 10 }, (_, j) => captureEvent({ distinct_id: `steady-${(i + j) % 7}` })) });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // Waiting for quiet alone left all 800 events in the log here.
    expect(writer.backlogEvents).toBeLessThan((sent * 10) / 4);
  });

  it('keeps serving capture while a report catches up on a long backlog', async () => {
    const { app, writer } = loggedApp({ maxBacklogEvents: 1_000_000 });
    for (let i = 0; i < 20; i += 1) {
      await capture(app, {
        api_key: PROJECT_TOKEN,
        batch: Array.from({ length: 1_000 }, (_, j) => captureEvent({ distinct_id: `dev-${(i * 1_000 + j) % 3_000}` })),
      });
    }
    expect(writer.backlogEvents).toBe(20_000);
    let reportDone = false;
    const report = Promise.resolve(app.request('/api/v1/events?limit=1', { headers: adminHeaders })).then((res) => {
      reportDone = true;
      return res;
    });
    // The catch-up yields between chunks, so this capture is committed and answered before the report is.
    await capture(app, captureEvent({ distinct_id: 'during-catch-up' }));
    expect(reportDone).toBe(false);
    expect((await report).status).toBe(200);
    expect(writer.backlogEvents).toBeLessThanOrEqual(1);
  });

  it('close() applies what it can and leaves the rest logged for the next start', async () => {
    const db = testDb();
    const writer = createEventWriter(sqliteDatabase(db.$client), { logged: true, closeDrainMs: 0 });
    const { app } = testApp({ db, writer });
    await capture(app, captureEvent({ distinct_id: 'late' }));
    await writer.close();
    expect(count(db, 'SELECT SUM(event_count) FROM ingest_log')).toBe(1);
    const next = createEventWriter(sqliteDatabase(db.$client), { logged: true });
    expect((await next.refreshCounts()).pendingEvents).toBe(1);
    await next.settle();
    expect(count(db, "SELECT COUNT(*) FROM events WHERE distinct_id = 'late'")).toBe(1);
  });
});

/** One generated capture: a small pool of ids and uuids, so merges, aliases, $set and retries collide often. */
const ids = ['a', 'b', 'c', 'd', 'anonymous'];
const generatedEvent = fc.record({
  kind: fc.constantFrom('view', 'identify', 'alias', 'set'),
  distinctId: fc.constantFrom(...ids),
  other: fc.constantFrom(...ids),
  uuidIndex: fc.integer({ min: 0, max: 40 }),
  at: fc.integer({ min: 0, max: 1_000_000 }),
});

function toCapture(g: { kind: string; distinctId: string; other: string; uuidIndex: number; at: number }) {
  // Index 40: no uuid, so validation generates one (and a request logged as received must keep it).
  const uuid = g.uuidIndex === 40 ? undefined : `0193a1b2-c3d4-7e5f-8a9b-${g.uuidIndex.toString(16).padStart(12, '0')}`;
  const timestamp = 1_760_000_000_000 + g.at;
  const properties: Record<string, unknown> = { token: PROJECT_TOKEN };
  if (g.kind === 'identify') properties.$anon_distinct_id = g.other;
  if (g.kind === 'alias') properties.alias = g.other;
  if (g.kind === 'set') properties.$set = { last: g.at };
  const event = g.kind === 'identify' ? '$identify' : g.kind === 'alias' ? '$create_alias' : g.kind === 'set' ? '$set' : '$pageview';
  return { uuid, event, distinct_id: g.distinctId, timestamp, properties };
}

function snapshot(db: OnrampDb) {
  const q = (sql: string) => db.$client.prepare(sql).all();
  return {
    events: q('SELECT uuid, event, distinct_id, person_id, timestamp, properties FROM events ORDER BY id'),
    persons: q('SELECT id, properties, is_identified FROM persons ORDER BY id'),
    distinctIds: q('SELECT distinct_id, person_id FROM person_distinct_ids ORDER BY distinct_id'),
  };
}

/**
 * A generated request: its events, how it arrives (plain JSON or gzip over HTTP, both logged as received; or written
 * in process, logged as the request that revalidates to them), and whether the next one waits for its commit.
 */
const generatedRequest = fc.record({
  events: fc.array(generatedEvent, { minLength: 1, maxLength: 4 }),
  via: fc.constantFrom('json', 'gzip', 'in-process'),
  awaited: fc.boolean(),
});

describe('ingest log: applying later gives exactly what storing at once gives', () => {
  it('same events, persons and merges for any sequence of JSON, gzip and in-process requests', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(generatedRequest, { minLength: 1, maxLength: 25 }), fc.integer({ min: 0, max: 25 }), async (requests, settleAt) => {
        const direct = testDb();
        const logged = testDb();
        const directWriter = createEventWriter(sqliteDatabase(direct.$client));
        const loggedWriter = createEventWriter(sqliteDatabase(logged.$client), { logged: true });
        const receivedAt = 1_760_000_500_000;
        let inFlight: Array<Promise<void>> = [];
        for (const [i, request] of requests.entries()) {
          const payload = { api_key: PROJECT_TOKEN, batch: request.events.map(toCapture) };
          const events: NormalizedEvent[] = validateCapture(payload, { projectToken: PROJECT_TOKEN, receivedAt });
          // A request over HTTP is logged as received and validated again when applied; requests not awaited share a
          // group commit, so in-process and received requests interleave in one row.
          const json = JSON.stringify(payload);
          const raw =
            request.via === 'gzip'
              ? { body: gzipSync(json), meta: GZIP_JSON, querySentAt: undefined, projectToken: PROJECT_TOKEN }
              : request.via === 'json'
                ? { body: Buffer.from(json), meta: PLAIN_JSON, querySentAt: undefined, projectToken: PROJECT_TOKEN }
                : undefined;
          inFlight.push(directWriter.write(events), loggedWriter.write(events, raw));
          if (!request.awaited && i !== settleAt) continue;
          await Promise.all(inFlight);
          inFlight = [];
          // Apply part of the log midway, so merges meet a mix of applied and logged events.
          if (i === settleAt) await loggedWriter.settle();
        }
        await Promise.all(inFlight);
        await loggedWriter.settle();
        expect(snapshot(logged)).toEqual(snapshot(direct));
      }),
      { numRuns: 60, seed: 20261123 },
    );
  });
});

describe('ingest log: rows of events written before one row format', () => {
  it('are converted by the migration and apply to exactly the events they held; a bad one is kept and set aside', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'onramp-upgrade-')), 'onramp.db');
    const old = new Database(path);
    migrate(drizzle(old), { migrationsFolder: migrationsBefore(migrationsFolder, '0014_ingest_log_requests_only') });
    const batch = (receivedAt: number, ...distinctIds: string[]) =>
      validateCapture(
        {
          api_key: PROJECT_TOKEN,
          batch: distinctIds.map((id, i) =>
            captureEvent({
              distinct_id: id,
              timestamp: 1_760_000_000_000 + i,
              properties: { $pathname: '/docs/ünï"code/', n: [1.5, { deep: null }] },
              $set: { plan: id },
            }),
          ),
        },
        { projectToken: PROJECT_TOKEN, receivedAt },
      );
    const events = [...batch(1_760_000_100_000, 'up-1', 'up-2'), ...batch(1_760_000_200_000, 'up-3')];
    const insert = old.prepare('INSERT INTO ingest_log (event_count, events, logged_at) VALUES (?, ?, 0)');
    insert.run(events.length, rowOfEvents(events));
    insert.run(1, '[not json');
    old.close();

    const db = openDb(path);
    const errors = await consoleErrorsDuring(async () => void (await drainLog(sqliteDatabase(db.$client))));
    const stored = db.$client.prepare('SELECT uuid, event, distinct_id, timestamp, received_at, properties FROM events ORDER BY id').all();
    expect(stored).toEqual(events.map((e) => storedEventRow(e, 'text')));
    expect(db.$client.prepare('SELECT properties FROM persons ORDER BY id').pluck().all()).toEqual(['{"plan":"up-1"}', '{"plan":"up-2"}', '{"plan":"up-3"}']);
    const left = db.$client.prepare('SELECT event_count AS n, CAST(body AS TEXT) AS body, error IS NOT NULL AS failed FROM ingest_log').all();
    expect(left).toEqual([{ n: 1, body: '[not json', failed: 1 }]);
    expect(errors).toHaveLength(1);
    db.$client.close();
  });
});
