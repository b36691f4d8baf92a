/**
 * The docs side of the per-developer state: each person's `$pageview`s in `person_page_views`, with the page path
 * (`pageview_path`, so both dialects keep what the page-view index holds) and the `title` property when it is a
 * string, which is what the docs report reads of a page view. Kept by writes.ts and rebuild.ts, read by
 * page-view-snapshot.ts.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { SqlFragments } from '../../storage/sql/interface.ts';

/** The event kept in `person_page_views`. */
export const PAGE_VIEW = '$pageview';

const PROPERTIES = sql.raw('properties');

/**
 * `INSERT INTO person_page_views` of the page views of `events` matching `where` (unqualified columns of `events`);
 * a row already there is left as it is, so running it again adds nothing.
 */
export function insertPageViewsOf(f: SqlFragments, where: SQL): SQL {
  const title = sql`CASE WHEN ${f.jsonKind(PROPERTIES, 'title')} = 'string' THEN ${f.jsonText(PROPERTIES, 'title')} END`;
  return sql`INSERT INTO person_page_views (person_id, timestamp, event_id, path, title)
    SELECT person_id, timestamp, id, pageview_path, ${title} FROM events WHERE ${where} AND event = ${PAGE_VIEW}
    ON CONFLICT DO NOTHING`;
}
