import { type SQL, sql } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { capText, type ListedEvent, MAX_LISTED_PROPERTIES_BYTES, TEXT_CAPS } from '../analytics/contract.ts';
import { invalid } from '../errors.ts';
import type { SqlDatabase } from '../storage/sql/interface.ts';

export type { ListedEvent };

/** Largest epoch milliseconds a Date can hold; beyond it a number is no time at all (and overflows BIGINT). */
const MAX_TIME_MS = 8.64e15;

const instant = z
  .string()
  .transform((v) => (/^\d+$/.test(v) ? Number(v) : Date.parse(v)))
  .refine((ms) => Number.isFinite(ms) && Math.abs(ms) <= MAX_TIME_MS, 'must be an ISO 8601 time or epoch milliseconds');

/** Query string of `GET /api/v1/events`. */
export const querySchema = z.object({
  event: z.string().min(1).max(200).optional(),
  distinct_id: z.string().min(1).max(200).optional(),
  limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1).max(1000).default(100),
  before: instant.optional(),
});

/** Filters of `GET /api/v1/events`, validated. */
export type EventsQuery = z.output<typeof querySchema>;

/** A selected row: `properties` as the driver gives a JSON column (text on SQLite, parsed jsonb on PostgreSQL). */
type EventRow = { uuid: string; event: string; distinctId: string; personId: string; timestamp: number; properties: unknown; personEmail: unknown };

/** Stored properties as an object; text that is not a JSON object (never written by capture) lists as `{}`. */
function propertiesObject(serialized: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(serialized);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * The API shape of a selected row. Names (and the person's email) are cut to TEXT_CAPS.name, and properties that serialize to more than
 * MAX_LISTED_PROPERTIES_BYTES are left out (`{}` with `propertiesOmitted: true`), so one huge event cannot make a
 * page of the listing unbounded.
 */
function listedEvent(r: EventRow): ListedEvent {
  const serialized = typeof r.properties === 'string' ? r.properties : JSON.stringify(r.properties ?? {});
  const omitted = Buffer.byteLength(serialized) > MAX_LISTED_PROPERTIES_BYTES;
  return {
    uuid: r.uuid,
    event: capText(r.event, TEXT_CAPS.name),
    distinctId: capText(r.distinctId, TEXT_CAPS.name),
    personId: r.personId,
    timestamp: new Date(r.timestamp).toISOString(),
    properties: omitted ? {} : propertiesObject(serialized),
    ...(omitted ? { propertiesOmitted: true as const } : {}),
    personEmail: typeof r.personEmail === 'string' && r.personEmail !== '' ? capText(r.personEmail, TEXT_CAPS.name) : null,
  };
}

/**
 * The events `GET /api/v1/events` lists, on either dialect: newest first, `$identify` and `$create_alias`
 * included. `distinct_id` selects the whole person that id belongs to, so anonymous events merged into it show up
 * too. `before` pages by timestamp.
 */
export async function queryEvents(database: SqlDatabase, q: EventsQuery): Promise<ListedEvent[]> {
  const filters: SQL[] = [];
  if (q.event) filters.push(sql`e.event = ${q.event}`);
  if (q.before !== undefined) filters.push(sql`e.timestamp < ${q.before}`);
  if (q.distinct_id) {
    const mapping = await database.get<{ personId: number }>(sql`SELECT person_id AS "personId" FROM person_distinct_ids WHERE distinct_id = ${q.distinct_id}`);
    if (!mapping) return [];
    filters.push(sql`e.person_id = ${mapping.personId}`);
  }
  const where = filters.length > 0 ? sql`WHERE ${sql.join(filters, sql` AND `)}` : sql``;
  const rows = await database.all<EventRow>(
    sql`SELECT e.uuid, e.event, e.distinct_id AS "distinctId", p.uuid AS "personId", e.timestamp, e.properties,
               CASE WHEN ${database.fragments.jsonKind(sql`p.properties`, 'email')} = 'string' THEN ${database.fragments.jsonText(sql`p.properties`, 'email')} END AS "personEmail"
        FROM events e JOIN persons p ON p.id = e.person_id
        ${where}
        ORDER BY e.timestamp DESC, e.id DESC LIMIT ${q.limit}`,
  );
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
