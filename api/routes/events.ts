import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import type { OnrampDb } from '../../db/client.ts';
import { events, personDistinctIds, persons } from '../../db/schema.ts';
import { invalid } from '../errors.ts';

/** Largest epoch milliseconds a Date can hold; beyond it a number is no time at all (and overflows BIGINT). */
const MAX_TIME_MS = 8.64e15;

const instant = z
  .string()
  .transform((v) => (/^\d+$/.test(v) ? Number(v) : Date.parse(v)))
  .refine((ms) => Number.isFinite(ms) && Math.abs(ms) <= MAX_TIME_MS, 'must be an ISO 8601 time or epoch milliseconds');

/** Query string of `GET /api/v1/events`; shared with api/routes/pg. */
export const querySchema = z.object({
  event: z.string().min(1).max(200).optional(),
  distinct_id: z.string().min(1).max(200).optional(),
  limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1).max(1000).default(100),
  before: instant.optional(),
});

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}

/** Filters of `GET /api/v1/events`, validated. */
export type EventsQuery = z.output<typeof querySchema>;

/** One event as `GET /api/v1/events` lists it. */
export interface ListedEvent {
  uuid: string;
  event: string;
  distinctId: string;
  personId: string;
  timestamp: string;
  properties: unknown;
}

/** The API shape of a selected row (`timestamp` in epoch ms, `properties` as JSON text); shared with api/routes/pg. */
export function listedEvent(r: { uuid: string; event: string; distinctId: string; personId: string; timestamp: number; properties: string }): ListedEvent {
  return { ...r, timestamp: new Date(r.timestamp).toISOString(), properties: parseJson(r.properties) };
}

/**
 * The events `GET /api/v1/events` lists: newest first, `$identify` and `$create_alias` included. `distinct_id`
 * selects the whole person that id belongs to, so anonymous events merged into it show up too. `before` pages by
 * timestamp.
 */
export function queryEvents(db: OnrampDb, q: EventsQuery): ListedEvent[] {
  const filters: SQL[] = [];
  if (q.event) filters.push(eq(events.event, q.event));
  if (q.before !== undefined) filters.push(lt(events.timestamp, q.before));
  if (q.distinct_id) {
    const mapping = db.select().from(personDistinctIds).where(eq(personDistinctIds.distinctId, q.distinct_id)).get();
    if (!mapping) return [];
    filters.push(eq(events.personId, mapping.personId));
  }
  const rows = db
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
    .limit(q.limit)
    .all();
  return rows.map(listedEvent);
}

/** `GET /api/v1/events`; see {@link queryEvents}. */
export function eventsRoutes(deps: { listEvents: (query: EventsQuery) => Promise<ListedEvent[]> }) {
  const app = new Hono({ strict: false });
  app.get('/', async (c) => {
    const parsed = querySchema.safeParse(c.req.query());
    if (!parsed.success) invalid(parsed.error.issues);
    return c.json({ events: await deps.listEvents(parsed.data) });
  });
  return app;
}
