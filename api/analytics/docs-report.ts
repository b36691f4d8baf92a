/**
 * `GET /api/v1/reports/docs`: the per-page table (docs.ts, docs-query.ts) with headline totals over the docs and
 * quickstart pages for this period and the previous one of the same length.
 */
import type { SqlDatabase } from '../storage/sql/interface.ts';
import type { DocsReport, DocsSummary } from './contract.ts';
import { shapeDocs } from './docs.ts';
import { type DocsPageViewSource, loadDocsData, rawPageViews } from './docs-query.ts';
import { type DocsVoteSource, docVoteTotals, rawVotes, type VoteCountRow, voteCounts } from './docs-votes.ts';
import { previousPeriod } from './funnel-report.ts';
import type { Range } from './params.ts';
import { proportionChangeP, rate } from './stats.ts';

/**
 * Views, distinct readers (from `pageViews`) and latest votes per person and page (from `votes`, the range's vote
 * counts), over docs and quickstart pages in `range`.
 */
export async function docsSummary(
  database: SqlDatabase,
  range: Range,
  pageViews: DocsPageViewSource = rawPageViews(database),
  votes: Promise<VoteCountRow[]> = voteCounts(database, range),
): Promise<DocsSummary> {
  const [views, counts] = await Promise.all([pageViews.totals(range), votes]);
  const { helpful, notHelpful } = docVoteTotals(counts);
  return { views: views.views, readers: views.readers, helpful, notHelpful, helpfulRate: rate(helpful, helpful + notHelpful) };
}

/**
 * `GET /api/v1/reports/docs` on either dialect; page views from `pageViews`, latest votes and comments from `votes`
 * (raw events by default, the per-person state in the report store). Votes are read once per period.
 */
export async function docsReport(
  database: SqlDatabase,
  range: Range,
  pageViews: DocsPageViewSource = rawPageViews(database),
  votes: DocsVoteSource = rawVotes(database),
): Promise<DocsReport> {
  const bounds = previousPeriod(range.from, range.to);
  const counts = votes.counts(range);
  const [data, summary, before] = await Promise.all([
    loadDocsData(database, range, pageViews, votes, counts),
    docsSummary(database, range, pageViews, counts),
    docsSummary(database, bounds, pageViews, votes.counts(bounds)),
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
