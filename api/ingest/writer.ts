import type { Database } from 'better-sqlite3';
import { ApiError } from '../errors.ts';
import { createLoggedCommit, type LogItem } from './logged-commit.ts';
import { isStorageWide } from './processor.ts';
import { createEventStore } from './store.ts';
import type { RawCapture } from './raw-log.ts';
import type { NormalizedEvent } from './validate.ts';

/** A request waiting for its commit. */
export interface Pending extends LogItem {
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
  /**
   * Acknowledge once the events are appended to the ingest log, and apply the log to `events` (identity, dedup,
   * report indexes) while the server is idle: server.ts. Off (tests, tools), every commit applies the events at once.
   */
  logged?: boolean;
  /** Logged events waiting to be applied past which every commit also applies a chunk, bounding report catch-up. */
  maxBacklogEvents?: number;
  /** How long `close()` may spend applying the log before leaving the rest for the next start. */
  closeDrainMs?: number;
}

/** Quiet time after the last request before idle work starts, so a burst is never slowed by it. */
export const IDLE_AFTER_MS = 100;

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

/**
 * Why a writer turns a request away before queueing it, if it does: shutting down, or the queue bound reached (503s
 * with Retry-After). An oversized request is still let into an empty queue, so a bound below the batch limit cannot
 * starve it. Shared by both dialects' writers.
 */
export function refusal(state: { closed: boolean; queuedEvents: number; incoming: number; maxQueued: number }): ApiError | undefined {
  if (state.closed) return new ApiError(503, 'shutting_down', 'server: shutting down; retry shortly', { headers: { 'Retry-After': '2' } });
  if (state.queuedEvents > 0 && state.queuedEvents + state.incoming > state.maxQueued) {
    return new ApiError(503, 'overloaded', `server: ingest queue is full (${state.maxQueued} events waiting); retry shortly`, {
      headers: { 'Retry-After': '1' },
    });
  }
  return undefined;
}

/**
 * Group commit: requests queue their events, and one transaction on the event loop's next turn stores all of them.
 * Each promise settles only after that commit, so a 200 always means "on disk". If the shared transaction fails,
 * each request is retried alone so one bad request cannot fail its neighbours. With `logged`, the commit is one
 * ingest-log append (api/ingest/log.ts) and the log is applied to `events` later: when idle, past the backlog
 * bound, on `settle()` before a read, and at `close()`.
 */
export function createEventWriter(sqlite: Database, options: EventWriterOptions = {}) {
  const maxQueued = options.maxQueuedEvents ?? 100_000;
  const maxBacklog = options.maxBacklogEvents ?? 250_000;
  const store = createEventStore(sqlite);
  const log = options.logged ? createLoggedCommit(sqlite) : undefined;
  const commit = log ? log.append : (items: ReadonlyArray<LogItem>) => store.writeBatches(items.map((item) => item.events));
  let queue: Pending[] = [];
  let queuedEvents = 0;
  let scheduled = false;
  let closed = false;
  let committed = 0;
  let lastWriteAt = 0;
  let idleScheduled = false;

  /** Applies log chunks one per macrotask while no request is waiting; steps aside as soon as one arrives. */
  function scheduleIdleWork(delayMs = IDLE_AFTER_MS) {
    if (!log || idleScheduled || closed || log.backlog() === 0) return;
    idleScheduled = true;
    setTimeout(idleWork, delayMs).unref();
  }

  function idleWork() {
    idleScheduled = false;
    if (!log || closed) return;
    const quietFor = performance.now() - lastWriteAt;
    if (queuedEvents > 0 || quietFor < IDLE_AFTER_MS) return scheduleIdleWork(IDLE_AFTER_MS - Math.max(0, quietFor) + 1);
    if (log.applyChunk() < 0) return scheduleIdleWork(1_000);
    if (log.backlog() > 0) {
      idleScheduled = true;
      setImmediate(idleWork);
    }
  }

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
      commit(batch);
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
          commit([p]);
          p.resolve();
          notifyCommitted(p.events);
        } catch (err) {
          p.reject(storageError(err));
        }
      }
    }
    if (log) {
      // Sustained load past what idle time can apply: each commit applies a chunk too, so ingest slows to the
      // apply rate instead of letting the log (and a report's catch-up) grow without bound.
      if (log.backlog() > maxBacklog) log.applyChunk();
      scheduleIdleWork();
    }
  }

  // Whatever a previous run acknowledged but did not apply is applied once this process is idle.
  scheduleIdleWork();

  return {
    /** Resolves once the events are committed; rejects with a 503 ApiError when overloaded, closed or storage fails. */
    write(events: ReadonlyArray<NormalizedEvent>, raw?: RawCapture): Promise<void> {
      const refused = refusal({ closed, queuedEvents, incoming: events.length, maxQueued });
      if (refused) return Promise.reject(refused);
      lastWriteAt = performance.now();
      return new Promise<void>((resolve, reject) => {
        queue.push({ events, raw, resolve, reject });
        queuedEvents += events.length;
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
    /**
     * Commits whatever is queued now and refuses new writes; then applies the log for up to `applyMs` (default
     * `closeDrainMs`, 2 s). What is left stays in the log, durable, for the next start.
     */
    close(applyMs = options.closeDrainMs ?? 2_000) {
      closed = true;
      flush();
      log?.applyFor(applyMs);
    },
    /**
     * Resolves once every event acknowledged before the call is applied to `events`, for a read that must see them
     * all (reports, events, alert checks). Applies chunk by chunk, yielding between chunks, so capture keeps being
     * served while a long backlog is caught up.
     */
    async settle(): Promise<void> {
      if (!log) return;
      const target = log.lastRowId();
      for (;;) {
        const applied = log.applyChunk(target);
        if (applied === 0) return;
        // Answering from `events` while acknowledged events cannot be applied would give a wrong number.
        if (applied < 0) throw storageError(log.lastError());
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
    /** Acknowledged events not yet applied to `events` (always 0 without the log). */
    get backlogEvents() {
      return log?.backlog() ?? 0;
    },
    /** Log rows set aside because they could not be applied (always 0 without the log). */
    get failedLogRows() {
      return log?.failedRows() ?? 0;
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
