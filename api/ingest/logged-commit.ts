import type { Database } from 'better-sqlite3';
import { ApiError } from '../errors.ts';
import type { IngestLog } from './ingest-log.ts';
import { createLogProcessor, isStorageWide } from './processor.ts';
import { type LogItem, type LogRecord, logRecords } from './raw-log.ts';
import { createEventStore } from './store.ts';

export type { LogItem } from './raw-log.ts';

/** The 503 a SQLite storage failure is answered with. */
export function sqliteStorageError(err: unknown): ApiError {
  const code = (err as { code?: string }).code ?? 'UNKNOWN';
  const reason = code.startsWith('SQLITE_FULL')
    ? 'the disk is full'
    : code.startsWith('SQLITE_READONLY')
      ? 'the database is read-only'
      : code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')
        ? 'the database is locked by another process'
        : `the database failed (${code})`;
  return new ApiError(503, 'storage_unavailable', `storage: events not stored because ${reason}; retry later`, {
    headers: { 'Retry-After': '5' },
  });
}

/**
 * The SQLite ingest log: one append transaction per group commit, applied later by the log processor. Synchronous
 * underneath (better-sqlite3), which keeps capture's commit on the event loop's turn; the write lock of each apply
 * transaction is what keeps appliers (a CLI beside the server) apart, so no apply is ever `busy`.
 */
export function sqliteIngestLog(sqlite: Database): IngestLog {
  const processor = createLogProcessor(sqlite);
  const insertRow = sqlite.prepare<LogRecord>('INSERT INTO ingest_log (event_count, events, logged_at, body, capture) VALUES (?, ?, ?, ?, ?)');
  const appendRows = sqlite.transaction((items: ReadonlyArray<LogItem>) => {
    for (const record of logRecords(items, Date.now())) insertRow.run(...record);
  });
  return {
    deferred: true,
    append: (items) => appendRows(items),
    processChunk: (options = {}) => processor.processChunk(options.maxEvents, options.upToId),
    lastRowId: () => processor.lastRowId(),
    counts: () => ({ pendingEvents: processor.pendingEvents(), failedRows: processor.failedRows() }),
    isStorageWide,
    storageError: sqliteStorageError,
  };
}

/** No log: each group commit stores its events at once, in one transaction (tests and tools). */
export function sqliteDirectStore(sqlite: Database): IngestLog {
  const store = createEventStore(sqlite);
  return {
    deferred: false,
    append: (items) => store.writeBatches(items.map((item) => item.events)),
    processChunk: () => 0,
    lastRowId: () => 0,
    counts: () => ({ pendingEvents: 0, failedRows: 0 }),
    isStorageWide,
    storageError: sqliteStorageError,
  };
}
