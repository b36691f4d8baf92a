/**
 * `GET /api/v1/reports/catalog`: the event names and property keys seen in a range, for the reports' step and
 * filter pickers. Three aggregate statements, written once for both dialects; each answer is bounded.
 */
import { sql } from 'drizzle-orm';
import type { SqlDatabase } from '../storage/sql/interface.ts';
import { MAX_EVENT_NAME } from './contract.ts';
import type { Range } from './params.ts';
import { CATALOG_LIMIT, type Catalog } from './person-contract.ts';

export type { Catalog };

/**
 * Event names by number of events (most first, ties by name), and the property keys of those events and of their
 * persons (most used first, then sorted by name for the pickers). At most {@link CATALOG_LIMIT} of each. Names and
 * keys longer than a report parameter accepts are left out, since a picker could not send them back.
 */
export async function loadCatalog(database: SqlDatabase, range: Range): Promise<Catalog> {
  const f = database.fragments;
  const inRange = sql`e.timestamp BETWEEN ${range.from} AND ${range.to}`;
  const [events, eventKeys, personKeys] = await Promise.all([
    database.all<{ name: string; count: number }>(
      sql`SELECT e.event AS name, COUNT(*) AS count FROM events e ${f.indexedBy('events_event_timestamp')}
          WHERE ${inRange} AND LENGTH(e.event) <= ${MAX_EVENT_NAME}
          GROUP BY e.event ORDER BY count DESC, e.event ${f.binaryCollation} LIMIT ${CATALOG_LIMIT}`,
    ),
    database.all<{ key: string }>(
      sql`SELECT k.key AS key, COUNT(*) AS uses FROM events e, ${f.jsonKeys(sql`e.properties`, 'k')}
          WHERE ${inRange} AND LENGTH(k.key) <= ${MAX_EVENT_NAME}
          GROUP BY k.key ORDER BY uses DESC, k.key ${f.binaryCollation} LIMIT ${CATALOG_LIMIT}`,
    ),
    database.all<{ key: string }>(
      sql`SELECT k.key AS key, COUNT(*) AS uses FROM persons p, ${f.jsonKeys(sql`p.properties`, 'k')}
          WHERE LENGTH(k.key) <= ${MAX_EVENT_NAME}
            AND EXISTS (SELECT 1 FROM events e ${f.indexedBy('events_person_timestamp')} WHERE e.person_id = p.id AND ${inRange})
          GROUP BY k.key ORDER BY uses DESC, k.key ${f.binaryCollation} LIMIT ${CATALOG_LIMIT}`,
    ),
  ]);
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return {
    events: events.map((e) => ({ name: e.name, count: Number(e.count) })),
    eventProperties: eventKeys.map((k) => k.key).sort(byName),
    personProperties: personKeys.map((k) => k.key).sort(byName),
  };
}
