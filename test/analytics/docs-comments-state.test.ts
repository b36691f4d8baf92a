/**
 * The docs report's comments from the feedback in memory (api/analytics/person-state/comments.ts, votes.ts) against
 * the raw ranking (`latestComments`, docs-query.ts) and the report computed from raw events, on random histories of
 * feedback only: many comments on few pages at few instants, so pages pass COMMENTS_PER_PAGE and comments share an
 * instant (the event stored last comes first), written in batches out of time order with retried uuids, moved by
 * identity merges, the page sent as `path` or `$pathname`, as a number or not at all, with and without a vote.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { capText, TEXT_CAPS } from '../../api/analytics/contract.ts';
import { COMMENTS_PER_PAGE, type CommentRow, latestComments } from '../../api/analytics/docs-query.ts';
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
import { type Ev, normalized, T0 } from './support.ts';

const UNIT = 30 * 60_000;
/** Units 11 to 13 and the first instant of unit 14; events fall in units 10 to 15. */
const RANGE = { from: T0 + 11 * UNIT, to: T0 + 14 * UNIT };
const PEOPLE = ['u0', 'u1', 'u2'];
const ANONYMOUS = ['a0', 'a1', 'a2'];
/** Pages: mostly one, so it passes COMMENTS_PER_PAGE; a number (text on PostgreSQL, a number on SQLite); none. */
const PAGES: unknown[] = ['/docs/a/', '/docs/a/', '/docs/a/', '/docs/a/', '/docs/a/', '/docs/b/', 7, undefined];
const COMMENTS = ['Clear', 'the curl example 401s', ' padded ', '   ', 'é ✓', 'c'.repeat(TEXT_CAPS.comment + 3)];

const who = fc.constantFrom(...PEOPLE, ...ANONYMOUS);
const itemArb = fc.record({
  event: fc.oneof(
    {
      weight: 12,
      arbitrary: fc.record({
        kind: fc.constant('feedback' as const),
        who,
        path: fc.constantFrom(...PAGES),
        via: fc.constantFrom('path', '$pathname'),
        helpful: fc.constantFrom<unknown>(true, false, null),
        comment: fc.constantFrom(...COMMENTS),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constantFrom('$identify' as const, '$create_alias' as const),
        who: fc.constantFrom(...PEOPLE),
        other: fc.constantFrom(...ANONYMOUS),
      }),
    },
  ),
  unit: fc.integer({ min: 10, max: 15 }),
  ms: fc.constantFrom(0, 0, 3),
  batch: fc.nat(3),
  retry: fc.option(fc.nat(3), { freq: 4 }),
});

type Item = { kind: string; who: string; path?: unknown; via?: string; helpful?: unknown; comment?: string; other?: string };

/** The event of item `n` at `at`; each comment is told apart by its item's number. */
function eventOf(g: Item, n: number, at: number): Ev {
  if (g.kind === 'feedback') {
    const props: Record<string, unknown> = { helpful: g.helpful, comment: `${g.comment} #${n}` };
    if (g.path !== undefined) props[g.via!] = g.path;
    return { event: 'doc_feedback', who: g.who, at, props };
  }
  if (g.kind === '$identify') return { event: '$identify', who: g.who, at, props: { $anon_distinct_id: g.other } };
  return { event: '$create_alias', who: g.who, at, props: { alias: g.other } };
}

/** The raw latest comments, their text cut as the report cuts it (the copy keeps only that much). */
async function rawComments(database: SqlDatabase): Promise<CommentRow[]> {
  return (await latestComments(database, RANGE)).map((c) => ({ ...c, text: capText(c.text, TEXT_CAPS.comment), timestamp: Number(c.timestamp) }));
}

/** How often the histories reached what the test is about: a page cut at COMMENTS_PER_PAGE, comments sharing an instant. */
const seen = { capped: 0, tied: 0 };

async function expectSameComments(database: SqlDatabase, reports: ReportStore, votes: DocsVoteSource): Promise<void> {
  const raw = await rawComments(database);
  expect(await votes.comments(RANGE)).toEqual(raw);
  expect(await reports.docs(RANGE)).toEqual(await docsReport(database, RANGE));
  const perPage = new Map<unknown, number>();
  for (const c of raw) perPage.set(c.path, (perPage.get(c.path) ?? 0) + 1);
  if ([...perPage.values()].includes(COMMENTS_PER_PAGE)) seen.capped++;
  if (raw.some((c, i) => i > 0 && raw[i - 1]!.path === c.path && raw[i - 1]!.timestamp === c.timestamp)) seen.tied++;
}

describe('docs comments from memory', () => {
  it('lists the latest comments per page as the raw ranking does, batch after batch', async () => {
    const database = testDatabase();
    const kept = createReportStore(database);
    const keptVotes = personStateReports(database).votes;
    await fc.assert(
      fc.asyncProperty(fc.array(itemArb, { minLength: 1, maxLength: 300, size: 'max' }), async (history) => {
        await reset(database);
        const batches: NormalizedEvent[][] = [[], [], [], [], [], [], [], []];
        history.forEach((item, n) => {
          const event = normalized(eventOf(item.event, n, T0 + item.unit * UNIT + item.ms));
          batches[item.batch]!.push(event);
          if (item.retry !== null) batches[item.batch + 1 + item.retry]!.push(event);
        });
        for (const batch of batches) {
          if (batch.length === 0) continue;
          await database.transaction((tx) => writeEvents(tx, [batch]));
          await expectSameComments(database, kept, keptVotes);
        }
        await expectSameComments(database, createReportStore(database), personStateReports(database).votes);
      }),
      { numRuns: Number(process.env.DOCS_STATE_PROPERTY_RUNS ?? 30), seed: 20261207 },
    );
    // The histories are meant to reach both; without them this test would prove little.
    expect(seen.capped).toBeGreaterThan(0);
    expect(seen.tied).toBeGreaterThan(0);
  }, 240_000);
});
