/**
 * `GET /api/v1/reports/docs`: the per-page table (docs.ts, docs-query.ts) with headline totals over the docs and
 * quickstart pages for this period and the previous one of the same length.
 */
import { sql } from 'drizzle-orm';
import type { SqlDatabase } from '../storage/sql/interface.ts';
import type { DocsReport, DocsSummary } from './contract.ts';
import { shapeDocs } from './docs.ts';
import { type DocsPageViewSource, isDocPathSql, latestVotes, loadDocsData, rawPageViews } from './docs-query.ts';
import { previousPeriod } from './funnel-report.ts';
import type { Range } from './params.ts';
import { proportionChangeP, rate } from './stats.ts';

/**
 * Views, distinct readers (from `pageViews`) and latest votes per person and page, over docs and quickstart pages in
 * `range`.
 */
export async function docsSummary(database: SqlDatabase, range: Range, pageViews: DocsPageViewSource = rawPageViews(database)): Promise<DocsSummary> {
  const [views, votes] = await Promise.all([
    pageViews.totals(range),
    database.get<{ helpful: number | null; notHelpful: number | null }>(
      sql`SELECT SUM(CASE WHEN helpful = 1 THEN 1 ELSE 0 END) AS helpful, SUM(CASE WHEN helpful = 0 THEN 1 ELSE 0 END) AS "notHelpful"
          FROM (${latestVotes(database.fragments, range)}) l WHERE ${isDocPathSql(sql`path`)}`,
    ),
  ]);
  const helpful = Number(votes?.helpful ?? 0);
  const notHelpful = Number(votes?.notHelpful ?? 0);
  return { views: views.views, readers: views.readers, helpful, notHelpful, helpfulRate: rate(helpful, helpful + notHelpful) };
}

/**
 * `GET /api/v1/reports/docs` on either dialect; page views from `pageViews` (raw events by default, the per-person
 * state in the report store).
 */
export async function docsReport(database: SqlDatabase, range: Range, pageViews: DocsPageViewSource = rawPageViews(database)): Promise<DocsReport> {
  const bounds = previousPeriod(range.from, range.to);
  const [data, summary, before] = await Promise.all([
    loadDocsData(database, range, pageViews),
    docsSummary(database, range, pageViews),
    docsSummary(database, bounds, pageViews),
  ]);
  return {
    pages: shapeDocs(data).pages,
    summary,
    previous: {
      ...before,
      from: new Date(bounds.from).toISOString(),
      to: new Date(bounds.to).toISOString(),
      helpfulRateP: proportionChangeP(before.helpful, before.helpful + before.notHelpful, summary.helpful, summary.helpful + summary.notHelpful),
    },
  };
}
