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
 * - the evidence past raw-call retention is checked in person-state-evidence.test.ts.
 */

import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFunnelParams, parseFunnelPersonsParams, parseFunnelTimeToConvertParams, parseFunnelTrendParams } from '../../api/analytics/funnel-params.ts';
import { funnelReport } from '../../api/analytics/funnel-report.ts';
import { funnelPersons, funnelTimeToConvert, funnelTrend } from '../../api/analytics/funnel-views.ts';
import { parseTtfsiParams } from '../../api/analytics/params.ts';
import { followFeed } from '../../api/analytics/person-state/feed-copy.ts';
import { stateAnswersFunnel, stateAnswersTtfsi } from '../../api/analytics/person-state/reports.ts';
import { createReportStore } from '../../api/analytics/report-store.ts';
import { ttfsiReport } from '../../api/analytics/ttfsi-report.ts';
import type { SqlDatabase } from '../../api/storage/sql/interface.ts';
import type { ReportStore } from '../../api/storage/types.ts';
import { testDatabase } from '../support/app.ts';
import { batchesOf, FUNNELS, historyArb, range, reset, UNIT, write } from './person-state-history.ts';
import { normalized, T0 } from './support.ts';

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

  it('patches the persons a long feed names, and reloads everything only past 100,000 changed persons', async () => {
    const database = testDatabase();
    const calls: Array<'all' | number[]> = [];
    const follow = followFeed(database, {
      reloadAll: async () => void calls.push('all'),
      reloadPersons: async (pids) => void calls.push([...pids].sort((a, b) => a - b)),
    });
    await follow();
    // As a burst leaves it: the same few persons named chunk after chunk, far more rows than persons.
    await database.run(sql`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 150000)
                           INSERT INTO person_state_changes (person_id) SELECT 7 + i % 3 FROM n`);
    await follow();
    await follow();
    await database.run(sql`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100001)
                           INSERT INTO person_state_changes (person_id) SELECT 1000 + i FROM n`);
    await follow();
    expect(calls).toEqual(['all', [7, 8, 9], 'all']);
  });
  it('reads the changed persons once for every copy of one database', async () => {
    const database = testDatabase();
    let grouped = 0;
    const counting: SqlDatabase = {
      ...database,
      all: (query) => {
        const text = query.queryChunks.map((chunk) => (typeof chunk === 'object' && chunk !== null && 'value' in chunk ? String(chunk.value) : '')).join('');
        if (text.includes('GROUP BY person_id')) grouped++;
        return database.all(query);
      },
    };
    const named: number[][] = [];
    const follower = { reloadAll: async () => {}, reloadPersons: async (pids: number[]) => void named.push([...pids].sort((a, b) => a - b)) };
    const copies = [followFeed(counting, follower), followFeed(counting, follower)];
    for (const follow of copies) await follow();
    await database.run(sql`INSERT INTO person_state_changes (person_id) VALUES (3), (4), (3)`);
    for (const follow of copies) await follow();
    expect(named).toEqual([
      [3, 4],
      [3, 4],
    ]);
    expect(grouped).toBe(1);
    // Nothing new: no grouped read at all.
    for (const follow of copies) await follow();
    expect(grouped).toBe(1);
  });
});
