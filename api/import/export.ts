import type { Database } from 'better-sqlite3';
import { createLogProcessor } from '../ingest/processor.ts';

export interface ExportRange {
  /** Inclusive, epoch ms. */
  from: number;
  /** Inclusive, epoch ms. */
  to: number;
}

/** One exported event as SQL reads it (`properties` as JSON text, times in epoch ms); shared with api/import/pg. */
export interface ExportRow {
  uuid: string;
  event: string;
  distinct_id: string;
  person: string;
  timestamp: number;
  received_at: number;
  properties: string;
}

/** The JSONL line (newline included) of one exported event. */
export function exportLine(r: ExportRow): string {
  // properties is already JSON text: splice it in instead of parsing and re-serialising every row.
  return `{"uuid":${JSON.stringify(r.uuid)},"event":${JSON.stringify(r.event)},"distinctId":${JSON.stringify(r.distinct_id)},"personId":${JSON.stringify(r.person)},"timestamp":"${new Date(r.timestamp).toISOString()}","receivedAt":"${new Date(r.received_at).toISOString()}","properties":${r.properties}}\n`;
}

/** Pieces handed to `write` are about this many characters. */
export const EXPORT_CHUNK_CHARS = 1 << 20;

/**
 * Streams the events of a time range as Onramp JSONL, oldest first, in the events API's shape
 * (`{ uuid, event, distinctId, personId, timestamp, receivedAt, properties }`). `$identify` / `$create_alias`
 * events and `$set` inside properties are included, so importing the file rebuilds the same persons.
 * `write` gets ~1 MiB pieces and may return a promise to apply back-pressure. Returns the number of events written.
 */
export async function exportEvents(sqlite: Database, range: ExportRange, write: (text: string) => void | Promise<void>): Promise<number> {
  // Events a running server acknowledged but has not applied yet belong in the export too.
  createLogProcessor(sqlite).drain();
  const rows = sqlite
    .prepare<[number, number], ExportRow>(
      `SELECT e.uuid, e.event, e.distinct_id, p.uuid AS person, e.timestamp, e.received_at, e.properties
         FROM events e JOIN persons p ON p.id = e.person_id
        WHERE e.timestamp >= ? AND e.timestamp <= ?
        ORDER BY e.timestamp, e.id`,
    )
    .iterate(range.from, range.to);
  return writeExportLines(rows, write);
}

/**
 * Writes rows as JSONL in pieces of about EXPORT_CHUNK_CHARS, awaiting `write` for back-pressure; returns the rows
 * written. Takes the rows of either dialect (a SQLite iterator, or PostgreSQL cursor pages).
 */
export async function writeExportLines(rows: Iterable<ExportRow> | AsyncIterable<ExportRow>, write: (text: string) => void | Promise<void>): Promise<number> {
  let buffer = '';
  let count = 0;
  /** Adds one row; true when a piece is ready to write. */
  const add = (r: ExportRow) => {
    buffer += exportLine(r);
    count += 1;
    return buffer.length >= EXPORT_CHUNK_CHARS;
  };
  const flush = async () => {
    const piece = buffer;
    buffer = '';
    await write(piece);
  };
  // A plain loop for SQLite's iterator: `for await` would cost a promise per row.
  if (Symbol.asyncIterator in rows) {
    for await (const r of rows) if (add(r)) await flush();
  } else {
    for (const r of rows) if (add(r)) await flush();
  }
  if (buffer) await flush();
  return count;
}
