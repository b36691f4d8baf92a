/**
 * `GET /api/v1/reports/ttfsi`: time to first successful integration over [from, to], with the headline figures of
 * the previous period of the same length.
 */
import type { SqlDatabase } from '../storage/sql/interface.ts';
import type { TtfsiPrevious, TtfsiReport } from './contract.ts';
import { previousPeriod } from './funnel-report.ts';
import type { TtfsiParams } from './params.ts';
import { proportionChangeP } from './stats.ts';
import { createTtfsiCollector } from './ttfsi.ts';
import { rawTtfsiStream, type TtfsiStream } from './ttfsi-query.ts';

/** The rows of one period, collected. */
async function collect(stream: TtfsiStream, params: TtfsiParams) {
  const collector = createTtfsiCollector(params.to);
  await stream(params, collector.add);
  return collector;
}

/**
 * `GET /api/v1/reports/ttfsi` on either dialect. The two periods run one after the other (one connection on SQLite).
 * `stream` gives the per-person rows; default: raw events.
 */
export async function ttfsiReport(database: SqlDatabase, params: TtfsiParams, stream: TtfsiStream = rawTtfsiStream(database)): Promise<TtfsiReport> {
  const current = (await collect(stream, params)).result();
  const bounds = previousPeriod(params.from, params.to);
  // The previous period shows its counts and median only: no curve, histogram or cohorts to shape.
  const before = (await collect(stream, { ...params, ...bounds })).summary();
  const previous: TtfsiPrevious = {
    from: new Date(bounds.from).toISOString(),
    to: new Date(bounds.to).toISOString(),
    completed: before.completed,
    inProgress: before.inProgress,
    median: before.median,
    completionP: proportionChangeP(before.completed, before.completed + before.inProgress, current.completed, current.completed + current.inProgress),
  };
  return { ...current, previous };
}
