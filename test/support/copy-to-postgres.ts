import type { Database } from 'better-sqlite3';
import type { OnrampPgDb } from '../../db/client-pg.ts';

/** Rows per INSERT … SELECT FROM unnest(...) round trip. */
const COPY_BATCH = 5_000;

/**
 * Copies persons, distinct ids and events from a SQLite database into an empty PostgreSQL one, ids kept, so both
 * hold the same dataset with the same person grouping; then VACUUM ANALYZE, as a live database would have
 * planner statistics and a visibility map for index-only scans. Returns the number of events copied.
 */
export async function copyToPostgres(sqlite: Database, db: OnrampPgDb): Promise<number> {
  const copy = async (select: string, insert: string, columns: string[]) => {
    let copied = 0;
    let batch: Array<Record<string, unknown>> = [];
    const send = async () => {
      await db.$client.query(
        insert,
        columns.map((c) => batch.map((r) => r[c])),
      );
      copied += batch.length;
      batch = [];
    };
    for (const row of sqlite.prepare(select).iterate() as Iterable<Record<string, unknown>>) {
      batch.push(row);
      if (batch.length === COPY_BATCH) await send();
    }
    if (batch.length > 0) await send();
    return copied;
  };
  await copy(
    'SELECT id, uuid, properties, is_identified = 1 AS identified, created_at FROM persons ORDER BY id',
    `INSERT INTO persons (id, uuid, properties, is_identified, created_at)
     SELECT id, uuid, properties::jsonb, identified::int <> 0, created_at FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::bigint[]) AS t(id, uuid, properties, identified, created_at)`,
    ['id', 'uuid', 'properties', 'identified', 'created_at'],
  );
  await copy(
    'SELECT distinct_id, person_id FROM person_distinct_ids',
    'INSERT INTO person_distinct_ids (distinct_id, person_id) SELECT * FROM unnest($1::text[], $2::bigint[])',
    ['distinct_id', 'person_id'],
  );
  const events = await copy(
    'SELECT id, uuid, event, distinct_id, person_id, timestamp, received_at, properties FROM events ORDER BY id',
    `INSERT INTO events (id, uuid, event, distinct_id, person_id, timestamp, received_at, properties)
     SELECT id, uuid, event, distinct_id, person_id, timestamp, received_at, properties::jsonb
     FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::text[])
       AS t(id, uuid, event, distinct_id, person_id, timestamp, received_at, properties)`,
    ['id', 'uuid', 'event', 'distinct_id', 'person_id', 'timestamp', 'received_at', 'properties'],
  );
  const { rows } = await db.$client.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM events');
  if (rows[0]!.n !== events) throw new Error(`copyToPostgres: copied ${events} events but PostgreSQL holds ${rows[0]!.n}`);
  await db.$client.query('VACUUM ANALYZE');
  return events;
}
