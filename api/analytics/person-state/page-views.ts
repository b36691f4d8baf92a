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
 * The uuid index of `events`, named for SQLite's planner where a statement looks page views up by uuid: without
 * statistics it prefers `events_event_timestamp` for `event = '$pageview'`, and so read every page view ever stored
 * to find a chunk's few (a chunk's cost then grew with the history).
 */
export const EVENTS_BY_UUID = 'events_uuid_unique';

/**
 * `INSERT INTO person_page_views` of the page views of `events` matching `where` (unqualified columns of `events`);
 * a row already there is left as it is, so running it again adds nothing. `index`: the index SQLite must read `events`
 * by (e.g. {@link EVENTS_BY_UUID} for a `where` on uuids). The event name is spelled out, with the condition of the
 * partial index `events_event_person_timestamp`, so that a `where` on persons reads only their page views from it.
 */
export function insertPageViewsOf(f: SqlFragments, where: SQL, index?: string): SQL {
  const title = sql`CASE WHEN ${f.jsonKind(PROPERTIES, 'title')} = 'string' THEN ${f.jsonText(PROPERTIES, 'title')} END`;
  return sql`INSERT INTO person_page_views (person_id, timestamp, event_id, path, title)
    SELECT person_id, timestamp, id, pageview_path, ${title} FROM events ${index === undefined ? sql`` : f.indexedBy(index)}
     WHERE ${where} AND event = '$pageview' AND event <> 'api_call'
    ON CONFLICT DO NOTHING`;
}
