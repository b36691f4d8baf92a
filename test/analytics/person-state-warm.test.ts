/**
 * `reports.warm()` (called by the server once listening) loads the per-developer state, so the first report after a
 * start reads it from memory instead of loading it: after a warm-up, a default funnel and a `$pageview` funnel stream
 * nothing from the database, where cold ones stream the state's tables.
 */
import { describe, expect, it } from 'vitest';
import { parseFunnelParams } from '../../api/analytics/funnel-params.ts';
import { createReportStore } from '../../api/analytics/report-store.ts';
import { writeEvents } from '../../api/ingest/store.ts';
import type { SqlDatabase } from '../../api/storage/sql/interface.ts';
import { testDatabase } from '../support/app.ts';
import { iso, normalized, T0 } from './support.ts';

/** `database` with a count of the streamed queries (how the state is loaded). */
function countingStreams(database: SqlDatabase): { database: SqlDatabase; streams: () => number } {
  let streams = 0;
  const counted: SqlDatabase = {
    ...database,
    stream: (query, batchRows) => {
      streams += 1;
      return database.stream(query, batchRows);
    },
  };
  return { database: counted, streams: () => streams };
}

async function history(database: SqlDatabase) {
  const events = ['a', 'b', 'c'].flatMap((who, i) => [
    { event: '$pageview', who, at: T0 + i * 60_000 - 1_000, props: { $pathname: '/docs/' } },
    { event: 'signed_up', who, at: T0 + i * 60_000 },
    { event: 'api_key_created', who, at: T0 + i * 60_000 + 1_000 },
  ]);
  await database.transaction((tx) => writeEvents(tx, [events.map(normalized)]));
}

const range = { from: iso(T0 - 86_400_000), to: iso(T0 + 86_400_000), window: '1d' };
const params = parseFunnelParams(range);
const pageViewFunnel = parseFunnelParams({ ...range, steps: '$pageview,signed_up,api_key_created' });

describe('warming the report store', () => {
  it('a warmed store answers the first default and page-view funnels without loading the state', async () => {
    const base = testDatabase();
    await history(base);
    const cold = countingStreams(base);
    const coldStore = createReportStore(cold.database);
    const coldReport = await coldStore.funnel(params);
    expect(cold.streams()).toBeGreaterThan(0);
    // The page-view times are a copy of their own: a cold store loads them on the first `$pageview` funnel.
    const beforePageViews = cold.streams();
    const coldPageViewReport = await coldStore.funnel(pageViewFunnel);
    expect(cold.streams()).toBeGreaterThan(beforePageViews);

    const warm = countingStreams(base);
    const store = createReportStore(warm.database);
    await store.warm();
    const loads = warm.streams();
    expect(loads).toBeGreaterThan(0);
    expect(await store.funnel(params)).toEqual(coldReport);
    expect(await store.funnel(pageViewFunnel)).toEqual(coldPageViewReport);
    expect(warm.streams()).toBe(loads);
    expect(coldReport.steps.map((s) => s.count)).toEqual([3, 3, 0]);
    expect(coldPageViewReport.steps.map((s) => s.count)).toEqual([3, 3, 3]);
  });
});
