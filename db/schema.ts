import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * A person: one human behind one or more distinct ids. Reports count persons, never distinct ids.
 * `properties` holds the JSON built from `$set` / `$set_once`.
 */
export const persons = sqliteTable('persons', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  uuid: text('uuid').notNull().unique(),
  properties: text('properties').notNull().default('{}'),
  /** Set once an `$identify` named this person; an identified person is never merged away by another identify. */
  isIdentified: integer('is_identified', { mode: 'boolean' }).notNull().default(false),
  createdAt: integer('created_at').notNull(),
});

/** Maps every distinct id ever seen to its current person. Merges repoint rows here. */
export const personDistinctIds = sqliteTable(
  'person_distinct_ids',
  {
    distinctId: text('distinct_id').primaryKey(),
    personId: integer('person_id')
      .notNull()
      .references(() => persons.id),
  },
  (t) => [index('person_distinct_ids_person').on(t.personId)],
);

/**
 * Every accepted event, stored once per `uuid`. `person_id` is kept current by identity merges, so reports
 * group by it without a join. Times are integer epoch milliseconds.
 */
export const events = sqliteTable(
  'events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    uuid: text('uuid').notNull().unique(),
    event: text('event').notNull(),
    distinctId: text('distinct_id').notNull(),
    personId: integer('person_id')
      .notNull()
      .references(() => persons.id),
    /** Client time corrected for clock skew with `sent_at`. */
    timestamp: integer('timestamp').notNull(),
    receivedAt: integer('received_at').notNull(),
    properties: text('properties').notNull().default('{}'),
  },
  (t) => [
    index('events_event_timestamp').on(t.event, t.timestamp),
    index('events_person_timestamp').on(t.personId, t.timestamp),
  ],
);

export type EventRow = typeof events.$inferSelect;
export type PersonRow = typeof persons.$inferSelect;

// --- reports-ui: admin sessions (browser login to the reports) ---

/**
 * A browser session for the reports UI, created by exchanging the admin token once. Only a keyed hash of the
 * random session id is stored (HMAC with the admin token), so a leaked row cannot be replayed and rotating the
 * admin token ends every session.
 */
export const adminSessions = sqliteTable(
  'admin_sessions',
  {
    idHash: text('id_hash').primaryKey(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('admin_sessions_expires').on(t.expiresAt)],
);
