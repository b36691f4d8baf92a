/**
 * PostgreSQL side of the doc satisfaction report: the rows of api/analytics/docs-query.ts, in the same order.
 * Differences are the dialect's only: JSON through `->` / `->>`, SQLite's `SUM(condition)` as `COUNT(*) FILTER`,
 * `json_each` over a bound list as `= ANY(array)`, and text sorted as SQLite's BINARY collation does.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { OnrampPgDb } from '../../../db/client-pg.ts';
import { COMMENTS_PER_PAGE, type AudienceRow, type CommentRow, type DocsData, type PageViewsRow, type ReasonRow, type VoteRow } from '../docs-query.ts';
import type { Range } from '../params.ts';
import { pgRows } from './query.ts';
import { BINARY, firstSuccessOf, SUCCESS_CALL } from './sql.ts';

const FEEDBACK_PATH = sql.raw(`COALESCE(properties->>'path', properties->>'$pathname')`);
/**
 * SQLite's HELPFUL: JSON true / 1 and the string "true" are helpful, false / 0 and "false" are not, anything else
 * is no vote. Compared as jsonb, so the string "1" stays no vote, as it is in SQLite.
 */
const HELPFUL = sql.raw(
  `CASE properties->'helpful' WHEN 'true'::jsonb THEN 1 WHEN '1'::jsonb THEN 1 WHEN '"true"'::jsonb THEN 1 ` +
    `WHEN 'false'::jsonb THEN 0 WHEN '0'::jsonb THEN 0 WHEN '"false"'::jsonb THEN 0 END`,
);

/** Each person's latest vote per page in range (ties on time broken by insertion order), optionally for some pages. */
function latestVotes(range: Range, paths?: string[]): SQL {
  return sql`
  SELECT path, helpful, reason FROM (
    SELECT ${FEEDBACK_PATH} AS path, ${HELPFUL} AS helpful, properties->>'reason' AS reason,
           ROW_NUMBER() OVER (PARTITION BY person_id, ${FEEDBACK_PATH} ORDER BY timestamp DESC, id DESC) AS rn
    FROM events WHERE event = 'doc_feedback' AND timestamp BETWEEN ${range.from} AND ${range.to} AND ${HELPFUL} IS NOT NULL
      ${paths ? sql`AND ${FEEDBACK_PATH} = ANY(${sql.param(paths)}::text[])` : sql``}
  ) v WHERE rn = 1 AND path IS NOT NULL`;
}

/** Same meaning as {@link loadDocsData} in api/analytics/docs-query.ts; rows in the order SQLite groups them. */
export async function loadDocsDataPg(db: OnrampPgDb, range: Range): Promise<DocsData> {
  const { from, to } = range;
  const [views, audience, votes, reasons, comments] = await Promise.all([
    pgRows<PageViewsRow>(
      db,
      sql`WITH pv AS (
            SELECT pageview_path AS path, person_id AS pid, MIN(timestamp) AS first, COUNT(*) AS views
            FROM events
            WHERE pageview_path IS NOT NULL AND timestamp BETWEEN ${from} AND ${to} GROUP BY pageview_path, person_id
          ),
          people AS (SELECT pid, MIN(first) AS first, ${firstSuccessOf('pid')} AS fs FROM pv GROUP BY pid)
          SELECT pv.path AS path, SUM(pv.views)::bigint AS views, COUNT(*) AS readers,
                 COUNT(*) FILTER (WHERE p.fs IS NOT NULL AND p.fs >= pv.first AND p.fs <= ${to}) AS "readersConverted",
                 COUNT(*) FILTER (WHERE p.fs IS NOT NULL AND p.fs >= p.first AND p.fs <= ${to}) AS "readersConvertedAny"
          FROM pv JOIN people p ON p.pid = pv.pid
          GROUP BY pv.path ORDER BY pv.path ${BINARY}`,
    ),
    // The first success is an aggregate in a LATERAL join, so it is read once per person (a scalar subquery
    // would be repeated for each use of `fs`).
    pgRows<AudienceRow>(
      db,
      sql`WITH people AS (
            SELECT person_id AS pid, MIN(timestamp) AS first FROM events
            WHERE event = '$pageview' AND timestamp BETWEEN ${from} AND ${to} GROUP BY person_id
          )
          SELECT COUNT(*) AS persons, COUNT(*) FILTER (WHERE f.fs IS NOT NULL AND f.fs >= p.first AND f.fs <= ${to}) AS converted
          FROM people p CROSS JOIN LATERAL (SELECT MIN(timestamp) AS fs FROM events WHERE ${SUCCESS_CALL} AND person_id = p.pid) f`,
    ),
    pgRows<VoteRow>(
      db,
      sql`SELECT path, COUNT(*) FILTER (WHERE helpful = 1) AS helpful, COUNT(*) FILTER (WHERE helpful = 0) AS "notHelpful"
          FROM (${latestVotes(range)}) l GROUP BY path ORDER BY path ${BINARY}`,
    ),
    pgRows<ReasonRow>(
      db,
      sql`SELECT path, reason, COUNT(*) AS n FROM (${latestVotes(range)}) l
          WHERE reason IS NOT NULL AND reason <> '' GROUP BY path, reason ORDER BY path ${BINARY}, n DESC, reason ${BINARY}`,
    ),
    pgRows<CommentRow>(
      db,
      sql`SELECT path, text, timestamp FROM (
            SELECT ${FEEDBACK_PATH} AS path, properties->>'comment' AS text, timestamp, id,
                   ROW_NUMBER() OVER (PARTITION BY ${FEEDBACK_PATH} ORDER BY timestamp DESC, id DESC) AS rn
            FROM events WHERE event = 'doc_feedback' AND timestamp BETWEEN ${from} AND ${to}
              AND jsonb_typeof(properties->'comment') = 'string' AND trim(properties->>'comment') <> ''
          ) c WHERE rn <= ${COMMENTS_PER_PAGE} AND path IS NOT NULL
          ORDER BY path ${BINARY}, timestamp DESC, id DESC`,
    ),
  ]);
  return { views, votes, reasons, comments, audience: audience[0]! };
}

/** Helpful rate per path (latest vote per person per page in range), for the funnel flags' evidence. */
export async function helpfulRatesPg(db: OnrampPgDb, range: Range, paths: string[]): Promise<Map<string, number | null>> {
  const out = new Map<string, number | null>(paths.map((p) => [p, null]));
  if (paths.length === 0) return out;
  const rows = await pgRows<{ path: string; helpful: number; total: number }>(
    db,
    sql`SELECT path, COUNT(*) FILTER (WHERE helpful = 1) AS helpful, COUNT(*) AS total FROM (${latestVotes(range, paths)}) l GROUP BY path`,
  );
  for (const r of rows) out.set(r.path, r.total > 0 ? r.helpful / r.total : null);
  return out;
}
