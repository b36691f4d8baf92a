import type { Database } from 'better-sqlite3';
import { ApiError } from '../errors.ts';
import { createEventStore } from './store.ts';
import type { NormalizedEvent } from './validate.ts';

interface Pending {
  events: ReadonlyArray<NormalizedEvent>;
  resolve: () => void;
  reject: (err: ApiError) => void;
}

export interface EventWriterOptions {
  /** Events allowed to wait for a commit; past it capture answers 503 + Retry-After instead of growing memory. */
  maxQueuedEvents?: number;
  /**
   * Called with each request's events once their commit is acknowledged (the PostHog mirror, api/ingest/forward.ts).
   * It runs after the request is resolved and its exceptions are swallowed, so it cannot fail or undo a stored write;
   * it does run before the replies are written, so it must be cheap (the mirror only queues in memory).
   */
  onCommitted?: (events: ReadonlyArray<NormalizedEvent>) => void;
}

function storageError(err: unknown): ApiError {
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

/** SQLite result codes that concern the database as a whole, not one request's events. */
const STORAGE_WIDE = /^SQLITE_(FULL|READONLY|BUSY|LOCKED|IOERR|CORRUPT|CANTOPEN|NOMEM|NOTADB|PROTOCOL)/;

function isStorageWide(err: unknown): boolean {
  return STORAGE_WIDE.test((err as { code?: string }).code ?? '');
}

/**
 * Group commit: requests queue their events, and one transaction on the event loop's next turn stores all of them.
 * Each promise settles only after that commit, so a 200 always means "on disk". If the shared transaction fails,
 * each request is retried alone so one bad request cannot fail its neighbours.
 */
export function createEventWriter(sqlite: Database, options: EventWriterOptions = {}) {
  const maxQueued = options.maxQueuedEvents ?? 100_000;
  const store = createEventStore(sqlite);
  let queue: Pending[] = [];
  let queuedEvents = 0;
  let scheduled = false;
  let closed = false;
  let committed = 0;

  // Never throws, so calling it inside flush's try blocks cannot turn a committed request into a retry or a 503.
  // Replayed uuids are stored once but reported again here; the PostHog mirror relies on PostHog's dedup by uuid.
  function notifyCommitted(events: ReadonlyArray<NormalizedEvent>) {
    if (!options.onCommitted) return;
    try {
      options.onCommitted(events);
    } catch (err) {
      console.warn(`[onramp] onCommitted listener failed: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  function flush() {
    scheduled = false;
    const batch = queue;
    queue = [];
    queuedEvents = 0;
    if (batch.length === 0) return;
    try {
      store.writeBatches(batch.map((p) => p.events));
      for (const p of batch) p.resolve();
      committed += batch.length;
      for (const p of batch) notifyCommitted(p.events);
    } catch (err) {
      // The database itself is unavailable: retrying request by request would only repeat the failure (and, for a
      // lock, wait busy_timeout once per request with the event loop blocked), so every request gets the 503 now.
      if (isStorageWide(err)) {
        for (const p of batch) p.reject(storageError(err));
        return;
      }
      for (const p of batch) {
        try {
          store.writeBatches([p.events]);
          p.resolve();
          notifyCommitted(p.events);
        } catch (err) {
          p.reject(storageError(err));
        }
      }
    }
  }

  return {
    /** Resolves once the events are committed; rejects with a 503 ApiError when overloaded, closed or storage fails. */
    write(events: ReadonlyArray<NormalizedEvent>): Promise<void> {
      if (closed) return Promise.reject(new ApiError(503, 'shutting_down', 'server: shutting down; retry shortly', { headers: { 'Retry-After': '2' } }));
      // An oversized request is still let into an empty queue, so a bound below the batch limit cannot starve it.
      if (queuedEvents > 0 && queuedEvents + events.length > maxQueued) {
        return Promise.reject(
          new ApiError(503, 'overloaded', `server: ingest queue is full (${maxQueued} events waiting); retry shortly`, {
            headers: { 'Retry-After': '1' },
          }),
        );
      }
      return new Promise<void>((resolve, reject) => {
        queue.push({ events, resolve, reject });
        queuedEvents += events.length;
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
    /** Commits whatever is queued now and refuses new writes. */
    close() {
      closed = true;
      flush();
    },
    get queuedEvents() {
      return queuedEvents;
    },
    get committedRequests() {
      return committed;
    },
  };
}

export type EventWriter = ReturnType<typeof createEventWriter>;
