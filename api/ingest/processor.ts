import type { Database } from 'better-sqlite3';
import { eventsOfLogRow } from './raw-log.ts';
import { createEventStore } from './store.ts';

/**
 * Events applied per transaction when the server is idle: a few milliseconds of work, so a request that arrives
 * meanwhile waits little, while the commit is still amortized over hundreds of events.
 */
export const EVENTS_PER_CHUNK = 500;

interface LogRow {
  id: number;
  eventCount: number;
  events: string;
  /** A request logged as received (api/ingest/raw-log.ts), with `capture`; null for a row of events. */
  body: Buffer | null;
  capture: string | null;
}

const ROW_COLUMNS = 'id, event_count AS eventCount, events, body, capture';

const STORAGE_WIDE = /^SQLITE_(FULL|READONLY|BUSY|LOCKED|IOERR|CORRUPT|CANTOPEN|NOMEM|NOTADB|PROTOCOL)/;

/** Errors about the database as a whole (full, read-only, locked…), which retrying row by row would only repeat. */
export function isStorageWide(err: unknown): boolean {
  return STORAGE_WIDE.test((err as { code?: string }).code ?? '');
}

/**
 * Applies the ingest log to `events`: identity, deduplication by uuid and every report index, in log order, exactly
 * as the direct store does at capture time. Each chunk is one transaction that also deletes the rows it applied,
 * so after a crash each row is either applied and gone or untouched; re-applying would be harmless anyway (uuid dedup).
 */
export function createLogProcessor(sqlite: Database) {
  const store = createEventStore(sqlite);
  // Sizes first, bodies after: a row can hold hundreds of KB, so only the rows a chunk takes are read whole.
  const nextSizes = sqlite.prepare<[number, number], { id: number; eventCount: number }>(
    'SELECT id, event_count AS eventCount FROM ingest_log WHERE error IS NULL AND id <= ? ORDER BY id LIMIT ?',
  );
  const bodiesBetween = sqlite.prepare<[number, number], LogRow>(
    `SELECT ${ROW_COLUMNS} FROM ingest_log WHERE id BETWEEN ? AND ? AND error IS NULL ORDER BY id`,
  );
  const lastRowId = sqlite.prepare<[], number | null>('SELECT MAX(id) FROM ingest_log').pluck();
  const deleteRows = sqlite.prepare<[number, number]>('DELETE FROM ingest_log WHERE id BETWEEN ? AND ? AND error IS NULL');
  const markFailed = sqlite.prepare<[string, number]>('UPDATE ingest_log SET error = ? WHERE id = ?');
  const pendingEvents = sqlite.prepare<[], number>('SELECT COALESCE(SUM(event_count), 0) FROM ingest_log WHERE error IS NULL').pluck();
  const failedRows = sqlite.prepare<[], number>('SELECT COUNT(*) FROM ingest_log WHERE error IS NOT NULL').pluck();

  const rowById = sqlite.prepare<[number], LogRow>(`SELECT ${ROW_COLUMNS} FROM ingest_log WHERE id = ? AND error IS NULL`);

  function oldestRows(maxEvents: number, upToId: number): LogRow[] {
    let lastId: number | undefined;
    let events = 0;
    for (const row of nextSizes.all(upToId, Math.max(1, Math.ceil(maxEvents / 10)))) {
      if (lastId !== undefined && events + row.eventCount > maxEvents) break;
      lastId = row.id;
      events += row.eventCount;
    }
    return lastId === undefined ? [] : bodiesBetween.all(0, lastId);
  }

  function apply(rows: LogRow[]) {
    store.writeWithinTransaction(rows.map(eventsOfLogRow));
    deleteRows.run(rows[0]!.id, rows.at(-1)!.id);
  }

  // IMMEDIATE: the rows are read under the write lock, so another process applying the same log (a CLI beside the
  // server) waits for it instead of applying the same rows from a stale snapshot.
  const applyOldest = sqlite.transaction((maxEvents: number, upToId: number): LogRow[] => {
    const rows = oldestRows(maxEvents, upToId);
    if (rows.length > 0) apply(rows);
    return rows;
  }).immediate;
  const applyOne = sqlite.transaction((id: number) => {
    const row = rowById.get(id);
    if (row) apply([row]);
  }).immediate;

  function setAside(row: LogRow, err: unknown) {
    const message = String((err as Error)?.message ?? err).slice(0, 500);
    markFailed.run(message, row.id);
    console.error(`[onramp] ingest log row ${row.id} (${row.eventCount} events) could not be applied and was set aside: ${message}`);
  }

  /**
   * Applies the oldest rows (up to row `upToId`), about `maxEvents` events but at least one row. Returns the number of
   * events taken off the log, applied or set aside. Storage-wide failures propagate: the rows stay for the next try.
   */
  function processChunk(maxEvents = EVENTS_PER_CHUNK, upToId = Number.MAX_SAFE_INTEGER): number {
    let rows: LogRow[];
    try {
      rows = applyOldest(maxEvents, upToId);
    } catch (err) {
      if (isStorageWide(err)) throw err;
      // One bad row must not hold back the rest: apply row by row and set aside only a row that fails alone.
      rows = oldestRows(maxEvents, upToId);
      for (const row of rows) {
        try {
          applyOne(row.id);
        } catch (rowErr) {
          if (isStorageWide(rowErr)) throw rowErr;
          setAside(row, rowErr);
        }
      }
    }
    return rows.reduce((n, r) => n + r.eventCount, 0);
  }

  return {
    processChunk,
    /** Applies everything logged so far, so a reader sees every acknowledged event. */
    drain(): number {
      let total = 0;
      for (let n = processChunk(10 * EVENTS_PER_CHUNK); n > 0; n = processChunk(10 * EVENTS_PER_CHUNK)) total += n;
      return total;
    },
    /** Id of the newest log row: what a reader must wait for to see everything acknowledged so far. */
    lastRowId: () => lastRowId.get() ?? 0,
    /** Events acknowledged and logged but not yet applied. */
    pendingEvents: () => pendingEvents.get() ?? 0,
    /** Log rows set aside because they failed on their own (kept for inspection, never deleted). */
    failedRows: () => failedRows.get() ?? 0,
  };
}

export type LogProcessor = ReturnType<typeof createLogProcessor>;
