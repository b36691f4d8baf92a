/**
 * The funnel flags' evidence read from the per-person data in memory (api/analytics/person-state/evidence.ts) on the
 * cases the kept data cannot answer alone, against the raw-event evidence and exact numbers: failures after a first
 * success, more failures than the call facts keep (with ties at the last kept instant), a code seen both before and
 * after the success (one person), a later failure after the success, a last page view after the range, and a last
 * view without a path. Then past raw call retention: what the call facts hold is still counted, and nothing else; on
 * random histories too.
 */
import { isDeepStrictEqual } from 'node:util';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_FIRST_FAILURES } from '../../api/analytics/api-traffic/call-facts.ts';
import { deleteOldCalls } from '../../api/analytics/api-traffic/retention.ts';
import { parseFunnelParams } from '../../api/analytics/funnel-params.ts';
import { funnelReport } from '../../api/analytics/funnel-report.ts';
import { createReportStore } from '../../api/analytics/report-store.ts';
import { writeEvents } from '../../api/ingest/store.ts';
import { testDatabase } from '../support/app.ts';
import { batchesOf, FUNNELS, historyArb, range, reset, UNIT, write } from './person-state-history.ts';
import { call, type Ev, HOUR, iso, normalized, T0 } from './support.ts';

const START = T0 + 12 * HOUR;
const END = T0 + 24 * HOUR - 1;
const at = (hours: number, ms = 0) => START + hours * HOUR + ms;
const failed = (who: string, when: number, code: string): Ev => call(who, when, 500, { error_code: code });
const view = (who: string, when: number, path?: string): Ev => ({ event: '$pageview', who, at: when, props: path === undefined ? {} : { $pathname: path } });

/** Signed up at hour 1 and created a key a minute later: stalled before the first successful call unless one follows. */
const keyed = (who: string): Ev[] => [
  { event: 'signed_up', who, at: at(1) },
  { event: 'api_key_created', who, at: at(1, 60_000) },
];

const history: Ev[] = [
  // Succeeded before creating their key (so stalled at the last step), failing before and after that success.
  { event: 'signed_up', who: 'before-key', at: at(1) },
  failed('before-key', at(1, 1), 'shared'),
  failed('before-key', at(1, 2), 'early'),
  call('before-key', at(1, 3), 200),
  { event: 'api_key_created', who: 'before-key', at: at(1, 60_000) },
  failed('before-key', at(2), 'shared'),
  failed('before-key', at(3), 'late'),
  // More failures than kept; the last six share the instant of the last kept one.
  ...keyed('burst'),
  ...Array.from({ length: MAX_FIRST_FAILURES + 5 }, (_, i) => failed('burst', at(2, Math.min(i, MAX_FIRST_FAILURES - 1)), 'burst')),
  // Stalled before the key: last view in range is /docs/a/, a later one is past `to`.
  { event: 'signed_up', who: 'reader', at: at(1) },
  view('reader', at(2), '/docs/a/'),
  view('reader', at(13), '/docs/late/'),
  // Last view in range has no path: counted nowhere.
  { event: 'signed_up', who: 'pathless', at: at(1) },
  view('pathless', at(2), '/docs/b/'),
  view('pathless', at(3)),
  // Two views at one instant: the one stored later wins.
  { event: 'signed_up', who: 'tie', at: at(1) },
  view('tie', at(4), '/docs/first/'),
  view('tie', at(4), '/docs/second/'),
];

describe('funnel flag evidence from the per-person state', () => {
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
        // Unqualified, the fragment's columns are those of the innermost `events s`.
        const counted = f.countedFailedCall;
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

  it('equals the raw-event evidence where the kept data cannot answer alone, and keeps what the facts hold past retention', async () => {
    const database = testDatabase();
    await database.transaction((tx) => writeEvents(tx, [history.map(normalized)]));
    const params = parseFunnelParams({ from: iso(START), to: iso(END), window: '1h', minConversion: '1' });
    const reports = createReportStore(database);
    const evidenceAt = async (step: number) => (await reports.funnel(params)).flags.find((f) => f.step === step)!.evidence;

    const fromState = await reports.funnel(params);
    expect(fromState).toEqual(await funnelReport(database, params));
    expect((await evidenceAt(2)).topErrors).toEqual([
      { code: 'burst', count: MAX_FIRST_FAILURES + 5, persons: 1 },
      { code: 'shared', count: 2, persons: 1 },
      { code: 'early', count: 1, persons: 1 },
      { code: 'late', count: 1, persons: 1 },
    ]);
    expect((await evidenceAt(1)).lastPages.map(({ path, count }) => ({ path, count }))).toEqual([
      { path: '/docs/a/', count: 1 },
      { path: '/docs/second/', count: 1 },
    ]);

    // Later failures before and after a first success (through the change feed) and a later page view (by event id)
    // reach the copies.
    const later = [failed('reader', at(2), 'later'), failed('before-key', at(4), 'late'), view('pathless', at(5), '/docs/c/')];
    await database.transaction((tx) => writeEvents(tx, [later.map(normalized)]));
    expect(await reports.funnel(params)).toEqual(await funnelReport(database, params));
    expect((await evidenceAt(1)).topErrors).toEqual([{ code: 'later', count: 1, persons: 1 }]);
    expect((await evidenceAt(2)).topErrors).toEqual([
      { code: 'burst', count: MAX_FIRST_FAILURES + 5, persons: 1 },
      { code: 'late', count: 2, persons: 1 },
      { code: 'shared', count: 2, persons: 1 },
      { code: 'early', count: 1, persons: 1 },
    ]);
    expect((await evidenceAt(1)).lastPages.map((page) => page.path)).toEqual(['/docs/a/', '/docs/c/', '/docs/second/']);

    // Every raw call ages out: the failures kept before a first success stay, up to the last kept one's instant.
    await deleteOldCalls(database, END + 1, { pauseMs: 0 });
    for (const copy of [reports, createReportStore(database)]) {
      const report = await copy.funnel(params);
      expect(report.flags.find((f) => f.step === 2)!.evidence.topErrors).toEqual([
        { code: 'burst', count: MAX_FIRST_FAILURES - 1, persons: 1 },
        { code: 'early', count: 1, persons: 1 },
        { code: 'shared', count: 1, persons: 1 },
      ]);
      expect(report.steps).toEqual(fromState.steps);
    }
    expect((await funnelReport(database, params)).flags.find((f) => f.step === 2)!.evidence.topErrors).toEqual([]);
  });
});
