/**
 * The docs report's votes: each person's latest vote per page in range (`latestVotes`, docs-query.ts) read once per
 * range as counts per (page, vote, reason), from which the per-page votes, the reasons and the headline totals are
 * summed here. Each read ranks every `doc_feedback` of the range, so the report reads it once per period instead of
 * once per figure.
 */
import { sql } from 'drizzle-orm';
import type { SqlDatabase } from '../storage/sql/interface.ts';
import { isDocPath } from './contract.ts';
import { type CommentRow, latestComments, latestVotes, type ReasonRow, type VoteRow } from './docs-query.ts';
import type { Range } from './params.ts';
import { compareBytewise } from './text-order.ts';

/** Latest votes of one (page, vote, reason): `helpful` 1 or 0, `reason` as sent (NULL when none). */
export type VoteCountRow = { path: string; helpful: number; reason: string | null; n: number };

/** The latest votes of `range` counted per (page, vote, reason). */
export async function voteCounts(database: SqlDatabase, range: Range): Promise<VoteCountRow[]> {
  const rows = await database.all<VoteCountRow>(
    sql`SELECT path, helpful, reason, COUNT(*) AS n FROM (${latestVotes(database.fragments, range)}) l GROUP BY path, helpful, reason`,
  );
  return rows.map((r) => ({ path: String(r.path), helpful: Number(r.helpful), reason: r.reason === null ? null : String(r.reason), n: Number(r.n) }));
}

/**
 * Where the latest votes and comments of a range come from: the raw events ({@link rawVotes}) or every person's
 * feedback in memory (person-state/votes.ts), which must give the same report. Rows of one (page, vote, reason) may
 * come split: every use sums them.
 */
export interface DocsVoteSource {
  /** The latest votes of `range` counted per (page, vote, reason). */
  counts(range: Range): Promise<VoteCountRow[]>;
  /**
   * The latest comments per page of `range`, as `latestComments` (docs-query.ts) orders them; a text may come already
   * cut to TEXT_CAPS.comment, which the report cuts it to anyway.
   */
  comments(range: Range): Promise<CommentRow[]>;
}

/** The latest votes and comments ranked over raw `doc_feedback` events ({@link voteCounts}, `latestComments`). */
export function rawVotes(database: SqlDatabase): DocsVoteSource {
  return { counts: (range) => voteCounts(database, range), comments: (range) => latestComments(database, range) };
}

/** Helpful rate of each of `paths` among the latest votes `rows`; null for a page without any. */
export function helpfulRatesOf(rows: readonly VoteCountRow[], paths: readonly string[]): Map<string, number | null> {
  const totals = new Map<string, { helpful: number; total: number }>(paths.map((p) => [p, { helpful: 0, total: 0 }]));
  for (const r of rows) {
    const page = totals.get(r.path);
    if (!page) continue;
    page.total += r.n;
    if (r.helpful === 1) page.helpful += r.n;
  }
  return new Map([...totals].map(([path, t]) => [path, t.total > 0 ? t.helpful / t.total : null]));
}

/** Helpful and not-helpful latest votes per page, ordered by page. */
export function votesPerPage(rows: readonly VoteCountRow[]): VoteRow[] {
  const byPath = new Map<string, VoteRow>();
  for (const r of rows) {
    let page = byPath.get(r.path);
    if (!page) byPath.set(r.path, (page = { path: r.path, helpful: 0, notHelpful: 0 }));
    if (r.helpful === 1) page.helpful += r.n;
    else page.notHelpful += r.n;
  }
  return [...byPath.values()].sort((a, b) => compareBytewise(a.path, b.path));
}

/** Latest votes per (page, reason) with a non-empty reason: by page, then most votes, then reason. */
export function reasonsPerPage(rows: readonly VoteCountRow[]): ReasonRow[] {
  const counts = new Map<string, ReasonRow>();
  for (const r of rows) {
    if (r.reason === null || r.reason === '') continue;
    const key = JSON.stringify([r.path, r.reason]);
    const row = counts.get(key);
    if (row) row.n += r.n;
    else counts.set(key, { path: r.path, reason: r.reason, n: r.n });
  }
  return [...counts.values()].sort((a, b) => compareBytewise(a.path, b.path) || b.n - a.n || compareBytewise(a.reason, b.reason));
}

/** Helpful and not-helpful latest votes over docs and quickstart pages. */
export function docVoteTotals(rows: readonly VoteCountRow[]): { helpful: number; notHelpful: number } {
  let helpful = 0;
  let notHelpful = 0;
  for (const r of rows) {
    if (!isDocPath(r.path)) continue;
    if (r.helpful === 1) helpful += r.n;
    else notHelpful += r.n;
  }
  return { helpful, notHelpful };
}
