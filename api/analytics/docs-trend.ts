/**
 * `GET /api/v1/reports/docs/trend`: one page's views and votes per day (ranges up to TREND_DAILY_MAX_DAYS) or per ISO
 * week. The database returns one row per UTC day; weeks are summed here, so both dialects bucket alike.
 */
import { sql } from 'drizzle-orm';
import type { SqlDatabase } from '../storage/sql/interface.ts';
import type { DocTrend, DocTrendPoint } from './contract.ts';
import { latestVotes } from './docs-query.ts';
import type { DocTrendParams } from './params.ts';
import { rate } from './stats.ts';
import { isoWeekStart } from './ttfsi.ts';

/** Longest range, in days, shown per day; longer ranges are shown per week. */
export const TREND_DAILY_MAX_DAYS = 45;
const DAY = 86_400_000;
/** The day length as SQL text, so the SELECT and the GROUP BY hold the same expression (bound values would differ). */
const DAY_SQL = sql.raw(String(DAY));

type DayRow = { day: number; n: number };
type VoteDayRow = { day: number; helpful: number; notHelpful: number };

/**
 * Views are `$pageview`s of the path; votes are each person's latest vote on the page in range (as in the table),
 * counted on the day it was cast. Days and weeks without activity are listed with zeros, so a chart shows gaps.
 */
export async function loadDocTrend(database: SqlDatabase, p: DocTrendParams): Promise<DocTrend> {
  const f = database.fragments;
  const [views, votes] = await Promise.all([
    database.all<DayRow>(
      sql`SELECT timestamp / ${DAY_SQL} AS day, COUNT(*) AS n FROM events ${f.indexedBy('events_pageview_path_person_timestamp')}
          WHERE pageview_path = ${p.path} AND timestamp BETWEEN ${p.from} AND ${p.to} GROUP BY timestamp / ${DAY_SQL}`,
    ),
    database.all<VoteDayRow>(
      sql`SELECT timestamp / ${DAY_SQL} AS day, SUM(CASE WHEN helpful = 1 THEN 1 ELSE 0 END) AS helpful,
                 SUM(CASE WHEN helpful = 0 THEN 1 ELSE 0 END) AS "notHelpful"
          FROM (${latestVotes(f, p, [p.path])}) l GROUP BY timestamp / ${DAY_SQL}`,
    ),
  ]);
  const bucket: DocTrend['bucket'] = p.to - p.from <= TREND_DAILY_MAX_DAYS * DAY ? 'day' : 'week';
  const keyOf = (dayNumber: number) => (bucket === 'day' ? new Date(dayNumber * DAY).toISOString().slice(0, 10) : isoWeekStart(dayNumber * DAY));
  const points = new Map<string, Omit<DocTrendPoint, 'helpfulRate'>>();
  for (let day = Math.floor(p.from / DAY); day <= Math.floor(p.to / DAY); day++) {
    const period = keyOf(day);
    if (!points.has(period)) points.set(period, { period, views: 0, helpful: 0, notHelpful: 0 });
  }
  for (const r of views) points.get(keyOf(Number(r.day)))!.views += Number(r.n);
  for (const r of votes) {
    const point = points.get(keyOf(Number(r.day)))!;
    point.helpful += Number(r.helpful);
    point.notHelpful += Number(r.notHelpful);
  }
  return {
    path: p.path,
    bucket,
    points: [...points.values()].map((x) => ({ ...x, helpfulRate: rate(x.helpful, x.helpful + x.notHelpful) })),
  };
}
