import type { Database } from 'better-sqlite3';
import { createLogProcessor, EVENTS_PER_CHUNK } from './processor.ts';
import { logRecords, type LogItem, type LogRecord } from './raw-log.ts';

export type { LogItem } from './raw-log.ts';

/**
 * The logged commit: one ingest-log append per group commit, plus a processor that applies the log later. Keeps a
 * running count of the backlog so the hot path never sums the log table.
 */
export function createLoggedCommit(sqlite: Database) {
  const processor = createLogProcessor(sqlite);
  const insertRow = sqlite.prepare<LogRecord>('INSERT INTO ingest_log (event_count, events, logged_at, body, capture) VALUES (?, ?, ?, ?, ?)');
  let backlog = processor.pendingEvents();
  let lastFailureLog = 0;

  const appendRows = sqlite.transaction((items: ReadonlyArray<LogItem>) => {
    for (const record of logRecords(items, Date.now())) insertRow.run(...record);
  });

  let lastError: unknown;

  function take(events: number) {
    // Nothing left to apply although the count says otherwise: another process (an import or export CLI) applied
    // rows too. Re-count, or idle work would spin on an empty log.
    backlog = events === 0 ? processor.pendingEvents() : Math.max(0, backlog - events);
  }

  return {
    append(items: ReadonlyArray<LogItem>) {
      appendRows(items);
      backlog += items.reduce((n, item) => n + item.events.length, 0);
    },
    /**
     * Applies one chunk (rows up to `upToId`); returns the events applied, or -1 when storage failed (the rows stay
     * logged and are retried later).
     */
    applyChunk(upToId?: number): number {
      try {
        const applied = processor.processChunk(EVENTS_PER_CHUNK, upToId);
        take(applied);
        return applied;
      } catch (err) {
        lastError = err;
        if (Date.now() - lastFailureLog > 60_000) {
          lastFailureLog = Date.now();
          console.error(`[onramp] applying the ingest log failed (${(err as { code?: string }).code ?? (err as Error).message}); the events stay logged and are retried`);
        }
        return -1;
      }
    },
    lastRowId: () => processor.lastRowId(),
    lastError: () => lastError,
    failedRows: () => processor.failedRows(),
    applyFor(ms: number) {
      const until = performance.now() + ms;
      try {
        while (backlog > 0 && performance.now() < until) {
          const n = processor.processChunk(10 * EVENTS_PER_CHUNK);
          if (n === 0) break;
          take(n);
        }
      } catch (err) {
        console.error(`[onramp] applying the ingest log at shutdown failed (${(err as Error).message}); the events stay logged for the next start`);
      }
    },
    backlog: () => backlog,
  };
}
