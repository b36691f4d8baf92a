/**
 * The per-person onboarding state (api/analytics/person-state/) against the raw events it summarizes, on random
 * histories: persons identified after the fact (`$identify` / `$create_alias` merging anonymous persons), late and
 * out-of-order batches, retried uuids and many events at one instant. After every batch:
 * - `person_milestones` holds exactly each person's stored milestone events, and `person_last_pages` each person's
 *   last page view (both recomputed here from `events`);
 * - the funnel (both periods, flags and evidence, persons, trend, time to convert) and TTFSI read from the state,
 *   by one report store kept across batches (its copy patched from the change feed) and by a new one (loaded from
 *   scratch), equal the same reports computed from the raw-event stream; the flags' evidence from the kept call facts
 *   and last pages equals the raw events' (failed calls with error codes, unverified keys, more failures than the
 *   facts keep, page views with and without a path);
 * - after raw calls pass retention, the evidence still counts every failure the call facts hold.
 */

import { isDeepStrictEqual } from 'node:util';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_FIRST_FAILURES } from '../../api/analytics/api-traffic/call-facts.ts';
import { deleteOldCalls } from '../../api/analytics/api-traffic/retention.ts';
import { parseFunnelParams, parseFunnelPersonsParams, parseFunnelTimeToConvertParams, parseFunnelTrendParams } from '../../api/analytics/funnel-params.ts';
import { funnelReport } from '../../api/analytics/funnel-report.ts';
import { funnelPersons, funnelTimeToConvert, funnelTrend } from '../../api/analytics/funnel-views.ts';
import { parseTtfsiParams } from '../../api/analytics/params.ts';
import { stateAnswersFunnel, stateAnswersTtfsi } from '../../api/analytics/person-state/reports.ts';
import { createReportStore } from '../../api/analytics/report-store.ts';
import { unverifiedCall } from '../../api/analytics/sql.ts';
import { ttfsiReport } from '../../api/analytics/ttfsi-report.ts';
import { writeEvents } from '../../api/ingest/store.ts';
import type { NormalizedEvent } from '../../api/ingest/validate.ts';
import type { SqlDatabase } from '../../api/storage/sql/interface.ts';
import type { ReportStore } from '../../api/storage/types.ts';
import { testDatabase } from '../support/app.ts';
import { type Ev, iso, normalized, T0 } from './support.ts';

const UNIT = 30 * 60_000;
const FROM = T0 + 12 * UNIT;
const TO = T0 + 24 * UNIT - 1;
const range = { from: iso(FROM), to: iso(TO) };
const MILESTONES = ['signed_up', 'api_key_created', 'support_ticket_created', 'quickstart_started'];
const PEOPLE = ['u0', 'u1', 'u2'];
const ANONYMOUS = ['a0', 'a1', 'a2', 'a3'];

/**
 * Funnels the state answers: default, any order, a repeated step with an exclusion, first success first. The first
 * two flag every step anyone dropped at (`minConversion` 1), so their flags' evidence is compared often.
 */
const FUNNELS: Array<Record<string, string>> = [
  { window: '2h', minConversion: '1' },
  { window: '3h', order: 'any', minConversion: '1' },
  {
    window: '4h',
    steps: 'signed_up,api_key_created,signed_up',
    exclusions: JSON.stringify([{ event: 'support_ticket_created', fromStep: 0, toStep: 2 }]),
  },
  { window: '1d', steps: 'first_successful_call,support_ticket_created,quickstart_started', minConversion: '0.9' },
  {
    window: '2h',
    order: 'any',
    steps: 'quickstart_started,signed_up',
    exclusions: JSON.stringify([{ event: 'first_successful_call', fromStep: 0, toStep: 1 }]),
  },
];
const TTFSIS: Array<Record<string, string>> = [
  {},
  { start: 'api_key_created', end: 'signed_up' },
  { start: 'first_successful_call', end: 'quickstart_started' },
];

/** Every report compared, by name: the state's answer from `reports`, the raw events' from `database`. */
function reportPairs(database: SqlDatabase, reports: ReportStore): Array<[string, () => Promise<unknown>, () => Promise<unknown>]> {
  const pairs: Array<[string, () => Promise<unknown>, () => Promise<unknown>]> = [];
  for (const [i, query] of FUNNELS.entries()) {
    const q = { ...range, ...query };
    const funnel = parseFunnelParams(q);
    const persons = parseFunnelPersonsParams({ ...q, step: '1', status: 'dropped' });
    const trend = parseFunnelTrendParams({ ...q, interval: 'day' });
    const toConvert = parseFunnelTimeToConvertParams(q);
    expect(stateAnswersFunnel(funnel), `funnel ${i}`).toBe(true);
    pairs.push([`funnel ${i}`, () => reports.funnel(funnel), () => funnelReport(database, funnel)]);
    // The views share the report's source; two funnels (ordered and any order) are enough to check them.
    if (i >= 2) continue;
    pairs.push(
      [`persons ${i}`, () => reports.funnelPersons(persons), () => funnelPersons(database, persons)],
      [`trend ${i}`, () => reports.funnelTrend(trend), () => funnelTrend(database, trend)],
      [`time to convert ${i}`, () => reports.funnelTimeToConvert(toConvert), () => funnelTimeToConvert(database, toConvert)],
    );
  }
  for (const [i, query] of TTFSIS.entries()) {
    const ttfsi = parseTtfsiParams({ ...range, ...query });
    expect(stateAnswersTtfsi(ttfsi), `ttfsi ${i}`).toBe(true);
    pairs.push([`ttfsi ${i}`, () => reports.ttfsi(ttfsi), () => ttfsiReport(database, ttfsi)]);
  }
  return pairs;
}

/** `person_milestones` as stored, and as the stored events say it should be. */
async function milestonesAndExpected(database: SqlDatabase) {
  const stored = await database.all(sql`SELECT person_id, timestamp, event_id, event FROM person_milestones ORDER BY person_id, timestamp, event_id`);
  const expected = await database.all(
    sql`SELECT person_id, timestamp, id AS event_id, event FROM events WHERE event NOT IN ('api_call', '$pageview') ORDER BY person_id, timestamp, id`,
  );
  const numbers = (rows: Array<Record<string, unknown>>) =>
    rows.map((r) => ({ person_id: Number(r.person_id), timestamp: Number(r.timestamp), event_id: Number(r.event_id), event: r.event }));
  return { stored: numbers(stored), expected: numbers(expected) };
}

/** `person_last_pages` as stored, and as the stored page views say it should be (latest time, then latest stored). */
async function lastPagesAndExpected(database: SqlDatabase) {
  const stored = await database.all(sql`SELECT person_id, timestamp, event_id, path FROM person_last_pages ORDER BY person_id`);
  const views = await database.all(
    sql`SELECT person_id, timestamp, id AS event_id, pageview_path AS path FROM events WHERE event = '$pageview' ORDER BY person_id, timestamp, id`,
  );
  const numbers = (rows: Array<Record<string, unknown>>) =>
    rows.map((r) => ({ person_id: Number(r.person_id), timestamp: Number(r.timestamp), event_id: Number(r.event_id), path: r.path }));
  const last = new Map(numbers(views).map((row) => [row.person_id, row]));
  return { stored: numbers(stored), expected: [...last.values()] };
}

const eventArb = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant('milestone' as const), name: fc.constantFrom(...MILESTONES), who: fc.constantFrom(...PEOPLE, ...ANONYMOUS) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('call' as const),
      status: fc.constantFrom(200, 201, 400, 401, 403, 429, 500),
      // Error codes, and keys the API could not verify (left out of the evidence only when refused with 401 / 403).
      code: fc.constantFrom(undefined, 'invalid_api_key', 'rate_limited'),
      unverified: fc.boolean(),
      who: fc.constantFrom(...PEOPLE, ...ANONYMOUS),
    }),
  },
  // More failed calls in a row than the call facts keep (MAX_FIRST_FAILURES), one millisecond apart.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('failures' as const), count: fc.integer({ min: 48, max: 53 }), who: fc.constantFrom(...PEOPLE) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('pageview' as const),
      path: fc.constantFrom('/docs/first-call/', '/docs/keys/', undefined),
      who: fc.constantFrom(...PEOPLE, ...ANONYMOUS),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constantFrom('$identify' as const, '$create_alias' as const),
      who: fc.constantFrom(...PEOPLE),
      other: fc.constantFrom(...ANONYMOUS),
    }),
  },
);

type Generated = {
  kind: string;
  who: string;
  name?: string;
  status?: number;
  code?: string;
  unverified?: boolean;
  count?: number;
  path?: string;
  other?: string;
};

/** The events of one generated item at `at`. */
function eventsOf(g: Generated, at: number): Ev[] {
  if (g.kind === 'milestone') return [{ event: g.name!, who: g.who, at }];
  if (g.kind === 'call') {
    const props = {
      status: g.status,
      endpoint: '/v1/messages',
      method: 'POST',
      duration_ms: 40,
      error_code: g.code,
      key_verified: g.unverified ? false : undefined,
    };
    return [{ event: 'api_call', who: g.who, at, props: JSON.parse(JSON.stringify(props)) }];
  }
  if (g.kind === 'failures') {
    return Array.from({ length: g.count! }, (_, i) => ({ event: 'api_call', who: g.who, at: at + i, props: { status: 500, error_code: `e${i % 3}` } }));
  }
  if (g.kind === 'pageview') return [{ event: '$pageview', who: g.who, at, props: g.path === undefined ? {} : { $pathname: g.path } }];
  if (g.kind === '$identify') return [{ event: '$identify', who: g.who, at, props: { $anon_distinct_id: g.other } }];
  return [{ event: '$create_alias', who: g.who, at, props: { alias: g.other } }];
}

const historyArb = fc.array(
  fc.record({
    event: eventArb,
    // Whole units, or one millisecond past one: many events share an instant.
    unit: fc.integer({ min: -2, max: 26 }),
    ms: fc.constantFrom(0, 0, 1),
    batch: fc.nat(3),
    // Sent again (same uuid) in a later batch.
    retry: fc.option(fc.nat(3), { freq: 4 }),
  }),
  { minLength: 1, maxLength: 28 },
);

type History = typeof historyArb extends fc.Arbitrary<infer T> ? T : never;

async function write(database: SqlDatabase, events: NormalizedEvent[]): Promise<void> {
  if (events.length > 0) await database.transaction((tx) => writeEvents(tx, [events]));
}

/** Empties every table the histories write, and asks every in-memory copy to reload. */
async function reset(database: SqlDatabase): Promise<void> {
  await database.run(sql`DELETE FROM events`);
  await database.run(sql`DELETE FROM person_distinct_ids`);
  await database.run(sql`DELETE FROM persons`);
  for (const table of ['person_call_facts', 'first_call_failures', 'api_call_rollups', 'person_milestones', 'person_last_pages'] as const) {
    await database.run(sql`DELETE FROM ${sql.identifier(table)}`);
  }
  await database.run(sql`INSERT INTO person_state_changes (person_id) VALUES (-1)`);
}

/** A history's events in the batches they are written in (retries again in a later batch). */
function batchesOf(history: History): NormalizedEvent[][] {
  const batches: NormalizedEvent[][] = [[], [], [], [], [], [], [], []];
  for (const item of history) {
    for (const event of eventsOf(item.event, T0 + item.unit * UNIT + item.ms).map(normalized)) {
      batches[item.batch]!.push(event);
      if (item.retry !== null) batches[item.batch + 1 + item.retry]!.push(event);
    }
  }
  return batches.filter((batch) => batch.length > 0);
}

/** Flags of a funnel report with non-empty error and page evidence, counted into `seen`. */
function countEvidence(report: unknown, seen: { errors: number; pages: number }): void {
  for (const flag of (report as { flags?: Array<{ evidence: { topErrors: unknown[]; lastPages: unknown[] } }> }).flags ?? []) {
    if (flag.evidence.topErrors.length > 0) seen.errors++;
    if (flag.evidence.lastPages.length > 0) seen.pages++;
  }
}

describe('per-person onboarding state', () => {
  it('matches the raw events and the reports computed from them, batch after batch', async () => {
    const database = testDatabase();
    const kept = createReportStore(database);
    const seen = { errors: 0, pages: 0 };
    await fc.assert(
      fc.asyncProperty(historyArb, async (history) => {
        await reset(database);
        for (const batch of batchesOf(history)) {
          await write(database, batch);
          const { stored, expected } = await milestonesAndExpected(database);
          expect(stored).toEqual(expected);
          const pages = await lastPagesAndExpected(database);
          expect(pages.stored).toEqual(pages.expected);
          for (const [name, fromState, fromRaw] of reportPairs(database, kept)) {
            const report = await fromState();
            expect(report, name).toEqual(await fromRaw());
            countEvidence(report, seen);
          }
        }
        for (const [name, fromState, fromRaw] of reportPairs(database, createReportStore(database))) expect(await fromState(), name).toEqual(await fromRaw());
      }),
      { numRuns: Number(process.env.PERSON_STATE_PROPERTY_RUNS ?? 30), seed: 20261207 },
    );
    // The flags' evidence was compared with something in it, not only empty lists.
    expect(seen.errors).toBeGreaterThan(0);
    expect(seen.pages).toBeGreaterThan(0);
  }, 240_000);

  it('keeps the failed-call evidence the call facts hold after raw calls pass retention', async () => {
    const database = testDatabase();
    const kept = createReportStore(database);
    const funnels = FUNNELS.map((query) => parseFunnelParams({ ...range, ...query }));
    let keptPastRetention = 0;
    await fc.assert(
      fc.asyncProperty(historyArb, fc.integer({ min: 10, max: 26 }), async (history, cutoffUnit) => {
        await reset(database);
        for (const batch of batchesOf(history)) await write(database, batch);
        const cutoff = T0 + cutoffUnit * UNIT;
        await Promise.all(funnels.map((funnel) => kept.funnel(funnel)));
        // The reference: the raw events without the failed calls that retention deletes and the call facts do not
        // hold, those from the person's first success on or from the instant of their 50th failure before it on.
        const f = database.fragments;
        const counted = sql`s.call_error_code IS NOT NULL AND NOT ${unverifiedCall(f, 's')}`;
        const firstSuccess = sql`(SELECT MIN(s.timestamp) FROM events s WHERE s.person_id = events.person_id AND s.event = 'api_call' AND s.call_status >= 200 AND s.call_status < 300)`;
        await database.run(
          sql`DELETE FROM events WHERE event = 'api_call' AND call_error_code IS NOT NULL AND timestamp < ${cutoff}
              AND (timestamp >= ${firstSuccess}
                OR timestamp >= (SELECT s.timestamp FROM events s WHERE s.person_id = events.person_id AND ${counted}
                                 AND s.timestamp < COALESCE(${firstSuccess}, ${Number.MAX_SAFE_INTEGER})
                                 ORDER BY s.timestamp LIMIT 1 OFFSET ${MAX_FIRST_FAILURES - 1}))`,
        );
        const expected = await Promise.all(funnels.map((funnel) => funnelReport(database, funnel)));
        await deleteOldCalls(database, cutoff, { pauseMs: 0 });
        for (const [i, funnel] of funnels.entries()) {
          const fromState = await kept.funnel(funnel);
          expect(fromState, `funnel ${i}`).toEqual(expected[i]);
          expect(await createReportStore(database).funnel(funnel), `funnel ${i}, fresh copy`).toEqual(expected[i]);
          if (!isDeepStrictEqual(fromState, await funnelReport(database, funnel))) keptPastRetention++;
        }
      }),
      { numRuns: Number(process.env.PERSON_STATE_PROPERTY_RUNS ?? 30), seed: 20261208 },
    );
    // Some evidence outlived the raw calls it came from.
    expect(keptPastRetention).toBeGreaterThan(0);
  }, 240_000);

  it('reloads everything when the change feed was trimmed past its copy', async () => {
    const database = testDatabase();
    const reports = createReportStore(database);
    const funnel = parseFunnelParams({ ...range, window: '1d' });
    const signups = (who: string[], unit: number) => who.map((w) => normalized({ event: 'signed_up', who: w, at: T0 + unit * UNIT }));
    await write(database, signups(['u0', 'u1'], 13));
    expect((await reports.funnel(funnel)).steps[0]!.count).toBe(2);
    await write(database, [...signups(['u2', 'u3', 'u4'], 14), normalized({ event: 'api_key_created', who: 'u0', at: T0 + 15 * UNIT })]);
    // As the apply's trim does once a copy is more than the kept rows behind: only the newest feed row is left.
    await database.run(sql`DELETE FROM person_state_changes WHERE seq < (SELECT MAX(seq) FROM person_state_changes)`);
    const fromState = await reports.funnel(funnel);
    expect(fromState.steps.map((s) => s.count)).toEqual([5, 1, 0]);
    expect(fromState).toEqual(await funnelReport(database, funnel));
  });
});
