import type { OnrampPgDb } from '../../../db/client-pg.ts';
import { createPgLogProcessor } from '../../ingest/pg/processor.ts';
import { writeExportLines, type ExportRange, type ExportRow } from '../export.ts';

/** Rows fetched per round trip: large enough that round trips do not dominate, small enough that memory stays flat. */
const FETCH_ROWS = 2000;

/**
 * PostgreSQL twin of api/import/export.ts `exportEvents`: the same JSONL, oldest first, except that `properties`
 * comes back as jsonb prints it (keys reordered, `": "` spacing), which parses to the same object. Rows stream from
 * a server-side cursor in one read-only transaction, so the export is one consistent snapshot (as SQLite's iterate
 * is), the range is sorted once rather than once per page (there is no index on timestamp alone), and memory stays
 * flat. The transaction, and a pooled connection, are held until the last row is written.
 */
export async function exportPgEvents(db: OnrampPgDb, range: ExportRange, write: (text: string) => void | Promise<void>): Promise<number> {
  await drainIngestLog(db);
  const client = await db.$client.connect();
  // Set when the connection's state is unknown (ROLLBACK failed): the pool then discards it instead of reusing it.
  let broken: Error | undefined;
  let count = 0;
  try {
    await client.query('BEGIN READ ONLY');
    await client.query(
      `DECLARE export_events NO SCROLL CURSOR FOR
       SELECT e.uuid, e.event, e.distinct_id, p.uuid AS person, e.timestamp::float8 AS timestamp,
              e.received_at::float8 AS received_at, e.properties::text AS properties
         FROM events e JOIN persons p ON p.id = e.person_id
        WHERE e.timestamp >= $1::bigint AND e.timestamp <= $2::bigint
        ORDER BY e.timestamp, e.id`,
      [range.from, range.to],
    );
    async function* cursorRows(): AsyncGenerator<ExportRow> {
      for (;;) {
        const { rows } = await client.query<ExportRow>(`FETCH FORWARD ${FETCH_ROWS} FROM export_events`);
        yield* rows;
        if (rows.length < FETCH_ROWS) return;
      }
    }
    count = await writeExportLines(cursorRows(), write);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
    throw error;
  } finally {
    client.release(broken);
  }
  return count;
}

/** Applies every event acknowledged before now (on any instance), so an export includes them and an import's merges follow them. */
export async function drainIngestLog(db: OnrampPgDb): Promise<void> {
  const processor = createPgLogProcessor(db.$client);
  const upToId = await processor.lastRowId();
  while ((await processor.processChunk({ upToId, wait: true })) !== 0);
}
