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

/** The report of one period, without its comparison. */
async function ttfsiOf(stream: TtfsiStream, params: TtfsiParams): Promise<Omit<TtfsiReport, 'previous'>> {
  const collector = createTtfsiCollector(params.to);
  await stream(params, collector.add);
  return collector.result();
}

/**
 * `GET /api/v1/reports/ttfsi` on either dialect. The two periods run one after the other (one connection on SQLite).
 * `stream` gives the per-person rows; default: raw events.
 */
export async function ttfsiReport(database: SqlDatabase, params: TtfsiParams, stream: TtfsiStream = rawTtfsiStream(database)): Promise<TtfsiReport> {
  const current = await ttfsiOf(stream, params);
  const bounds = previousPeriod(params.from, params.to);
  const before = await ttfsiOf(stream, { ...params, ...bounds });
  const previous: TtfsiPrevious = {
    from: new Date(bounds.from).toISOString(),
    to: new Date(bounds.to).toISOString(),
    completed: before.completed,
    inProgress: before.inProgress,
    median: before.kaplanMeier.median,
    completionP: proportionChangeP(before.completed, before.completed + before.inProgress, current.completed, current.completed + current.inProgress),
  };
  return { ...current, previous };
}
