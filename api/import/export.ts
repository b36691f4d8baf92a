import { sql } from 'drizzle-orm';
import type { IngestDatabase } from './database.ts';

export interface ExportRange {
  /** Inclusive, epoch ms. */
  from: number;
  /** Inclusive, epoch ms. */
  to: number;
}

/** One exported event as SQL reads it (`properties` as JSON text, times in epoch ms). */
type ExportRow = {
  uuid: string;
  event: string;
  distinct_id: string;
  person: string;
  timestamp: number;
  received_at: number;
  properties: string;
};

/** The JSONL line (newline included) of one exported event. */
function exportLine(r: ExportRow): string {
  // properties is already JSON text: splice it in instead of parsing and re-serialising every row.
  return `{"uuid":${JSON.stringify(r.uuid)},"event":${JSON.stringify(r.event)},"distinctId":${JSON.stringify(r.distinct_id)},"personId":${JSON.stringify(r.person)},"timestamp":"${new Date(r.timestamp).toISOString()}","receivedAt":"${new Date(r.received_at).toISOString()}","properties":${r.properties}}\n`;
}

/** Pieces handed to `write` are about this many characters. */
export const EXPORT_CHUNK_CHARS = 1 << 20;
/** Rows per batch of the stream: large enough that round trips do not dominate, small enough that memory stays flat. */
const STREAM_BATCH = 2_000;

/**
 * Streams the events of a time range as Onramp JSONL, oldest first, in the events API's shape
 * (`{ uuid, event, distinctId, personId, timestamp, receivedAt, properties }`), on either dialect. `$identify` /
 * `$create_alias` events and `$set` inside properties are included, so importing the file rebuilds the same persons.
 * Events acknowledged but not applied yet are applied first, so they are exported too. The rows come from one
 * statement (one consistent snapshot, the range sorted once) read through a cursor, so memory stays flat; on
 * PostgreSQL `properties` prints as jsonb does (keys reordered, `": "` spacing), which parses to the same object.
 * `write` gets ~1 MiB pieces and may return a promise to apply back-pressure. Returns the number of events written.
 */
export async function exportEvents(target: IngestDatabase, range: ExportRange, write: (text: string) => void | Promise<void>): Promise<number> {
  await target.drainLog();
  const rows = target.database.stream<ExportRow>(
    sql`SELECT e.uuid, e.event, e.distinct_id, p.uuid AS person, e.timestamp, e.received_at, CAST(e.properties AS TEXT) AS properties
        FROM events e JOIN persons p ON p.id = e.person_id
        WHERE e.timestamp >= ${range.from} AND e.timestamp <= ${range.to}
        ORDER BY e.timestamp, e.id`,
    STREAM_BATCH,
  );
  let buffer = '';
  let count = 0;
  for await (const batch of rows) {
    for (const r of batch) buffer += exportLine(r);
    count += batch.length;
    if (buffer.length >= EXPORT_CHUNK_CHARS) {
      const piece = buffer;
      buffer = '';
      await write(piece);
    }
  }
  if (buffer) await write(buffer);
  return count;
}
