/**
 * `GET /api/v1/reports/docs`: the per-page table (docs.ts, docs-query.ts) with headline totals over the docs and
 * quickstart pages for this period and the previous one of the same length.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { SqlDatabase } from '../storage/sql/interface.ts';
import { DOC_PATH_PREFIXES, type DocsReport, type DocsSummary } from './contract.ts';
import { shapeDocs } from './docs.ts';
import { latestVotes, loadDocsData } from './docs-query.ts';
import { previousPeriod } from './funnel-report.ts';
import type { Range } from './params.ts';
import { proportionChangeP, rate } from './stats.ts';

/** `column` starts with one of DOC_PATH_PREFIXES: an exact, case-sensitive comparison whatever the collation. */
const isDocPathSql = (column: SQL) =>
  sql.join(
    DOC_PATH_PREFIXES.map((prefix) => sql`substr(${column}, 1, ${prefix.length}) = ${prefix}`),
    sql` OR `,
  );

/** Views, distinct readers and latest votes per person and page, over docs and quickstart pages in `range`. */
export async function docsSummary(database: SqlDatabase, range: Range): Promise<DocsSummary> {
  const f = database.fragments;
  const [views, votes] = await Promise.all([
    database.get<{ views: number; readers: number }>(
      sql`SELECT COUNT(*) AS views, COUNT(DISTINCT person_id) AS readers FROM events ${f.indexedBy('events_pageview_path_person_timestamp')}
          WHERE pageview_path IS NOT NULL AND (${isDocPathSql(sql`pageview_path`)}) AND timestamp BETWEEN ${range.from} AND ${range.to}`,
    ),
    database.get<{ helpful: number | null; notHelpful: number | null }>(
      sql`SELECT SUM(CASE WHEN helpful = 1 THEN 1 ELSE 0 END) AS helpful, SUM(CASE WHEN helpful = 0 THEN 1 ELSE 0 END) AS "notHelpful"
          FROM (${latestVotes(f, range)}) l WHERE ${isDocPathSql(sql`path`)}`,
    ),
  ]);
  const helpful = Number(votes?.helpful ?? 0);
  const notHelpful = Number(votes?.notHelpful ?? 0);
  return { views: Number(views?.views ?? 0), readers: Number(views?.readers ?? 0), helpful, notHelpful, helpfulRate: rate(helpful, helpful + notHelpful) };
}

/** `GET /api/v1/reports/docs` on either dialect. */
export async function docsReport(database: SqlDatabase, range: Range): Promise<DocsReport> {
  const bounds = previousPeriod(range.from, range.to);
  const [data, summary, before] = await Promise.all([loadDocsData(database, range), docsSummary(database, range), docsSummary(database, bounds)]);
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
