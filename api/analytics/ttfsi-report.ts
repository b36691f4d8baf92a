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

/**
 * `GET /api/v1/reports/ttfsi` on either dialect. The stream gives both periods' rows (the state in one pass, raw
 * events one query after the other).
 * `stream` gives the per-person rows; default: raw events.
 */
export async function ttfsiReport(database: SqlDatabase, params: TtfsiParams, stream: TtfsiStream = rawTtfsiStream(database)): Promise<TtfsiReport> {
  const bounds = previousPeriod(params.from, params.to);
  const collectors = [createTtfsiCollector(params.to), createTtfsiCollector(bounds.to, false)];
  await stream(params, [{ from: params.from, to: params.to }, bounds], (period, row) => collectors[period]!.add(row));
  const current = collectors[0]!.result();
  // The previous period shows its counts and median only: no curve, histogram or cohorts to shape.
  const before = collectors[1]!.summary();
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
