import type { ApiError } from '../errors.ts';
import type { SqlDatabase } from '../storage/sql/interface.ts';
import type { ApplyOptions, ApplyResult, IngestLog, LogCounts } from './ingest-log.ts';
import { createDirectStore, createLogProcessor, EVENTS_PER_CHUNK } from './log-processor.ts';
import { captureLoopShare, LOAD_SLACK } from './loop-share.ts';
import { inProcessRequests, type LogItem, type RawCapture } from './raw-log.ts';
import type { NormalizedEvent } from './validate.ts';
import { type EventWriterOptions, refusal } from './writer-options.ts';

/** A write waiting for its commit: one request, or the requests an in-process write is logged as. */
export interface Pending {
  events: ReadonlyArray<NormalizedEvent>;
  items: ReadonlyArray<LogItem>;
  resolve: () => void;
  reject: (err: ApiError) => void;
}

/** Quiet time after the last request before idle work starts, so a burst is never slowed by it. */
export const IDLE_AFTER_MS = 100;
/** Events per transaction when a reader waits (settle) or at shutdown: larger chunks amortize each commit. */
const EVENTS_PER_SETTLE_CHUNK = 10 * EVENTS_PER_CHUNK;
/** How long after a storage-wide failure the next commit first gathers requests, and for how long it gathers. */
const STORAGE_FAILURE_MEMORY_MS = 1_000;
const STORAGE_RETRY_GATHER_MS = 25;
/** When another instance holds the apply lock, look again after this long. */
const BUSY_RETRY_MS = 250;
const EVENTS_PER_LOAD_CHUNK = 200;
const LOAD_POLL_MS = 5;

/**
 * The ingest writer, for either dialect's {@link IngestLog}. Group commit: requests queue their events, and one
 * append on the event loop's next turn takes all of them (everything queued while a commit is in flight goes into
 * the next one). Each promise settles only after that commit, so a 200 always means "on disk". If the shared
 * commit fails for its data, each request is retried alone so one bad request cannot fail its neighbours. The log
 * is applied to `events` later: when idle, past the backlog bound, on `settle()` before a read, and at `close()`.
 * Several instances may share one PostgreSQL log: appends never conflict, and they apply it partition by partition
 * side by side (api/ingest/apply-partitions.ts), a settle's catch-up under the exclusive apply lock.
 */
export function createIngestWriter(log: IngestLog, options: EventWriterOptions = {}) {
  const maxQueued = options.maxQueuedEvents ?? 100_000;
  const maxBacklog = options.maxBacklogEvents ?? 250_000;
  const pollMs = options.pollMs ?? 2_000;
  let queue: Pending[] = [];
  let queuedEvents = 0;
  let commitRun: Promise<void> | undefined;
  let closed = false;
  let committed = 0;
  // When the last commit failed for the database as a whole (locked, full…): the next one gathers requests first.
  let storageFailedAt = Number.NEGATIVE_INFINITY;
  let lastWriteAt = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  let idleDueAt = 0;
  let idleRun: Promise<void> | undefined;
  let backlog = 0;
  let failedRows = 0;
  let lastFailureLog = 0;
  // One apply at a time from this process, so idle work, settles and back-pressure take turns at the lock.
  let applying: Promise<unknown> = Promise.resolve();
  let applyingNow = 0;
  const loop = captureLoopShare();

  function exclusive<T>(work: () => T | Promise<T>): Promise<T> {
    const run = applying.then(async () => {
      applyingNow += 1;
      try {
        return await work();
      } finally {
        applyingNow -= 1;
      }
    });
    applying = run.catch(() => undefined);
    return run;
  }

  function reportApplyFailure(err: unknown) {
    if (Date.now() - lastFailureLog < 60_000) return;
    lastFailureLog = Date.now();
    console.error(
      `[onramp] applying the ingest log failed (${(err as { code?: string }).code ?? (err as Error).message}); the events stay logged and are retried`,
    );
  }

  async function applyChunk(apply: ApplyOptions): Promise<ApplyResult> {
    const result = await exclusive(() => log.processChunk(apply));
    if (typeof result === 'number') backlog = Math.max(0, backlog - result);
    return result;
  }

  async function refreshCounts(): Promise<LogCounts> {
    const counts = await log.counts();
    backlog = counts.pendingEvents;
    failedRows = counts.failedRows;
    return counts;
  }

  /** Runs idle work after `delayMs`, or sooner if it is due sooner already (new requests cut a long poll short). */
  function scheduleIdleWork(delayMs = IDLE_AFTER_MS) {
    if (!log.deferred || closed) return;
    const dueAt = performance.now() + delayMs;
    if (idleTimer) {
      if (idleDueAt <= dueAt) return;
      clearTimeout(idleTimer);
    }
    idleDueAt = dueAt;
    idleTimer = setTimeout(() => {
      idleTimer = undefined;
      idleRun = idleWork().finally(() => {
        idleRun = undefined;
      });
    }, delayMs);
    idleTimer.unref();
  }

  /**
   * Applies chunks one after another while no request is waiting; steps aside as soon as one arrives. Under a steady
   * load with spare time on the event loop it applies small chunks between requests (see {@link LOAD_SLACK}).
   */
  async function idleWork(): Promise<void> {
    if (closed) return;
    const quietFor = performance.now() - lastWriteAt;
    const quiet = quietFor >= IDLE_AFTER_MS;
    const busy = queuedEvents > 0 || commitRun !== undefined || applyingNow > 0;
    const spareTime = !quiet && !busy && backlog > 0 && loop.captureShare() < LOAD_SLACK;
    if (busy || (!quiet && !spareTime)) {
      return scheduleIdleWork(backlog > 0 ? LOAD_POLL_MS : IDLE_AFTER_MS - Math.max(0, quietFor) + 1);
    }
    try {
      if (backlog === 0) await refreshCounts();
      if (backlog === 0) return scheduleIdleWork(pollMs);
      const started = performance.now();
      const result = await applyChunk(spareTime ? { maxEvents: EVENTS_PER_LOAD_CHUNK, wait: false } : { wait: false });
      loop.applied(performance.now() - started);
      if (result === 'busy') return scheduleIdleWork(BUSY_RETRY_MS);
      // Nothing visible to apply although the count said so: another process took it. Recount before polling.
      if (result === 0) await refreshCounts();
      scheduleIdleWork(backlog > 0 ? (spareTime ? LOAD_POLL_MS : 0) : pollMs);
    } catch (err) {
      reportApplyFailure(err);
      scheduleIdleWork(1_000);
    }
  }

  // Never throws, so a listener cannot turn a committed request into a retry or a 503. Replayed uuids are stored
  // once but reported again here; the PostHog mirror relies on PostHog's dedup by uuid.
  function notifyCommitted(events: ReadonlyArray<NormalizedEvent>) {
    if (!options.onCommitted) return;
    try {
      options.onCommitted(events);
    } catch (err) {
      console.warn(`[onramp] onCommitted listener failed: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  const eventsIn = (batch: ReadonlyArray<Pending>) => batch.reduce((n, p) => n + p.events.length, 0);

  async function append(batch: ReadonlyArray<Pending>): Promise<number> {
    await log.append(batch.flatMap((p) => p.items));
    const appended = eventsIn(batch);
    if (log.deferred) backlog += appended;
    return appended;
  }

  /**
   * Sustained load past what idle time can apply: a commit that finds the backlog over the bound applies at least
   * as many events as it appended, or until the backlog is under the bound, waiting its turn at the apply lock. So
   * ingest slows to the apply rate and the log stays within the bound plus one group commit, whatever the request
   * size (one chunk per commit let 1,000-event batches grow the log past the bound).
   */
  async function catchUp(appended: number): Promise<void> {
    let applied = 0;
    while (backlog > maxBacklog && applied < appended) {
      const maxEvents = Math.min(EVENTS_PER_SETTLE_CHUNK, Math.max(EVENTS_PER_CHUNK, appended - applied));
      const result = await applyChunk({ maxEvents, wait: true });
      if (result === 'busy') return;
      // Nothing left although the count said so: another process applied it.
      if (result === 0) return void (await refreshCounts());
      applied += result;
    }
  }

  async function commit(batch: Pending[]) {
    let appended = 0;
    try {
      appended = await append(batch);
      for (const p of batch) p.resolve();
      committed += batch.length;
      for (const p of batch) notifyCommitted(p.events);
    } catch (err) {
      // The database itself is unavailable: retrying request by request would only repeat the failure (and, for a
      // SQLite lock, wait busy_timeout once per request), so every request gets the 503 now.
      if (log.isStorageWide(err)) {
        storageFailedAt = performance.now();
        for (const p of batch) p.reject(log.storageError(err));
        return;
      }
      for (const p of batch) {
        try {
          appended += await append([p]);
          p.resolve();
          committed += 1;
          notifyCommitted(p.events);
        } catch (err) {
          p.reject(log.storageError(err));
        }
      }
    }
    if (log.deferred && backlog > maxBacklog) await catchUp(appended).catch(reportApplyFailure);
  }

  async function commitQueued() {
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      queuedEvents = 0;
      await commit(batch);
    }
  }

  /** Starts the commit loop on the next turn, unless a commit is in flight (its loop takes what is queued next). */
  function startCommits() {
    if (commitRun) return;
    // Right after a storage-wide failure, wait a little so the requests arriving meanwhile share one attempt: each
    // attempt may wait the database's lock timeout, and one attempt per request would add those waits up.
    const gather =
      performance.now() - storageFailedAt < STORAGE_FAILURE_MEMORY_MS
        ? new Promise<void>((resolve) => setTimeout(resolve, STORAGE_RETRY_GATHER_MS))
        : new Promise<void>((resolve) => setImmediate(resolve));
    commitRun = gather.then(commitQueued).finally(() => {
      commitRun = undefined;
      if (queue.length > 0) startCommits();
      else scheduleIdleWork();
    });
  }

  // Whatever was acknowledged but not applied (by this process before a restart, or by another instance) is applied
  // once this one is idle.
  scheduleIdleWork();

  return {
    /**
     * Resolves once the events are committed; rejects with a 503 ApiError when overloaded, closed or storage fails.
     * `raw` is the request they were validated from; without it (an in-process write) they are logged as the
     * request that revalidates to exactly them, and refused with a 400 when there is none.
     */
    write(events: ReadonlyArray<NormalizedEvent>, raw?: RawCapture): Promise<void> {
      const refused = refusal({ closed, queuedEvents, incoming: events.length, maxQueued });
      if (refused) return Promise.reject(refused);
      let items: LogItem[];
      try {
        items = raw ? [{ events, raw }] : inProcessRequests(events);
      } catch (err) {
        return Promise.reject(err);
      }
      lastWriteAt = performance.now();
      return new Promise<void>((resolve, reject) => {
        queue.push({ events, items, resolve, reject });
        queuedEvents += events.length;
        startCommits();
      });
    },
    /**
     * Refuses new writes at once, commits whatever is queued, then applies the log for up to `applyMs` (default
     * `closeDrainMs`, 2 s). What is left stays in the log, durable, for the next start or another instance. Does not
     * close the database.
     */
    async close(applyMs = options.closeDrainMs ?? 2_000): Promise<void> {
      closed = true;
      clearTimeout(idleTimer);
      idleTimer = undefined;
      startCommits();
      while (commitRun) await commitRun;
      await idleRun;
      if (!log.deferred) return;
      const until = performance.now() + applyMs;
      try {
        while (performance.now() < until) {
          const result = await applyChunk({ maxEvents: EVENTS_PER_SETTLE_CHUNK, wait: false });
          if (result === 'busy' || result === 0) break;
        }
      } catch (err) {
        console.error(`[onramp] applying the ingest log at shutdown failed (${(err as Error).message}); the events stay logged for the next start`);
      }
    },
    /**
     * Resolves once every event acknowledged before the call (by any instance) is applied to `events`, for a read
     * that must see them all (reports, events, alert checks). Waits its turn at the apply lock, then applies chunk
     * by chunk, yielding between chunks, so capture keeps being served while a long backlog is caught up. Rejects
     * with a 503 when storage fails: answering from `events` then would give a wrong number.
     */
    async settle(): Promise<void> {
      if (!log.deferred) return;
      try {
        const target = await log.lastRowId();
        for (;;) {
          const result = await applyChunk({ maxEvents: EVENTS_PER_SETTLE_CHUNK, upToId: target, wait: true });
          if (result === 0 || result === 'busy') break;
          await new Promise((resolve) => setImmediate(resolve));
        }
      } catch (err) {
        throw log.storageError(err);
      }
      // Only the getters depend on it; the events are applied already.
      await refreshCounts().catch(() => undefined);
    },
    /** Fresh counts from the database (all instances' rows), also refreshing the getters below. */
    refreshCounts,
    /** Acknowledged events not yet applied to `events`, as this instance last counted them (0 without the log). */
    get backlogEvents() {
      return backlog;
    },
    /** Log rows set aside because they could not be applied, as of the last count. */
    get failedLogRows() {
      return failedRows;
    },
    get queuedEvents() {
      return queuedEvents;
    },
    get committedRequests() {
      return committed;
    },
  };
}

export type EventWriter = ReturnType<typeof createIngestWriter>;

/**
 * The writer on either dialect's {@link SqlDatabase} (the one the rest of the app uses, so on SQLite its transactions
 * and capture's appends queue on one connection): logged (server.ts, PostgreSQL) or storing each commit at once.
 */
export function createEventWriter(database: SqlDatabase, options: EventWriterOptions = {}): EventWriter {
  return createIngestWriter(options.logged ? createLogProcessor(database) : createDirectStore(database), options);
}
