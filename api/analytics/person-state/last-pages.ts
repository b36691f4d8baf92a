/**
 * `person_last_pages`: each person's last `$pageview` (latest time, then latest stored), with the page path the
 * reports read (`pageview_path`, NULL when the view named none). The flag evidence of the funnel report reads it
 * instead of each stalled person's page views. Maintained at apply by writes.ts, rebuilt by rebuild.ts; the
 * migration that added it backfills it with the statement of {@link insertLastPagesOf}.
 */
import { type SQL, sql } from 'drizzle-orm';
import { inList, MAX_IN_LIST, padded, ROWS_PER_INSERT, type Step, slices, valuesOf } from '../../ingest/steps.ts';
import type { Row, SqlFragments } from '../../storage/sql/interface.ts';
import { EVENTS_BY_UUID } from './page-views.ts';

/**
 * `INSERT INTO person_last_pages` of the last page view of every person with a page view matching `where` (columns
 * of `events` qualified `e.`). The caller deletes those persons' rows first.
 */
export function insertLastPagesOf(where: SQL): SQL {
  return sql`INSERT INTO person_last_pages (person_id, timestamp, event_id, path)
    SELECT e.person_id, e.timestamp, e.id, e.pageview_path FROM events e
    WHERE e.event = '$pageview' AND e.event <> 'api_call' AND ${where}
      AND NOT EXISTS (SELECT 1 FROM events l WHERE l.event = '$pageview' AND l.event <> 'api_call' AND l.person_id = e.person_id
        AND (l.timestamp > e.timestamp OR (l.timestamp = e.timestamp AND l.id > e.id)))`;
}

type PageRow = { person_id: unknown; timestamp: unknown; id: unknown; path: unknown };

/**
 * The statements that move each person's last page to the chunk's page views `uuids` when they are later (a view at
 * the same instant stored later wins). The views are read back by uuid, so a retried uuid counts as its stored copy
 * and changes nothing, and only the latest view per person is upserted (PostgreSQL refuses to update one row twice
 * in a statement). Every change stores a view stored in this chunk, so with a newer event id than any row before:
 * in-memory copies read what changed by event id (evidence-snapshot.ts), without a change-feed row per page view.
 * `f`: the dialect's fragments (the read names the uuid index for SQLite's planner).
 */
export function* updateLastPages(f: SqlFragments, uuids: readonly string[]): Generator<Step, void, Row[]> {
  const latest = new Map<number, [timestamp: number, id: number, path: string | null]>();
  for (const some of slices(uuids, MAX_IN_LIST)) {
    const list = padded(some);
    const rows = (yield {
      query: () =>
        sql`SELECT person_id, timestamp, id, pageview_path AS path FROM events ${f.indexedBy(EVENTS_BY_UUID)} WHERE uuid IN ${inList(list)} AND event = '$pageview'`,
      returnsRows: true,
      shape: { key: `last-pages-read:${list.length}`, values: list },
    }) as PageRow[];
    for (const row of rows) {
      const pid = Number(row.person_id);
      const view: [number, number, string | null] = [Number(row.timestamp), Number(row.id), row.path === null ? null : String(row.path)];
      const kept = latest.get(pid);
      if (!kept || view[0] > kept[0] || (view[0] === kept[0] && view[1] > kept[1])) latest.set(pid, view);
    }
  }
  for (const some of slices([...latest], ROWS_PER_INSERT)) {
    const values = some.flatMap(([pid, view]) => [pid, ...view]);
    yield {
      query: () =>
        sql`INSERT INTO person_last_pages (person_id, timestamp, event_id, path) VALUES ${valuesOf(values, 4)}
            ON CONFLICT (person_id) DO UPDATE SET timestamp = excluded.timestamp, event_id = excluded.event_id, path = excluded.path
            WHERE excluded.timestamp > person_last_pages.timestamp
               OR (excluded.timestamp = person_last_pages.timestamp AND excluded.event_id > person_last_pages.event_id)`,
      returnsRows: false,
      shape: { key: `last-pages-upsert:${some.length}`, values },
    };
  }
}
