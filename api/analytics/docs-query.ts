/**
 * SQL for the doc satisfaction report. Aggregation happens in SQLite; the rows returned are per page (or per
 * page and reason), never per event. Page views come from the `pageview_path` helper column's index
 * (db/schema.ts), already ordered by page and person, so no JSON is parsed for them.
 */
import type { Database } from 'better-sqlite3';
import type { Range } from './params.ts';
import { firstSuccessOf } from './sql.ts';

const PATHNAME = `json_extract(properties, '$."$pathname"')`;
const FEEDBACK_PATH = `COALESCE(json_extract(properties, '$.path'), ${PATHNAME})`;
/** Accepts JSON booleans (stored as 1/0) and the strings "true"/"false" some clients send. */
const HELPFUL = `CASE json_extract(properties, '$.helpful') WHEN 1 THEN 1 WHEN 'true' THEN 1 WHEN 0 THEN 0 WHEN 'false' THEN 0 END`;
/** Most comments returned per page, newest first. */
export const COMMENTS_PER_PAGE = 50;

/** Each person's latest vote per page in range (ties on time broken by insertion order), optionally for some pages. */
function latestVotes(onlyPaths = false): string {
  return `
  SELECT path, helpful, reason FROM (
    SELECT ${FEEDBACK_PATH} AS path, ${HELPFUL} AS helpful, json_extract(properties, '$.reason') AS reason,
           ROW_NUMBER() OVER (PARTITION BY person_id, ${FEEDBACK_PATH} ORDER BY timestamp DESC, id DESC) AS rn
    FROM events WHERE event = 'doc_feedback' AND timestamp BETWEEN @from AND @to AND ${HELPFUL} IS NOT NULL
      ${onlyPaths ? `AND ${FEEDBACK_PATH} IN (SELECT value FROM json_each(@paths))` : ''}
  ) WHERE rn = 1 AND path IS NOT NULL`;
}
const LATEST_VOTES = latestVotes();

export interface PageViewsRow {
  path: string;
  views: number;
  readers: number;
  readersConverted: number;
  readersConvertedAny: number;
}
export interface VoteRow {
  path: string;
  helpful: number;
  notHelpful: number;
}
export interface ReasonRow {
  path: string;
  reason: string;
  n: number;
}
export interface CommentRow {
  path: string;
  text: string;
  timestamp: number;
}
export interface AudienceRow {
  persons: number;
  converted: number;
}

export interface DocsData {
  views: PageViewsRow[];
  votes: VoteRow[];
  reasons: ReasonRow[];
  comments: CommentRow[];
  audience: AudienceRow;
}

/**
 * Loads per-page aggregates. Conversion: a reader of page X converted when their first successful call (over all
 * time) falls in [their first view of X in range, to]; for the audience (everyone with a `$pageview` in range) the
 * same against their first view of any page (a `$pageview` without `$pathname` still makes a person part of the
 * audience). `readersConvertedAny` uses that audience rule for X's readers, so the
 * non-reader figures are `audience − readers`.
 */
export function loadDocsData(sqlite: Database, range: Range): DocsData {
  const params = { from: range.from, to: range.to };
  const views = sqlite
    .prepare<typeof params, PageViewsRow>(
      `WITH pv AS (
         SELECT pageview_path AS path, person_id AS pid, MIN(timestamp) AS first, COUNT(*) AS views
         FROM events INDEXED BY events_pageview_path_person_timestamp
         WHERE pageview_path IS NOT NULL AND timestamp BETWEEN @from AND @to GROUP BY pageview_path, person_id
       ),
       people AS (SELECT pid, MIN(first) AS first, ${firstSuccessOf('pid')} AS fs FROM pv GROUP BY pid)
       SELECT pv.path AS path, SUM(pv.views) AS views, COUNT(*) AS readers,
              SUM(p.fs IS NOT NULL AND p.fs >= pv.first AND p.fs <= @to) AS readersConverted,
              SUM(p.fs IS NOT NULL AND p.fs >= p.first AND p.fs <= @to) AS readersConvertedAny
       FROM pv JOIN people p ON p.pid = pv.pid
       GROUP BY pv.path`,
    )
    .all(params);
  const audience = sqlite
    .prepare<typeof params, AudienceRow>(
      `WITH people AS (
         SELECT person_id AS pid, MIN(timestamp) AS first FROM events INDEXED BY events_event_person_timestamp
         WHERE event = '$pageview' AND timestamp BETWEEN @from AND @to GROUP BY person_id
       )
       SELECT COUNT(*) AS persons, COALESCE(SUM(fs IS NOT NULL AND fs >= first AND fs <= @to), 0) AS converted
       FROM (SELECT first, ${firstSuccessOf('pid')} AS fs FROM people)`,
    )
    .get(params)!;
  const votes = sqlite
    .prepare<typeof params, VoteRow>(
      `SELECT path, SUM(helpful = 1) AS helpful, SUM(helpful = 0) AS notHelpful FROM (${LATEST_VOTES}) GROUP BY path`,
    )
    .all(params);
  const reasons = sqlite
    .prepare<typeof params, ReasonRow>(
      `SELECT path, reason, COUNT(*) AS n FROM (${LATEST_VOTES})
       WHERE reason IS NOT NULL AND reason <> '' GROUP BY path, reason ORDER BY path, n DESC, reason`,
    )
    .all(params);
  const comments = sqlite
    .prepare<typeof params & { limit: number }, CommentRow>(
      `SELECT path, text, timestamp FROM (
         SELECT ${FEEDBACK_PATH} AS path, json_extract(properties, '$.comment') AS text, timestamp,
                ROW_NUMBER() OVER (PARTITION BY ${FEEDBACK_PATH} ORDER BY timestamp DESC, id DESC) AS rn
         FROM events WHERE event = 'doc_feedback' AND timestamp BETWEEN @from AND @to
           AND typeof(json_extract(properties, '$.comment')) = 'text' AND trim(json_extract(properties, '$.comment')) <> ''
       ) WHERE rn <= @limit AND path IS NOT NULL
       ORDER BY path, timestamp DESC`,
    )
    .all({ ...params, limit: COMMENTS_PER_PAGE });
  return { views, votes, reasons, comments, audience };
}

/** Helpful rate per path (latest vote per person per page in range), for the funnel flags' evidence. */
export function helpfulRates(sqlite: Database, range: Range, paths: string[]): Map<string, number | null> {
  const out = new Map<string, number | null>(paths.map((p) => [p, null]));
  if (paths.length === 0) return out;
  const rows = sqlite
    .prepare<{ from: number; to: number; paths: string }, { path: string; helpful: number; total: number }>(
      `SELECT path, SUM(helpful = 1) AS helpful, COUNT(*) AS total FROM (${latestVotes(true)}) GROUP BY path`,
    )
    .all({ from: range.from, to: range.to, paths: JSON.stringify(paths) });
  for (const r of rows) out.set(r.path, r.total > 0 ? r.helpful / r.total : null);
  return out;
}
