import type { OnrampPgDb } from '../../../db/client-pg.ts';
import { createPgLogProcessor } from '../../ingest/pg/processor.ts';
import { EXPORT_CHUNK_CHARS, exportLine, type ExportRange, type ExportRow } from '../export.ts';

/** Rows fetched per query: large enough that round trips do not dominate, small enough that memory stays flat. */
const PAGE_ROWS = 2000;

interface PageRow extends ExportRow {
  id: number;
}

/**
 * PostgreSQL twin of api/import/export.ts `exportEvents`: the same JSONL, oldest first, except that `properties`
 * comes back as jsonb prints it (keys reordered, `": "` spacing), which parses to the same object. Rows are read in
 * keyset pages on (timestamp, id), each its own short query, so memory stays flat and no transaction is held open
 * for the whole export; events stored meanwhile with a timestamp still ahead of the cursor are included.
 */
export async function exportPgEvents(db: OnrampPgDb, range: ExportRange, write: (text: string) => void | Promise<void>): Promise<number> {
  await drainIngestLog(db);
  let after: { timestamp: number; id: number } | undefined;
  let buffer = '';
  let count = 0;
  for (;;) {
    const { rows } = await db.$client.query<PageRow>(
      `SELECT e.id::float8 AS id, e.uuid, e.event, e.distinct_id, p.uuid AS person, e.timestamp::float8 AS timestamp,
              e.received_at::float8 AS received_at, e.properties::text AS properties
         FROM events e JOIN persons p ON p.id = e.person_id
        WHERE e.timestamp >= $1::bigint AND e.timestamp <= $2::bigint AND (e.timestamp, e.id) > ($3::bigint, $4::bigint)
        ORDER BY e.timestamp, e.id
        LIMIT $5`,
      [range.from, range.to, after?.timestamp ?? range.from, after?.id ?? -1, PAGE_ROWS],
    );
    for (const r of rows) {
      buffer += exportLine(r);
      count += 1;
      if (buffer.length >= EXPORT_CHUNK_CHARS) {
        await write(buffer);
        buffer = '';
      }
    }
    if (rows.length < PAGE_ROWS) break;
    const last = rows[rows.length - 1]!;
    after = { timestamp: last.timestamp, id: last.id };
  }
  if (buffer) await write(buffer);
  return count;
}

/** Applies every event acknowledged before the export began (on any instance), so the export includes them. */
async function drainIngestLog(db: OnrampPgDb): Promise<void> {
  const processor = createPgLogProcessor(db.$client);
  const upToId = await processor.lastRowId();
  while ((await processor.processChunk({ upToId, wait: true })) !== 0);
}
