/**
 * The docs report from each person's page views and votes in memory (api/analytics/person-state/docs-views.ts,
 * votes.ts) against the same report from raw events (`docsReport` without a source), on random histories: persons
 * identified after the fact (`$identify` / `$create_alias` merging anonymous persons), late and out-of-order batches,
 * retried uuids, page views at one instant with different titles, views without a path or title, first successful
 * calls before, between and after them, and several votes per person and page (some at one instant, with or without
 * a reason, helpfulness sent in every accepted form or none, with or without a comment: text, blank, spaces only,
 * padded, too long, not a string, on a vote or alone). After every batch `person_page_views` holds exactly each
 * person's stored page views, and the report (pages with their comments and both periods' totals), the latest
 * comments and the funnel flags' helpful rates read from copies kept across batches (patched from the change feed)
 * and from new ones equal the raw-event ones, over a range whose edges fall inside a day.
 */

import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { capText, TEXT_CAPS } from '../../api/analytics/contract.ts';
import { helpfulRates, latestComments } from '../../api/analytics/docs-query.ts';
import { docsReport } from '../../api/analytics/docs-report.ts';
import type { DocsVoteSource } from '../../api/analytics/docs-votes.ts';
import { personStateReports } from '../../api/analytics/person-state/reports.ts';
import { createReportStore } from '../../api/analytics/report-store.ts';
import { writeEvents } from '../../api/ingest/store.ts';
import type { NormalizedEvent } from '../../api/ingest/validate.ts';
import type { SqlDatabase } from '../../api/storage/sql/interface.ts';
import type { ReportStore } from '../../api/storage/types.ts';
import { testDatabase } from '../support/app.ts';
import { reset } from './person-state-history.ts';
import { call, type Ev, normalized, T0 } from './support.ts';

const UNIT = 30 * 60_000;
const RANGE = { from: T0 + 12 * UNIT + 7, to: T0 + 24 * UNIT - 5 };
const PEOPLE = ['u0', 'u1', 'u2'];
const ANONYMOUS = ['a0', 'a1', 'a2', 'a3'];
const PATHS = ['/docs/a/', '/docs/b/', '/quickstarts/node/', '/pricing/', undefined];
const TITLES = ['A', 'B', undefined];
/** Pages voted on, and the pages whose helpful rates the funnel flags would ask for. */
const VOTED = ['/docs/a/', '/docs/b/', '/pricing/'];
const RATED = [...VOTED, '/quickstarts/node/'];
/** Comments as sent: listed only when a string with something besides spaces (SQL `trim` cuts only spaces). */
const COMMENTS: unknown[] = ['clear', 'too short', '', '   ', ' \t ', '\n', ' padded ', 'é ✓ 日本', 'c'.repeat(TEXT_CAPS.comment + 9), 42, true, ['x']];

const who = fc.constantFrom(...PEOPLE, ...ANONYMOUS);
const eventArb = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('view' as const), who, path: fc.constantFrom(...PATHS), title: fc.constantFrom(...TITLES) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('call' as const), who, status: fc.constantFrom(200, 500) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('vote' as const),
      who,
      path: fc.constantFrom(...VOTED),
      // The page as `path`, or only as the page the vote was sent from.
      via: fc.constantFrom('path', '$pathname'),
      helpful: fc.constantFrom<unknown>(true, false, 'true', 'false', 1, 0, 'maybe', null),
      reason: fc.constantFrom('unclear', 'outdated', undefined),
      comment: fc.option(fc.constantFrom(...COMMENTS), { freq: 2 }),
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
  path?: string;
  via?: string;
  title?: string;
  status?: number;
  helpful?: unknown;
  reason?: string;
  comment?: unknown;
  other?: string;
};

/** The event of one generated item at `at`. */
function eventOf(g: Generated, at: number): Ev {
  if (g.kind === 'view') {
    const props: Record<string, unknown> = {};
    if (g.path !== undefined) props.$pathname = g.path;
    if (g.title !== undefined) props.title = g.title;
    return { event: '$pageview', who: g.who, at, props };
  }
  if (g.kind === 'call') return { event: 'api_call', who: g.who, at, props: { status: g.status, endpoint: '/v1/messages', method: 'POST', duration_ms: 40 } };
  if (g.kind === 'vote') {
    const props: Record<string, unknown> = { [g.via!]: g.path, helpful: g.helpful };
    if (g.reason !== undefined) props.reason = g.reason;
    if (g.comment !== null && g.comment !== undefined) props.comment = g.comment;
    return { event: 'doc_feedback', who: g.who, at, props };
  }
  if (g.kind === '$identify') return { event: '$identify', who: g.who, at, props: { $anon_distinct_id: g.other } };
  return { event: '$create_alias', who: g.who, at, props: { alias: g.other } };
}

const historyArb = fc.array(
  fc.record({
    event: eventArb,
    // From before the previous period to past the range; whole units or a few ms past one, so the range's edges cut
    // between views of one person and many events share an instant.
    unit: fc.integer({ min: 10, max: 25 }),
    ms: fc.constantFrom(0, 0, 7),
    batch: fc.nat(3),
    retry: fc.option(fc.nat(3), { freq: 4 }),
  }),
  { minLength: 1, maxLength: 32 },
);

/** `person_page_views` as stored, and as the stored events say it should be. */
async function storedAndExpected(database: SqlDatabase) {
  const f = database.fragments;
  const stored = await database.all(sql`SELECT person_id, timestamp, event_id, path, title FROM person_page_views ORDER BY person_id, timestamp, event_id`);
  const expected = await database.all(
    sql`SELECT person_id, timestamp, id AS event_id, pageview_path AS path,
               CASE WHEN ${f.jsonKind(sql`properties`, 'title')} = 'string' THEN ${f.jsonText(sql`properties`, 'title')} END AS title
        FROM events WHERE event = '$pageview' ORDER BY person_id, timestamp, id`,
  );
  const plain = (rows: Array<Record<string, unknown>>) =>
    rows.map((r) => ({ person_id: Number(r.person_id), timestamp: Number(r.timestamp), event_id: Number(r.event_id), path: r.path, title: r.title }));
  return { stored: plain(stored), expected: plain(expected) };
}

/** The raw latest comments with their text cut as the report cuts it (the copy keeps only that much). */
async function rawComments(database: SqlDatabase) {
  return (await latestComments(database, RANGE)).map((c) => ({ ...c, text: capText(c.text, TEXT_CAPS.comment), timestamp: Number(c.timestamp) }));
}

async function expectSameReport(database: SqlDatabase, reports: ReportStore, votes: DocsVoteSource): Promise<void> {
  expect(await reports.docs(RANGE)).toEqual(await docsReport(database, RANGE));
  expect(await votes.comments(RANGE)).toEqual(await rawComments(database));
  expect(await helpfulRates(database, RANGE, RATED, votes)).toEqual(await helpfulRates(database, RANGE, RATED));
}

describe('docs report from the per-person page views', () => {
  it('matches the raw events and the report computed from them, batch after batch', async () => {
    const database = testDatabase();
    const kept = createReportStore(database);
    const keptVotes = personStateReports(database).votes;
    await fc.assert(
      fc.asyncProperty(historyArb, async (history) => {
        await reset(database);
        const batches: NormalizedEvent[][] = [[], [], [], [], [], [], [], []];
        for (const item of history) {
          const event = normalized(eventOf(item.event, T0 + item.unit * UNIT + item.ms));
          batches[item.batch]!.push(event);
          if (item.retry !== null) batches[item.batch + 1 + item.retry]!.push(event);
        }
        for (const batch of batches) {
          if (batch.length === 0) continue;
          await database.transaction((tx) => writeEvents(tx, [batch]));
          const { stored, expected } = await storedAndExpected(database);
          expect(stored).toEqual(expected);
          await expectSameReport(database, kept, keptVotes);
        }
        await expectSameReport(database, createReportStore(database), personStateReports(database).votes);
      }),
      { numRuns: Number(process.env.DOCS_STATE_PROPERTY_RUNS ?? 60), seed: 20261207 },
    );
  }, 240_000);
});

describe('docs report from the per-person page views: instants shared', () => {
  it('takes the title of the latest stored view at one instant, and counts a success at a first view as converted', async () => {
    const database = testDatabase();
    const at = RANGE.from + UNIT;
    const view = (who: string, title: string): Ev => ({ event: '$pageview', who, at, props: { $pathname: '/docs/a/', title } });
    const events = [view('u0', 'A'), view('u1', 'B'), view('u0', 'C'), call('u0', at, 200)];
    await database.transaction((tx) => writeEvents(tx, [events.map(normalized)]));
    const fromState = await createReportStore(database).docs(RANGE);
    expect(fromState.pages[0]).toMatchObject({ path: '/docs/a/', title: 'C', views: 3, readers: 2, readerConversion: 0.5 });
    expect(fromState).toEqual(await docsReport(database, RANGE));
  });
});

describe('docs votes from memory: merges', () => {
  it('counts a merged person once, with their latest vote, in a copy kept across the merge', async () => {
    const database = testDatabase();
    const reports = createReportStore(database);
    const votes = personStateReports(database).votes;
    const at = RANGE.from + UNIT;
    const vote = (who: string, when: number, helpful: boolean): Ev => ({ event: 'doc_feedback', who, at: when, props: { path: '/docs/a/', helpful } });
    await database.transaction((tx) => writeEvents(tx, [[vote('a0', at, true), vote('u0', at + UNIT, false)].map(normalized)]));
    expect(await helpfulRates(database, RANGE, ['/docs/a/'], votes)).toEqual(new Map([['/docs/a/', 0.5]]));
    expect((await reports.docs(RANGE)).summary).toMatchObject({ helpful: 1, notHelpful: 1 });
    const identify: Ev = { event: '$identify', who: 'u0', at: at + 2 * UNIT, props: { $anon_distinct_id: 'a0' } };
    await database.transaction((tx) => writeEvents(tx, [[normalized(identify)]]));
    expect(await helpfulRates(database, RANGE, ['/docs/a/'], votes)).toEqual(new Map([['/docs/a/', 0]]));
    expect((await reports.docs(RANGE)).summary).toMatchObject({ helpful: 0, notHelpful: 1 });
    expect(await reports.docs(RANGE)).toEqual(await docsReport(database, RANGE));
  });
});

describe('docs votes from memory: one instant', () => {
  it('takes the vote stored last among one person’s votes on a page at one instant, and a late earlier vote never', async () => {
    const database = testDatabase();
    const votes = personStateReports(database).votes;
    const at = RANGE.from + UNIT;
    const vote = (who: string, when: number, helpful: boolean, reason?: string): Ev => ({
      event: 'doc_feedback',
      who,
      at: when,
      props: { path: '/docs/a/', helpful, ...(reason ? { reason } : {}) },
    });
    await database.transaction((tx) => writeEvents(tx, [[vote('u0', at, true), vote('u0', at, false, 'unclear'), vote('u1', at, false)].map(normalized)]));
    expect(await helpfulRates(database, RANGE, ['/docs/a/'], votes)).toEqual(new Map([['/docs/a/', 0]]));
    await database.transaction((tx) => writeEvents(tx, [[vote('u1', at, true), vote('u0', at - UNIT, true)].map(normalized)]));
    expect(await helpfulRates(database, RANGE, ['/docs/a/'], votes)).toEqual(new Map([['/docs/a/', 0.5]]));
    const fromState = await createReportStore(database).docs(RANGE);
    expect(fromState.pages[0]).toMatchObject({ path: '/docs/a/', helpful: 1, notHelpful: 1, reasons: { unclear: 1 } });
    expect(fromState).toEqual(await docsReport(database, RANGE));
  });
});
