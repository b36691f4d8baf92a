/**
 * `api_call_totals` (one row per bucket over every endpoint, read by the series over every endpoint) against the
 * minute rows of `api_call_rollups`, on both dialects: with several endpoints and statuses, calls arriving late
 * into buckets already written, after minute rows are retired, and when the rows come from the migration's backfill.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { retireMinuteRollups } from '../../api/analytics/api-traffic/minute-rollups.ts';
import { readRollupCounts } from '../../api/analytics/api-traffic/rollup-read.ts';
import { shapeSeries } from '../../api/analytics/api-traffic/series.ts';
import type { SeriesInterval } from '../../api/analytics/api-traffic/series-params.ts';
import { apiHealthSeriesResponseSchema } from '../../api/analytics/schemas.ts';
import { postgresDatabase } from '../../api/storage/sql/postgres.ts';
import { sqliteDatabase } from '../../api/storage/sql/sqlite.ts';
import type { OnrampDb } from '../../db/client.ts';
import { pgDbOf, testApp } from '../support/app.ts';
import { call, DAY, type Ev, getReport, HOUR, ingest, iso } from './support.ts';

const T0 = Date.UTC(2026, 2, 1);
const MINUTE = 60_000;
const WIDTHS: Record<SeriesInterval, number> = { minute: MINUTE, hour: HOUR, day: DAY };

function databaseOf(db: OnrampDb) {
  const pg = pgDbOf(db);
  return pg ? postgresDatabase(pg.$client) : sqliteDatabase(db.$client);
}

/** Runs SQL text as it is (a migration's statement) on either dialect. */
async function runText(db: OnrampDb, text: string): Promise<void> {
  const pg = pgDbOf(db);
  if (pg) await pg.$client.query(text);
  else db.$client.exec(text);
}

/** The backfill statement of the migration that created `api_call_totals`, for the dialect of `db`. */
function backfillStatement(db: OnrampDb): string {
  const folder = fileURLToPath(new URL(`../../db/schema/${pgDbOf(db) ? 'pg' : 'sqlite'}-migrations/`, import.meta.url));
  const file = readdirSync(folder).find((name) => name.endsWith('_api_call_totals.sql'))!;
  const statement = readFileSync(join(folder, file), 'utf8').split('--> statement-breakpoint').at(-1)!;
  expect(statement).toContain('INSERT INTO');
  return statement;
}

/** Random calls over three days: three endpoints, every status class, unverified refusals, some without a duration. */
function randomCalls(seed: number, count: number): Ev[] {
  const rand = fc.sample(fc.integer({ min: 0, max: 2 ** 30 }), { seed, numRuns: 5 * count });
  const statuses = [200, 201, 204, 302, 400, 401, 403, 404, 429, 500, 503];
  return Array.from({ length: count }, (_, i) => {
    const status = statuses[rand[5 * i + 2]! % statuses.length]!;
    const duration = rand[5 * i + 3]! % 10 === 0 ? {} : { duration_ms: 1 + (rand[5 * i + 3]! % 3_000) };
    const unverified = (status === 401 || status === 403) && rand[5 * i + 4]! % 2 === 0 ? { key_verified: false } : {};
    return call(`p${rand[5 * i]! % 7}`, T0 + (rand[5 * i + 1]! % (3 * DAY)), status, {
      endpoint: ['/v1/a', '/v1/b', '/v1/c'][i % 3],
      ...duration,
      ...unverified,
    });
  });
}

describe('per-bucket totals over every endpoint', () => {
  it('give the series the minute rows give, with late calls, after minute retention and when backfilled', async () => {
    const { app, db } = testApp();
    const database = databaseOf(db);
    // A first batch, then calls late into the same buckets (and new ones), in two more applies.
    await ingest(db, randomCalls(20261207, 300));
    await ingest(db, randomCalls(7, 150));
    await ingest(db, randomCalls(11, 150));

    const range = { from: T0 + 3 * HOUR + 10 * MINUTE, to: T0 + 2 * DAY + 20 * HOUR + 5 * MINUTE };
    const series = async (interval: SeriesInterval) =>
      apiHealthSeriesResponseSchema.parse((await getReport(app, 'api-health/series', { from: iso(range.from), to: iso(range.to), interval })).body);
    /** The series summed from the endpoint rollups' rows of width `span`, each moved to the start of its point. */
    const fromRollups = async (interval: SeriesInterval, span = MINUTE) => {
      const width = WIDTHS[interval];
      const first = Math.floor(range.from / width) * width;
      const pieces = [{ span, from: first, to: Math.floor(range.to / width) * width + width }];
      const rows = (await readRollupCounts(database, pieces)).map((r) => ({ ...r, bucketStart: Math.floor(r.bucketStart / width) * width }));
      return shapeSeries(rows, { ...range, interval, endpoint: undefined });
    };

    const before = { hour: await series('hour'), day: await series('day') };
    for (const interval of ['minute', 'hour', 'day'] as const) {
      const expected = await fromRollups(interval);
      expect(expected.points.reduce((n, p) => n + p.calls, 0)).toBeGreaterThan(300);
      expect(await series(interval)).toEqual(expected);
    }

    // Retired minute rows leave the hour and day points as they were.
    expect(await retireMinuteRollups(database, T0 + 10 * DAY, { pauseMs: 0 })).toBeGreaterThan(0);
    const minuteTotals = await database.get<{ n: unknown }>(sql`SELECT COUNT(*) AS n FROM api_call_totals WHERE span = ${MINUTE}`);
    expect(Number(minuteTotals!.n)).toBe(0);
    expect({ hour: await series('hour'), day: await series('day') }).toEqual(before);

    // The migration's backfill from the endpoint rollups (sketches laid end to end) gives the same points.
    await runText(db, 'DELETE FROM api_call_totals');
    expect((await series('hour')).points.every((p) => p.calls === 0)).toBe(true);
    await runText(db, backfillStatement(db));
    expect({ hour: await series('hour'), day: await series('day') }).toEqual(before);
    // Calls applied on top of backfilled rows merge into them: the endpoint rollups' hour rows agree.
    await ingest(db, randomCalls(13, 60));
    const merged = await series('hour');
    expect(merged.points.reduce((n, p) => n + p.calls, 0)).toBeGreaterThan(before.hour.points.reduce((n, p) => n + p.calls, 0));
    expect(merged).toEqual(await fromRollups('hour', HOUR));
  });
});
