/**
 * The per-person onboarding state (api/analytics/person-state/) against the raw events it summarizes, on random
 * histories: persons identified after the fact (`$identify` / `$create_alias` merging anonymous persons), late and
 * out-of-order batches, retried uuids and many events at one instant. After every batch:
 * - `person_milestones` holds exactly each person's stored milestone events (recomputed here from `events`);
 * - the funnel (both periods, flags and evidence, persons, trend, time to convert) and TTFSI read from the state,
 *   by one report store kept across batches (its copy patched from the change feed) and by a new one (loaded from
 *   scratch), equal the same reports computed from the raw-event stream.
 */

import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFunnelParams, parseFunnelPersonsParams, parseFunnelTimeToConvertParams, parseFunnelTrendParams } from '../../api/analytics/funnel-params.ts';
import { funnelReport } from '../../api/analytics/funnel-report.ts';
import { funnelPersons, funnelTimeToConvert, funnelTrend } from '../../api/analytics/funnel-views.ts';
import { parseTtfsiParams } from '../../api/analytics/params.ts';
import { stateAnswersFunnel, stateAnswersTtfsi } from '../../api/analytics/person-state/reports.ts';
import { createReportStore } from '../../api/analytics/report-store.ts';
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

/** Funnels the state answers: default, any order, a repeated step with an exclusion, first success first. */
const FUNNELS: Array<Record<string, string>> = [
  { window: '2h' },
  { window: '3h', order: 'any' },
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

const eventArb = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant('milestone' as const), name: fc.constantFrom(...MILESTONES), who: fc.constantFrom(...PEOPLE, ...ANONYMOUS) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('call' as const), status: fc.constantFrom(200, 201, 401, 500), who: fc.constantFrom(...PEOPLE, ...ANONYMOUS) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pageview' as const), who: fc.constantFrom(...PEOPLE, ...ANONYMOUS) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constantFrom('$identify' as const, '$create_alias' as const),
      who: fc.constantFrom(...PEOPLE),
      other: fc.constantFrom(...ANONYMOUS),
    }),
  },
);

type Generated = { kind: string; who: string; name?: string; status?: number; other?: string };

/** The event of one generated item at `at`. */
function eventOf(g: Generated, at: number): Ev {
  if (g.kind === 'milestone') return { event: g.name!, who: g.who, at };
  if (g.kind === 'call') return { event: 'api_call', who: g.who, at, props: { status: g.status, endpoint: '/v1/messages', method: 'POST', duration_ms: 40 } };
  if (g.kind === 'pageview') return { event: '$pageview', who: g.who, at, props: { $pathname: '/docs/first-call/' } };
  if (g.kind === '$identify') return { event: '$identify', who: g.who, at, props: { $anon_distinct_id: g.other } };
  return { event: '$create_alias', who: g.who, at, props: { alias: g.other } };
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

async function write(database: SqlDatabase, events: NormalizedEvent[]): Promise<void> {
  if (events.length > 0) await database.transaction((tx) => writeEvents(tx, [events]));
}

describe('per-person onboarding state', () => {
  it('matches the raw events and the reports computed from them, batch after batch', async () => {
    const database = testDatabase();
    const kept = createReportStore(database);
    await fc.assert(
      fc.asyncProperty(historyArb, async (history) => {
        await database.run(sql`DELETE FROM events`);
        await database.run(sql`DELETE FROM person_distinct_ids`);
        await database.run(sql`DELETE FROM persons`);
        for (const table of ['person_call_facts', 'first_call_failures', 'api_call_rollups', 'person_milestones'] as const) {
          await database.run(sql`DELETE FROM ${sql.identifier(table)}`);
        }
        await database.run(sql`INSERT INTO person_state_changes (person_id) VALUES (-1)`);
        const batches: NormalizedEvent[][] = [[], [], [], [], [], [], [], []];
        for (const item of history) {
          const event = normalized(eventOf(item.event, T0 + item.unit * UNIT + item.ms));
          batches[item.batch]!.push(event);
          if (item.retry !== null) batches[item.batch + 1 + item.retry]!.push(event);
        }
        for (const batch of batches) {
          if (batch.length === 0) continue;
          await write(database, batch);
          const { stored, expected } = await milestonesAndExpected(database);
          expect(stored).toEqual(expected);
          for (const [name, fromState, fromRaw] of reportPairs(database, kept)) expect(await fromState(), name).toEqual(await fromRaw());
        }
        for (const [name, fromState, fromRaw] of reportPairs(database, createReportStore(database))) expect(await fromState(), name).toEqual(await fromRaw());
      }),
      { numRuns: Number(process.env.PERSON_STATE_PROPERTY_RUNS ?? 30), seed: 20261207 },
    );
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
