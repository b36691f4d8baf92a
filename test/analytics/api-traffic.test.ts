/**
 * API traffic rollups through the real ingest store, on both dialects: counts equal to raw counts and percentiles
 * within 1% of exact on random calls, retries counted once, availability edges, series bins, and reports that stay
 * identical after raw calls are deleted past their retention.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shapeApiHealth } from '../../api/analytics/api-health.ts';
import { readMinuteFloor, retireMinuteRollups } from '../../api/analytics/api-traffic/minute-rollups.ts';
import { countOldCalls, deleteOldCalls } from '../../api/analytics/api-traffic/retention.ts';
import { coverRange, readRollupCounts, readRollups, wholeMinutes } from '../../api/analytics/api-traffic/rollup-read.ts';
import { shapeSeries } from '../../api/analytics/api-traffic/series.ts';
import { apiHealthResponseSchema, apiHealthSeriesResponseSchema } from '../../api/analytics/schemas.ts';
import { postgresDatabase } from '../../api/storage/sql/postgres.ts';
import { sqliteDatabase } from '../../api/storage/sql/sqlite.ts';
import type { OnrampDb } from '../../db/client.ts';
import { deleteAllEvents, pgDbOf, storedRows, testApp } from '../support/app.ts';
import { storePgEvents } from '../support/pg-test-db.ts';
import { createEventStore } from '../support/sync-event-store.ts';
import { call, DAY, type Ev, getReport, HOUR, ingest, iso, normalized } from './support.ts';

/** Minute-aligned start of the test ranges: 2026-03-01T00:00:00Z. */
const T0 = Date.UTC(2026, 2, 1);
const MINUTE = 60_000;

function databaseOf(db: OnrampDb) {
  const pg = pgDbOf(db);
  return pg ? postgresDatabase(pg.$client) : sqliteDatabase(db.$client);
}

/** Exact percentile with linear interpolation, as the raw-call report computed it. */
function exactPercentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = q * (sorted.length - 1);
  const lo = Math.floor(rank);
  return lo === rank ? sorted[lo]! : sorted[lo]! + (rank - lo) * (sorted[lo + 1]! - sorted[lo]!);
}

const within1 = (actual: number | null, exact: number) => expect(Math.abs(actual! - exact)).toBeLessThanOrEqual(0.01 * Math.abs(exact) + 1e-9);

describe('rollups against raw calls', () => {
  it('counts equal the raw counts and percentiles are within 1% of exact, on random calls', async () => {
    const { app, db } = testApp();
    const callArb = fc.record({
      who: fc.constantFrom('a', 'b', 'c', 'd'),
      endpoint: fc.constantFrom('/v1/a', '/v1/b', '/v1/c'),
      status: fc.constantFrom(200, 201, 302, 400, 401, 403, 404, 429, 500, 503),
      minute: fc.integer({ min: 0, max: 3 * 24 * 60 }),
      duration: fc.double({ min: 0.5, max: 20_000, noNaN: true }),
      unverified: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(callArb, { minLength: 1, maxLength: 300 }), async (calls) => {
        await deleteAllEvents(db);
        await ingest(
          db,
          calls.map((c) =>
            call(c.who, T0 + c.minute * MINUTE + 7, c.status, {
              endpoint: c.endpoint,
              duration_ms: c.duration,
              ...(c.unverified ? { key_verified: false } : {}),
            }),
          ),
        );
        const body = apiHealthResponseSchema.parse((await getReport(app, 'api-health', { from: iso(T0), to: iso(T0 + 4 * DAY) })).body);
        const raw = new Map<string, number>();
        for (const { properties } of await storedRows<{ properties: unknown }>(db, "SELECT properties FROM events WHERE event = 'api_call'")) {
          const endpoint = String((typeof properties === 'string' ? JSON.parse(properties) : properties).endpoint);
          raw.set(endpoint, (raw.get(endpoint) ?? 0) + 1);
        }
        expect(Object.fromEntries(body.endpoints.map((e) => [e.endpoint, e.calls]))).toEqual(Object.fromEntries(raw));
        for (const endpoint of body.endpoints) {
          const mine = calls.filter((c) => c.endpoint === endpoint.endpoint);
          const rated = mine.filter((c) => !(c.unverified && (c.status === 401 || c.status === 403)));
          const errors = rated.filter((c) => c.status >= 500 || (c.status >= 400 && c.status !== 429)).length;
          expect(endpoint.errorRate).toBe(rated.length ? errors / rated.length : null);
          const durations = mine.map((c) => c.duration);
          within1(endpoint.p50Ms, exactPercentile(durations, 0.5));
          within1(endpoint.p95Ms, exactPercentile(durations, 0.95));
          within1(endpoint.p99Ms, exactPercentile(durations, 0.99));
          const fives = mine.filter((c) => c.status >= 500).length;
          expect(endpoint.availability).toBeCloseTo(1 - fives / mine.length, 12);
        }
      }),
      { numRuns: Number(process.env.ROLLUP_PROPERTY_RUNS ?? 12), seed: 20260401 },
    );
  });

  it('counts a retried call (same uuid) once', async () => {
    const { app, db } = testApp();
    const events = [call('r', T0 + 1000, 200, { duration_ms: 10 }), call('r', T0 + 2000, 500, { duration_ms: 20 })].map(normalized);
    for (let attempt = 0; attempt < 3; attempt++) {
      const pg = pgDbOf(db);
      if (pg) await storePgEvents(pg, events);
      else createEventStore(db.$client).writeBatches([events, events]);
    }
    const body = apiHealthResponseSchema.parse((await getReport(app, 'api-health', { from: iso(T0), to: iso(T0 + DAY) })).body);
    expect(body.overall).toMatchObject({ calls: 2, errorRate: 0.5, availability: 0.5 });
    const series = apiHealthSeriesResponseSchema.parse((await getReport(app, 'api-health/series', { from: iso(T0), to: iso(T0 + HOUR - 1) })).body);
    expect(series.points.reduce((n, p) => n + p.calls, 0)).toBe(2);
  });
});

describe('coarse rollups', () => {
  it('give over a ragged range what the minute rows alone give: API health and the hourly and daily series', async () => {
    const { app, db } = testApp();
    const rand = fc.sample(fc.integer({ min: 0, max: 2 ** 30 }), { seed: 20261207, numRuns: 4 * 400 });
    const endpoints = ['/v1/a', '/v1/b', '/v1/c'];
    const statuses = [200, 201, 302, 400, 401, 404, 429, 500, 503];
    await ingest(
      db,
      Array.from({ length: 400 }, (_, i) =>
        call(`p${rand[4 * i]! % 9}`, T0 + (rand[4 * i + 1]! % (4 * DAY)), statuses[rand[4 * i + 2]! % statuses.length]!, {
          endpoint: endpoints[i % 3],
          duration_ms: 1 + (rand[4 * i + 3]! % 5_000),
        }),
      ),
    );
    // From 05:17:13 on day 0 to 14:43:10 on day 3: whole days, whole hours and ragged minutes at both ends.
    const from = T0 + 5 * HOUR + 17 * MINUTE + 13_000;
    const to = T0 + 3 * DAY + 14 * HOUR + 43 * MINUTE + 10_000;
    const minutes = wholeMinutes({ from, to });
    expect(new Set(coverRange(minutes.from, minutes.to).map((p) => p.span))).toEqual(new Set([MINUTE, HOUR, DAY]));
    const database = databaseOf(db);
    const minutePiece = (start: number, end: number) => [{ span: MINUTE, from: start, to: end }];

    const health = apiHealthResponseSchema.parse((await getReport(app, 'api-health', { from: iso(from), to: iso(to) })).body);
    const expected = shapeApiHealth({ rollups: await readRollups(database, minutePiece(minutes.from, minutes.to)), firstCallFailures: [], supportTickets: 0 });
    expect(health.overall.calls).toBeGreaterThan(100);
    expect(health.overall).toEqual(expected.overall);
    expect(health.endpoints).toEqual(expected.endpoints);

    for (const [interval, width] of [
      ['hour', HOUR],
      ['day', DAY],
    ] as const) {
      const series = apiHealthSeriesResponseSchema.parse((await getReport(app, 'api-health/series', { from: iso(from), to: iso(to), interval })).body);
      const first = Math.floor(from / width) * width;
      const rows = (await readRollupCounts(database, minutePiece(first, Math.floor(to / width) * width + width))).map((r) => ({
        ...r,
        bucketStart: Math.floor(r.bucketStart / width) * width,
      }));
      expect(series).toEqual(shapeSeries(rows, { from, to, interval, endpoint: undefined }));
    }
  });
});

describe('availability', () => {
  const range = { from: iso(T0), to: iso(T0 + DAY) };
  it('is null without calls, six nines without 5xx, zero with only 5xx', async () => {
    const { app, db } = testApp();
    let body = apiHealthResponseSchema.parse((await getReport(app, 'api-health', range)).body);
    expect(body.overall).toMatchObject({ availability: null, nines: null, slo: { target: 0.999, errorBudgetRemaining: null } });

    await ingest(db, [call('a', T0 + 1, 200), call('a', T0 + 2, 404), call('a', T0 + 3, 429)]);
    body = apiHealthResponseSchema.parse((await getReport(app, 'api-health', range)).body);
    expect(body.overall).toMatchObject({ availability: 1, nines: 6, slo: { errorBudgetRemaining: 1 } });

    const { app: other, db: otherDb } = testApp();
    await ingest(otherDb, [call('b', T0 + 1, 500, { endpoint: '/down' }), call('b', T0 + 2, 503, { endpoint: '/down' })]);
    body = apiHealthResponseSchema.parse((await getReport(other, 'api-health', range)).body);
    expect(body.overall).toMatchObject({ availability: 0, nines: 0 });
    expect(body.overall.slo.errorBudgetRemaining).toBeCloseTo(1 - 1 / 0.001, 6);
    expect(body.endpoints[0]).toMatchObject({ endpoint: '/down', availability: 0, nines: 0 });
  });

  it('rounds nines to one decimal: one 5xx in 1,000 calls is 3 nines and a spent budget', async () => {
    const { app, db } = testApp();
    await ingest(
      db,
      Array.from({ length: 1000 }, (_, i) => call(`p${i % 7}`, T0 + i, i === 0 ? 500 : 200)),
    );
    const body = apiHealthResponseSchema.parse((await getReport(app, 'api-health', range)).body);
    expect(body.overall).toMatchObject({ availability: 0.999, nines: 3 });
    expect(body.overall.slo.errorBudgetRemaining).toBeCloseTo(0, 9);
  });
});

describe('series', () => {
  it('has one point per bucket, empty ones with calls 0 and null rates, and status classes', async () => {
    const { app, db } = testApp();
    await ingest(db, [
      call('a', T0 + 5 * MINUTE + 1, 200, { duration_ms: 10 }),
      call('a', T0 + 5 * MINUTE + 2, 302, { duration_ms: 10 }),
      call('a', T0 + 5 * MINUTE + 3, 404, { duration_ms: 10 }),
      call('a', T0 + 5 * MINUTE + 4, 429, { duration_ms: 10 }),
      call('a', T0 + 5 * MINUTE + 5, 502, { duration_ms: 10 }),
      call('b', T0 + 9 * MINUTE, 200, { endpoint: '/other', duration_ms: 100 }),
    ]);
    const minutes = apiHealthSeriesResponseSchema.parse((await getReport(app, 'api-health/series', { from: iso(T0), to: iso(T0 + 10 * MINUTE - 1) })).body);
    expect(minutes.interval).toBe('minute');
    expect(minutes.points).toHaveLength(10);
    expect(minutes.points[0]).toEqual({
      start: iso(T0),
      calls: 0,
      errors: 0,
      errorRate: null,
      p50Ms: null,
      p95Ms: null,
      p99Ms: null,
      byStatusClass: { '2xx': 0, '3xx': 0, '4xx': 0, '429': 0, '5xx': 0 },
    });
    expect(minutes.points[5]).toMatchObject({ start: iso(T0 + 5 * MINUTE), calls: 5, errors: 2, errorRate: 2 / 5 });
    expect(minutes.points[5]!.byStatusClass).toEqual({ '2xx': 1, '3xx': 1, '4xx': 1, '429': 1, '5xx': 1 });
    within1(minutes.points[9]!.p50Ms, 100);

    const one = apiHealthSeriesResponseSchema.parse(
      (await getReport(app, 'api-health/series', { from: iso(T0), to: iso(T0 + 10 * MINUTE - 1), endpoint: '/other' })).body,
    );
    expect(one.points.map((p) => p.calls)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

    // 30 days: minutes would give 43,200 points and hours 720, so the default is hourly.
    const month = apiHealthSeriesResponseSchema.parse((await getReport(app, 'api-health/series', { from: iso(T0), to: iso(T0 + 30 * DAY - 1) })).body);
    expect(month.interval).toBe('hour');
    expect(month.points).toHaveLength(720);
    expect(month.points[0]!.calls).toBe(6);
    const days = apiHealthSeriesResponseSchema.parse(
      (await getReport(app, 'api-health/series', { from: iso(T0), to: iso(T0 + 30 * DAY - 1), interval: 'day' })).body,
    );
    expect(days.points.map((p) => p.calls).slice(0, 2)).toEqual([6, 0]);
  });
});

describe('retention of raw calls', () => {
  it('leaves API health, series, the funnel steps, TTFSI and firstCallErrors identical after raw calls are deleted', async () => {
    const { app, db } = testApp();
    const events: Ev[] = [];
    for (let i = 0; i < 30; i++) {
      const at = T0 + i * DAY + i * 37 * MINUTE;
      events.push({ event: 'signed_up', who: `dev${i}`, at });
      events.push(call(`anon${i}`, at + HOUR, 401, { error_code: 'invalid_api_key', duration_ms: 5 + i }));
      events.push(call(`anon${i}`, at + 2 * HOUR, 400, { error_code: 'parameter_invalid', duration_ms: 7 + i }));
      // The anonymous caller turns out to be the developer: the merge folds the failures into their facts.
      events.push({ event: '$identify', who: `dev${i}`, at: at + 3 * HOUR, props: { $anon_distinct_id: `anon${i}` } });
      if (i % 3 !== 0) events.push(call(`dev${i}`, at + 4 * HOUR + i * MINUTE, 200, { duration_ms: 40 + i }));
      events.push(call(`dev${i}`, at + 5 * HOUR, i % 5 === 0 ? 503 : 201, { endpoint: '/v1/b', duration_ms: 90 + i }));
    }
    await ingest(db, events);
    const range = { from: iso(T0), to: iso(T0 + 40 * DAY) };
    const reports = async () => ({
      health: (await getReport(app, 'api-health', range)).body,
      series: (await getReport(app, 'api-health/series', { ...range, interval: 'hour' })).body,
      // Flag evidence (errors of stalled persons) still reads raw calls; the steps must not.
      funnel: (await getReport(app, 'funnel', { ...range, steps: 'signed_up,first_successful_call' })).body.steps,
      ttfsi: (await getReport(app, 'ttfsi', range)).body,
    });
    const before = await reports();
    expect(before.health.firstCallErrors).toEqual([
      { code: 'invalid_api_key', count: 30 },
      { code: 'parameter_invalid', count: 30 },
      // Developers 0 and 15 never succeed, so their 503 counts too.
      { code: '503', count: 2 },
    ]);
    // Everyone succeeds but developers 0 and 15, whose only other call got a 503.
    expect(before.funnel[1].count).toBe(28);

    const database = databaseOf(db);
    const cutoff = T0 + 40 * DAY;
    expect(await countOldCalls(database, cutoff)).toBe(110);
    expect(await deleteOldCalls(database, cutoff, { pauseMs: 0 })).toBe(110);
    const left = await storedRows<{ n: unknown }>(db, "SELECT COUNT(*) AS n FROM events WHERE event = 'api_call'");
    expect(Number(left[0]!.n)).toBe(0);
    expect(await reports()).toEqual(before);

    // Minute rollups past their retention go too: the hour and day rows answer the same.
    expect(await retireMinuteRollups(database, T0 + 45 * DAY)).toBeGreaterThan(0);
    const minutes = await storedRows<{ n: unknown }>(db, `SELECT COUNT(*) AS n FROM api_call_rollups WHERE span = ${MINUTE}`);
    expect(Number(minutes[0]!.n)).toBe(0);
    expect(await reports()).toEqual(before);
  });

  it('counts whole hours at an edge older than the minute rows kept, and refuses minute points there', async () => {
    const { app, db } = testApp();
    await ingest(db, [call('a', T0 + 10 * HOUR + 5 * MINUTE, 200), call('a', T0 + 10 * HOUR + 50 * MINUTE, 500), call('a', T0 + 3 * DAY, 200)]);
    const old = { from: iso(T0 + 10 * HOUR + 30 * MINUTE), to: iso(T0 + 12 * HOUR) };
    const calls = async () => apiHealthResponseSchema.parse((await getReport(app, 'api-health', old)).body).overall.calls;
    expect(await calls()).toBe(1);
    const database = databaseOf(db);
    // Minutes are kept from T0 + 2 days on; rows a day below that are deleted: two per rollup table.
    expect(await retireMinuteRollups(database, T0 + 2 * DAY)).toBe(4);
    expect(await retireMinuteRollups(database, T0 + DAY)).toBe(0);
    expect(await readMinuteFloor(database)).toBe(T0 + 2 * DAY);
    expect(await calls()).toBe(2);
    const refused = await getReport(app, 'api-health/series', { ...old, interval: 'minute' });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('interval');
    const defaulted = apiHealthSeriesResponseSchema.parse((await getReport(app, 'api-health/series', old)).body);
    expect(defaulted.interval).toBe('hour');
    expect(defaulted.points.map((p) => p.calls)).toEqual([2, 0, 0]);
    // Recent minutes still answer by the minute.
    const recent = apiHealthSeriesResponseSchema.parse(
      (await getReport(app, 'api-health/series', { from: iso(T0 + 3 * DAY), to: iso(T0 + 3 * DAY + 2 * MINUTE - 1) })).body,
    );
    expect(recent).toMatchObject({ interval: 'minute', points: [{ calls: 1 }, { calls: 0 }] });
  });
});
