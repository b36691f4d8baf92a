import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import type { OnrampPgDb } from '../../../db/client-pg.ts';
import { events, personDistinctIds, persons } from '../../../db/schema-pg.ts';
import { listedEvent, type EventsQuery, type ListedEvent } from '../events.ts';

/**
 * PostgreSQL twin of api/routes/events.ts `queryEvents`: the same filters and rows, newest first. `properties` is
 * jsonb here, so it parses to the same object as SQLite's text (key order aside).
 */
export async function queryPgEvents(db: OnrampPgDb, q: EventsQuery): Promise<ListedEvent[]> {
  const filters: SQL[] = [];
  if (q.event) filters.push(eq(events.event, q.event));
  if (q.before !== undefined) filters.push(lt(events.timestamp, q.before));
  if (q.distinct_id) {
    const [mapping] = await db.select().from(personDistinctIds).where(eq(personDistinctIds.distinctId, q.distinct_id));
    if (!mapping) return [];
    filters.push(eq(events.personId, mapping.personId));
  }
  const rows = await db
    .select({
      uuid: events.uuid,
      event: events.event,
      distinctId: events.distinctId,
      personId: persons.uuid,
      timestamp: events.timestamp,
      properties: events.properties,
    })
    .from(events)
    .innerJoin(persons, eq(persons.id, events.personId))
    .where(and(...filters))
    .orderBy(desc(events.timestamp), desc(events.id))
    .limit(q.limit);
  return rows.map(listedEvent);
}
