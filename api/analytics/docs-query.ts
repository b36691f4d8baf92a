/**
 * SQL for the doc satisfaction report. Aggregation happens in the database; the rows returned are per page (or per
 * page and reason), never per event. Page views come from the `pageview_path` helper column's index
 * (db/schema/sqlite.ts), already ordered by page and person, so no JSON is parsed for them.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { SqlDatabase, SqlFragments } from '../storage/sql/interface.ts';
import { DOC_PATH_PREFIXES } from './contract.ts';
import { type DocsVoteSource, helpfulRatesOf, rawVotes, reasonsPerPage, type VoteCountRow, votesPerPage } from './docs-votes.ts';
import type { Range } from './params.ts';
import { eventRows, firstSuccessOf } from './sql.ts';

/** Most comments returned per page, newest first. */
export const COMMENTS_PER_PAGE = 50;

const PROPERTIES = sql.raw('properties');

/** The page a vote is about: its `path` property, else the page it was sent from. */
export function feedbackPath(f: SqlFragments): SQL {
  return sql`COALESCE(${f.jsonText(PROPERTIES, 'path')}, ${f.jsonText(PROPERTIES, '$pathname')})`;
}

/**
 * True when the feedback's `comment` is a string with something besides spaces (SQL `trim` cuts only spaces, on
 * both dialects): the comments the docs report lists.
 */
export function feedbackHasComment(f: SqlFragments): SQL {
  return sql`${f.jsonKind(PROPERTIES, 'comment')} = 'string' AND trim(${f.jsonText(PROPERTIES, 'comment')}) <> ''`;
}

/**
 * 1 for a helpful vote, 0 for a not-helpful one, NULL for anything else: JSON true or 1 and the string "true" some
 * clients send are helpful; false, 0 and "false" are not.
 */
export function feedbackHelpful(f: SqlFragments): SQL {
  const text = sql`CAST(${f.jsonText(PROPERTIES, 'helpful')} AS TEXT)`;
  return sql`CASE ${text} WHEN '1' THEN 1 WHEN 'true' THEN 1 WHEN '0' THEN 0 WHEN 'false' THEN 0 END`;
}

/** Each person's latest vote per page in range (ties on time broken by insertion order), optionally for some pages. */
export function latestVotes(f: SqlFragments, range: Range, paths?: readonly string[]): SQL {
  const path = feedbackPath(f);
  const onlyPaths = paths
    ? sql`AND ${path} IN (SELECT path FROM ${f.boundRows(
        paths.map((p) => [p]),
        [['path', 'text']],
      )} AS b)`
    : sql``;
  return sql`
  SELECT path, helpful, reason, timestamp FROM (
    SELECT ${path} AS path, ${feedbackHelpful(f)} AS helpful, ${f.jsonText(PROPERTIES, 'reason')} AS reason, timestamp,
           ROW_NUMBER() OVER (PARTITION BY person_id, ${path} ORDER BY timestamp DESC, id DESC) AS rn
    FROM events WHERE event = 'doc_feedback' AND timestamp BETWEEN ${range.from} AND ${range.to} AND ${feedbackHelpful(f)} IS NOT NULL ${onlyPaths}
  ) votes WHERE rn = 1 AND path IS NOT NULL`;
}

export type PageViewsRow = {
  path: string;
  title: string | null;
  views: number;
  readers: number;
  readersConverted: number;
  readersConvertedAny: number;
};
export type VoteRow = {
  path: string;
  helpful: number;
  notHelpful: number;
};
export type ReasonRow = {
  path: string;
  reason: string;
  n: number;
};
export type CommentRow = {
  path: string;
  text: string;
  timestamp: number;
  /** 1, 0 or null: the vote the comment was sent with. */
  helpful: number | null;
};
export type AudienceRow = {
  persons: number;
  converted: number;
};

export interface DocsData {
  views: PageViewsRow[];
  votes: VoteRow[];
  reasons: ReasonRow[];
  comments: CommentRow[];
  audience: AudienceRow;
}

/**
 * The `title` property of the latest `$pageview` of `path` in range that carried one (posthog-js sends the document
 * title with every page view), read through the page-path index.
 */
function latestTitle(f: SqlFragments, path: SQL, range: Range): SQL {
  return sql`(SELECT ${f.jsonText(sql`t.properties`, 'title')} FROM events t ${f.indexedBy('events_pageview_path_person_timestamp')}
              WHERE t.pageview_path = ${path} AND t.timestamp BETWEEN ${range.from} AND ${range.to}
                AND ${f.jsonKind(sql`t.properties`, 'title')} = 'string'
              ORDER BY t.timestamp DESC, t.id DESC LIMIT 1)`;
}

/** 1 when the first success `fs` falls in [`first`, `to`], else 0. */
const convertedBy = (fs: SQL, first: SQL, to: number) => sql`CASE WHEN ${fs} IS NOT NULL AND ${fs} >= ${first} AND ${fs} <= ${to} THEN 1 ELSE 0 END`;

/** The docs report's page-view figures over docs and quickstart pages in a range (the headline cards). */
export type PageViewTotals = { views: number; readers: number };

/**
 * Where the docs report's page-view figures come from: the raw events ({@link rawPageViews}) or each person's page
 * views in memory (person-state/docs-views.ts), which must give the same numbers.
 */
export interface DocsPageViewSource {
  /** Per-page rows (title included) and the audience, as {@link loadDocsData} describes them. */
  pages(range: Range): Promise<Pick<DocsData, 'views' | 'audience'>>;
  /** Views and distinct readers of docs and quickstart pages (`DOC_PATH_PREFIXES`). */
  totals(range: Range): Promise<PageViewTotals>;
}

/** `column` starts with one of DOC_PATH_PREFIXES: an exact, case-sensitive comparison whatever the collation. */
const isDocPathSql = (column: SQL) =>
  sql.join(
    DOC_PATH_PREFIXES.map((prefix) => sql`substr(${column}, 1, ${prefix.length}) = ${prefix}`),
    sql` OR `,
  );

/** The page-view figures read from raw `$pageview` events through the page-path index. */
export function rawPageViews(database: SqlDatabase): DocsPageViewSource {
  const f = database.fragments;
  return {
    async pages(range) {
      const pageviews = eventRows(f, 'v', '$pageview');
      const { from, to } = range;
      const [views, audience] = await Promise.all([
        database.all<PageViewsRow>(
          sql`WITH pv AS (
                SELECT pageview_path AS path, person_id AS pid, MIN(timestamp) AS first, COUNT(*) AS views
                FROM events ${f.indexedBy('events_pageview_path_person_timestamp')}
                WHERE pageview_path IS NOT NULL AND timestamp BETWEEN ${from} AND ${to} GROUP BY pageview_path, person_id
              ),
              people AS (SELECT pid, MIN(first) AS first, ${firstSuccessOf(f, sql`pid`)} AS fs FROM pv GROUP BY pid)
              SELECT pv.path AS path, ${latestTitle(f, sql`pv.path`, range)} AS title, SUM(pv.views) AS views, COUNT(*) AS readers,
                     SUM(${convertedBy(sql`p.fs`, sql`pv.first`, to)}) AS "readersConverted",
                     SUM(${convertedBy(sql`p.fs`, sql`p.first`, to)}) AS "readersConvertedAny"
              FROM pv JOIN people p ON p.pid = pv.pid
              GROUP BY pv.path ORDER BY pv.path ${f.binaryCollation}`,
        ),
        // The first success is computed in the grouped subquery, so it is read once per person, however often it is used.
        database.get<AudienceRow>(
          sql`SELECT COUNT(*) AS persons, COALESCE(SUM(${convertedBy(sql`fs`, sql`first`, to)}), 0) AS converted
              FROM (SELECT v.person_id AS pid, MIN(v.timestamp) AS first, ${firstSuccessOf(f, sql`v.person_id`)} AS fs
                    FROM ${pageviews.from}
                    WHERE ${pageviews.where} AND v.timestamp BETWEEN ${from} AND ${to} GROUP BY v.person_id) people`,
        ),
      ]);
      return { views, audience: audience ?? { persons: 0, converted: 0 } };
    },
    async totals(range) {
      const row = await database.get<{ views: number; readers: number }>(
        sql`SELECT COUNT(*) AS views, COUNT(DISTINCT person_id) AS readers FROM events ${f.indexedBy('events_pageview_path_person_timestamp')}
            WHERE pageview_path IS NOT NULL AND (${isDocPathSql(sql`pageview_path`)}) AND timestamp BETWEEN ${range.from} AND ${range.to}`,
      );
      return { views: Number(row?.views ?? 0), readers: Number(row?.readers ?? 0) };
    },
  };
}

/** The latest title of each of `paths` in range (see latestTitle), by path; for paths whose latest title is a tie. */
export async function latestTitles(database: SqlDatabase, range: Range, paths: readonly string[]): Promise<Map<string, string | null>> {
  const f = database.fragments;
  const out = new Map<string, string | null>();
  for (const path of paths) {
    const row = await database.get<{ title: string | null }>(sql`SELECT ${latestTitle(f, sql`${path}`, range)} AS title`);
    out.set(path, row?.title ?? null);
  }
  return out;
}

/**
 * The latest COMMENTS_PER_PAGE comments per page in range ({@link feedbackHasComment}), ranked over raw
 * `doc_feedback` events: ordered by page (byte-wise), then newest first, ties on time by the event stored last.
 */
export async function latestComments(database: SqlDatabase, range: Range): Promise<CommentRow[]> {
  const f = database.fragments;
  const path = feedbackPath(f);
  return database.all<CommentRow>(
    sql`SELECT path, text, timestamp, helpful FROM (
          SELECT ${path} AS path, ${f.jsonText(PROPERTIES, 'comment')} AS text, timestamp, id, ${feedbackHelpful(f)} AS helpful,
                 ROW_NUMBER() OVER (PARTITION BY ${path} ORDER BY timestamp DESC, id DESC) AS rn
          FROM events WHERE event = 'doc_feedback' AND timestamp BETWEEN ${range.from} AND ${range.to} AND ${feedbackHasComment(f)}
        ) c WHERE rn <= ${COMMENTS_PER_PAGE} AND path IS NOT NULL
        ORDER BY path ${f.binaryCollation}, timestamp DESC, id DESC`,
  );
}

/**
 * Loads per-page aggregates. Conversion: a reader of page X converted when their first successful call (over all
 * time) falls in [their first view of X in range, to]; for the audience (everyone with a `$pageview` in range) the
 * same against their first view of any page (a `$pageview` without `$pathname` still makes a person part of the
 * audience). `readersConvertedAny` uses that audience rule for X's readers, so the non-reader figures are
 * `audience − readers`. Text is ordered byte-wise, whatever the database's collation. Page views come from
 * `pageViews` (raw events by default), comments from `feedback` and votes and reasons from `counts` (the range's
 * vote counts, docs-votes.ts; by default read from `feedback`).
 */
export async function loadDocsData(
  database: SqlDatabase,
  range: Range,
  pageViews: DocsPageViewSource = rawPageViews(database),
  feedback: DocsVoteSource = rawVotes(database),
  counts: Promise<VoteCountRow[]> = feedback.counts(range),
): Promise<DocsData> {
  const [{ views, audience }, votes, comments] = await Promise.all([pageViews.pages(range), counts, feedback.comments(range)]);
  return { views, votes: votesPerPage(votes), reasons: reasonsPerPage(votes), comments, audience };
}

/**
 * Helpful rate per path (latest vote per person per page in range), for the funnel flags' evidence; from `votes`
 * (the range's vote counts, docs-votes.ts) when given, else ranked here over the raw events.
 */
export async function helpfulRates(database: SqlDatabase, range: Range, paths: string[], votes?: DocsVoteSource): Promise<Map<string, number | null>> {
  if (votes && paths.length > 0) return helpfulRatesOf(await votes.counts(range), paths);
  const out = new Map<string, number | null>(paths.map((p) => [p, null]));
  if (paths.length === 0) return out;
  const rows = await database.all<{ path: string; helpful: number; total: number }>(
    sql`SELECT path, SUM(CASE WHEN helpful = 1 THEN 1 ELSE 0 END) AS helpful, COUNT(*) AS total
        FROM (${latestVotes(database.fragments, range, paths)}) l GROUP BY path`,
  );
  for (const r of rows) out.set(r.path, r.total > 0 ? r.helpful / r.total : null);
  return out;
}
