import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import type { OnrampDb } from '../../db/client.ts';
import { events, personDistinctIds, persons } from '../../db/schema.ts';
import { invalid } from '../errors.ts';

const instant = z
  .string()
  .refine((v) => Number.isFinite(/^\d+$/.test(v) ? Number(v) : Date.parse(v)), 'must be an ISO 8601 time or epoch milliseconds')
  .transform((v) => (/^\d+$/.test(v) ? Number(v) : Date.parse(v)));

const querySchema = z.object({
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

/**
 * `GET /api/v1/events`: newest events first, `$identify` and `$create_alias` included. `distinct_id` selects the
 * whole person that id belongs to, so anonymous events merged into it show up too. `before` pages by timestamp.
 */
export function eventsRoutes(deps: { db: OnrampDb }) {
  const app = new Hono({ strict: false });
  app.get('/', (c) => {
    const parsed = querySchema.safeParse(c.req.query());
    if (!parsed.success) invalid(parsed.error.issues);
    const q = parsed.data;
    const filters: SQL[] = [];
    if (q.event) filters.push(eq(events.event, q.event));
    if (q.before !== undefined) filters.push(lt(events.timestamp, q.before));
    if (q.distinct_id) {
      const mapping = deps.db.select().from(personDistinctIds).where(eq(personDistinctIds.distinctId, q.distinct_id)).get();
      if (!mapping) return c.json({ events: [] });
      filters.push(eq(events.personId, mapping.personId));
    }
    const rows = deps.db
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
    return c.json({
      events: rows.map((r) => ({ ...r, timestamp: new Date(r.timestamp).toISOString(), properties: parseJson(r.properties) })),
    });
  });
  return app;
}
