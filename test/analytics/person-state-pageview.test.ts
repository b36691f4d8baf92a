/**
 * Funnels with `$pageview` steps or exclusions read from the per-person state (page-view times beside the
 * milestones, api/analytics/person-state/funnel-from-state.ts) against the raw-event stream, on random histories
 * rich in page views: anonymous reading merged into developers after the fact (`$identify` / `$create_alias`),
 * late and out-of-order batches, retried uuids, and page views tied with milestones and first successful calls at
 * one millisecond. After every batch, `person_page_views` holds exactly each person's stored page views, and the
 * funnel (both periods with flags, persons, trend, time to convert) from a store kept across batches (patched from
 * the change feed) and from a new one (loaded from scratch) equals the raw-event answer.
 */

import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFunnelParams, parseFunnelPersonsParams, parseFunnelTimeToConvertParams, parseFunnelTrendParams } from '../../api/analytics/funnel-params.ts';
import { funnelReport } from '../../api/analytics/funnel-report.ts';
import { funnelPersons, funnelTimeToConvert, funnelTrend } from '../../api/analytics/funnel-views.ts';
import { funnelReadsPageViews, stateAnswersFunnel } from '../../api/analytics/person-state/funnel-from-state.ts';
import { createReportStore } from '../../api/analytics/report-store.ts';
import { writeEvents } from '../../api/ingest/store.ts';
import type { NormalizedEvent } from '../../api/ingest/validate.ts';
import type { SqlDatabase } from '../../api/storage/sql/interface.ts';
import type { ReportStore } from '../../api/storage/types.ts';
import { testDatabase } from '../support/app.ts';
import { reset } from './person-state-history.ts';
import { call, type Ev, iso, normalized, T0 } from './support.ts';

const STEP = 20 * 60_000;
const FROM = T0 + 10 * STEP;
const TO = T0 + 20 * STEP - 1;
const DEVELOPERS = ['dev0', 'dev1'];
const READERS = ['anon0', 'anon1', 'anon2'];

/** Funnels with page views: first step, a repeated middle step, an exclusion, beside the first success, any order. */
const PAGE_VIEW_FUNNELS: Array<Record<string, string>> = [
  { window: '2h', steps: '$pageview,signed_up,api_key_created', minConversion: '1' },
  { window: '1h', order: 'any', steps: '$pageview,signed_up,first_successful_call', minConversion: '1' },
  { window: '3h', steps: 'signed_up,$pageview,$pageview' },
  {
    window: '2h',
    steps: 'signed_up,api_key_created,first_successful_call',
    exclusions: JSON.stringify([{ event: '$pageview', fromStep: 1, toStep: 2 }]),
  },
  {
    window: '1d',
    steps: 'first_successful_call,$pageview',
    exclusions: JSON.stringify([{ event: 'api_key_created', fromStep: 0, toStep: 1 }]),
  },
];

/** Each compared report: its name, the state's answer (through `reports`) and the raw events' (from `database`). */
function comparisons(database: SqlDatabase, reports: ReportStore): Array<[string, () => Promise<unknown>, () => Promise<unknown>]> {
  return PAGE_VIEW_FUNNELS.flatMap((query, i) => {
    const q = { from: iso(FROM), to: iso(TO), ...query };
    const funnel = parseFunnelParams(q);
    expect(stateAnswersFunnel(funnel) && funnelReadsPageViews(funnel), `funnel ${i} from the state`).toBe(true);
    const persons = [
      ['reached', '0'],
      ['dropped', '1'],
      ['inProgress', '1'],
    ].map(([status, step]) => parseFunnelPersonsParams({ ...q, step, status }));
    const trend = parseFunnelTrendParams({ ...q, interval: 'day' });
    const toConvert = parseFunnelTimeToConvertParams({ ...q, fromStep: '0', toStep: '1' });
    const report: [string, () => Promise<unknown>, () => Promise<unknown>] = [
      `funnel ${i}`,
      () => reports.funnel(funnel),
      () => funnelReport(database, funnel),
    ];
    // The views share the report's source: the first two funnels (ordered and any order) check them.
    if (i >= 2) return [report];
    return [
      report,
      ...persons.map((x): [string, () => Promise<unknown>, () => Promise<unknown>] => [
        `persons ${i} ${x.status} ${x.step}`,
        () => reports.funnelPersons(x),
        () => funnelPersons(database, x),
      ]),
      [`trend ${i}`, () => reports.funnelTrend(trend), () => funnelTrend(database, trend)],
      [`time to convert ${i}`, () => reports.funnelTimeToConvert(toConvert), () => funnelTimeToConvert(database, toConvert)],
    ];
  });
}

/** `person_page_views`' (person, time, event id), as stored and as the stored `$pageview` events say. */
async function storedAndExpectedViews(database: SqlDatabase) {
  const keys = (rows: Array<Record<string, unknown>>) => rows.map((r) => [Number(r.person_id), Number(r.timestamp), Number(r.event_id)]);
  return {
    stored: keys(await database.all(sql`SELECT person_id, timestamp, event_id FROM person_page_views ORDER BY person_id, timestamp, event_id`)),
    expected: keys(
      await database.all(sql`SELECT person_id, timestamp, id AS event_id FROM events WHERE event = '$pageview' ORDER BY person_id, timestamp, id`),
    ),
  };
}

/** What one generated item sends: a page view, a milestone, a call, or a link of a reader to a developer. */
const itemArb = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constant('$pageview'), fc.constantFrom(...READERS, ...DEVELOPERS), fc.constant('')) },
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom('signed_up', 'api_key_created'), fc.constantFrom(...DEVELOPERS, ...READERS), fc.constant('')) },
  { weight: 2, arbitrary: fc.tuple(fc.constant('api_call'), fc.constantFrom(...DEVELOPERS, ...READERS), fc.constantFrom('200', '500')) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('$identify', '$create_alias'), fc.constantFrom(...DEVELOPERS), fc.constantFrom(...READERS)) },
);

function toEvent([name, who, detail]: [string, string, string], at: number): Ev {
  if (name === '$pageview') return { event: name, who, at, props: { $pathname: '/docs/quickstart/' } };
  if (name === 'api_call') return call(who, at, Number(detail));
  if (name === '$identify') return { event: name, who, at, props: { $anon_distinct_id: detail } };
  if (name === '$create_alias') return { event: name, who, at, props: { alias: detail } };
  return { event: name, who, at };
}

const historyArb = fc.array(
  fc.record({
    item: itemArb,
    // Few distinct instants: page views, milestones and calls often share a millisecond.
    at: fc.integer({ min: 6, max: 22 }).map((n) => T0 + n * STEP),
    offset: fc.constantFrom(0, 0, 0, 1),
    batch: fc.nat(4),
    resentIn: fc.option(fc.nat(2), { freq: 3 }),
  }),
  { minLength: 1, maxLength: 30 },
);

describe('funnels with page-view steps from the per-person state', () => {
  it('equal the raw-event reports after merges, late batches, retries and ties', async () => {
    const database = testDatabase();
    const kept = createReportStore(database);
    await fc.assert(
      fc.asyncProperty(historyArb, async (history) => {
        await reset(database);
        const batches: NormalizedEvent[][] = Array.from({ length: 8 }, () => []);
        for (const { item, at, offset, batch, resentIn } of history) {
          const event = normalized(toEvent(item, at + offset));
          batches[batch]!.push(event);
          if (resentIn !== null) batches[batch + 1 + resentIn]!.push(event);
        }
        for (const batch of batches.filter((b) => b.length > 0)) {
          await database.transaction((tx) => writeEvents(tx, [batch]));
          const { stored, expected } = await storedAndExpectedViews(database);
          expect(stored).toEqual(expected);
          for (const [name, fromState, fromRaw] of comparisons(database, kept)) expect(await fromState(), name).toEqual(await fromRaw());
        }
        for (const [name, fromState, fromRaw] of comparisons(database, createReportStore(database))) expect(await fromState(), name).toEqual(await fromRaw());
      }),
      { numRuns: Number(process.env.PERSON_STATE_PROPERTY_RUNS ?? 25), seed: 20261208 },
    );
  }, 300_000);

  it('streams no event rows once its copies are loaded', async () => {
    const base = testDatabase();
    let streams = 0;
    const database: SqlDatabase = {
      ...base,
      stream: (query, batchRows) => {
        streams += 1;
        return base.stream(query, batchRows);
      },
    };
    const events = DEVELOPERS.flatMap((who, i) => [
      { event: '$pageview', who, at: FROM + i * 1000, props: { $pathname: '/docs/' } },
      { event: 'signed_up', who, at: FROM + i * 1000 + 10 },
    ]);
    await base.transaction((tx) => writeEvents(tx, [events.map(normalized)]));
    const reports = createReportStore(database);
    // The copies loaded at start (milestones, page views and their times, flag evidence).
    await reports.warm();
    const funnel = parseFunnelParams({ from: iso(FROM), to: iso(TO), steps: '$pageview,signed_up' });
    expect((await reports.funnel(funnel)).steps.map((s) => s.count)).toEqual([2, 2]);
    const loads = streams;
    expect(loads).toBeGreaterThan(0);
    await base.transaction((tx) => writeEvents(tx, [[normalized({ event: '$pageview', who: 'dev2', at: FROM + 5000, props: {} })]]));
    expect((await reports.funnel(funnel)).steps.map((s) => s.count)).toEqual([3, 2]);
    expect(streams).toBe(loads);
  });
});
