import type { OnrampPgDb } from '../../../db/client-pg.ts';
import { ApiError } from '../../errors.ts';
import { EVENTS_PER_CHUNK } from '../processor.ts';
import { logRecords, type LogItem, type RawCapture } from '../raw-log.ts';
import type { NormalizedEvent } from '../validate.ts';
import { IDLE_AFTER_MS, refusal, type EventWriterOptions, type Pending } from '../writer.ts';
import { createPgLogProcessor, isPgStorageWide, type ApplyOptions, type ApplyResult } from './processor.ts';

/** Options of {@link createPgEventWriter}: those of the SQLite writer (always logged here), plus the shared-log poll. */
export interface PgEventWriterOptions extends Omit<EventWriterOptions, 'logged'> {
  /**
   * How often an idle instance with nothing of its own to apply looks at the shared log: rows another instance
   * logged (or left behind when it stopped) are applied by whichever instance is idle.
   */
  pollMs?: number;
}

/**
 * Events per transaction when a reader waits (settle) or at shutdown: each statement is a network round trip here,
 * so larger chunks than the idle ones amortize them better.
 */
const EVENTS_PER_SETTLE_CHUNK = 10 * EVENTS_PER_CHUNK;
/** When another instance holds the apply lock, look again after this long. */
const BUSY_RETRY_MS = 250;

function storageError(err: unknown): ApiError {
  const code = String((err as { code?: unknown })?.code ?? 'UNKNOWN');
  const reason =
    code === '53100'
      ? 'the disk is full'
      : code === '25006'
        ? 'the database is read-only'
        : code.startsWith('08') || code.startsWith('57P') || code.startsWith('E') || code === 'UNKNOWN'
          ? 'the database cannot be reached'
          : `the database failed (${code})`;
  return new ApiError(503, 'storage_unavailable', `storage: events not stored because ${reason}; retry later`, {
    headers: { 'Retry-After': '5' },
  });
}

/**
 * The PostgreSQL ingest writer, with the public surface of api/ingest/writer.ts in logged mode: requests are
 * acknowledged once one INSERT into `ingest_log` for their whole group commit has committed, and the log is applied
 * to `events` (identity, dedup) later by api/ingest/pg/processor.ts, while the instance is idle or when a reader
 * settles. Group commit: everything queued while a commit is in flight goes into the next one. Several instances
 * may share one database: appends never conflict, and the processor's advisory lock lets one apply at a time.
 */
export function createPgEventWriter(db: OnrampPgDb, options: PgEventWriterOptions = {}) {
  const pool = db.$client;
  const maxQueued = options.maxQueuedEvents ?? 100_000;
  const maxBacklog = options.maxBacklogEvents ?? 250_000;
  const pollMs = options.pollMs ?? 2_000;
  const processor = createPgLogProcessor(pool);
  let queue: Pending[] = [];
  let queuedEvents = 0;
  let commitRun: Promise<void> | undefined;
  let closed = false;
  let committed = 0;
  let lastWriteAt = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  let idleRun: Promise<void> | undefined;
  let backlog = 0;
  let failedRows = 0;
  let lastFailureLog = 0;
  // One apply at a time from this process, so idle work, settles and back-pressure share one connection's turn
  // at the lock instead of queueing several connections on it.
  let applying: Promise<unknown> = Promise.resolve();
  let applyingNow = 0;

  function exclusive<T>(work: () => Promise<T>): Promise<T> {
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
    console.error(`[onramp] applying the ingest log failed (${(err as { code?: string }).code ?? (err as Error).message}); the events stay logged and are retried`);
  }

  async function applyChunk(apply: ApplyOptions): Promise<ApplyResult> {
    const result = await exclusive(() => processor.processChunk(apply));
    if (typeof result === 'number') backlog = Math.max(0, backlog - result);
    return result;
  }

  async function refreshCounts() {
    const counts = await processor.counts();
    backlog = counts.pendingEvents;
    failedRows = counts.failedRows;
    return counts;
  }

  function scheduleIdleWork(delayMs = IDLE_AFTER_MS) {
    if (idleTimer || closed) return;
    idleTimer = setTimeout(() => {
      idleTimer = undefined;
      idleRun = idleWork().finally(() => {
        idleRun = undefined;
      });
    }, delayMs);
    idleTimer.unref();
  }

  /** Applies chunks one after another while no request is waiting; steps aside as soon as one arrives. */
  async function idleWork(): Promise<void> {
    if (closed) return;
    const quietFor = performance.now() - lastWriteAt;
    if (queuedEvents > 0 || commitRun || applyingNow > 0 || quietFor < IDLE_AFTER_MS) {
      return scheduleIdleWork(IDLE_AFTER_MS - Math.max(0, quietFor) + 1);
    }
    try {
      if (backlog === 0) await refreshCounts();
      if (backlog === 0) return scheduleIdleWork(pollMs);
      const result = await applyChunk({ wait: false });
      if (result === 'busy') return scheduleIdleWork(BUSY_RETRY_MS);
      // Nothing visible to apply although the count said so: another instance took it. Recount before polling.
      if (result === 0) await refreshCounts();
      scheduleIdleWork(backlog > 0 ? 0 : pollMs);
    } catch (err) {
      reportApplyFailure(err);
      scheduleIdleWork(1_000);
    }
  }

  /** As the SQLite log (api/ingest/logged-commit.ts): rows in request order, a gzip request as received. */
  async function append(items: ReadonlyArray<LogItem>): Promise<void> {
    const rows = logRecords(items, Date.now());
    if (rows.length === 0) return;
    const placeholders = rows.map((_, i) => `($${5 * i + 1}, $${5 * i + 2}, $${5 * i + 3}, $${5 * i + 4}, $${5 * i + 5})`).join(', ');
    // One statement is one transaction: when it returns, the rows are committed.
    await pool.query(`INSERT INTO ingest_log (event_count, events, logged_at, body, capture) VALUES ${placeholders}`, rows.flat());
    backlog += rows.reduce((n, row) => n + row[0], 0);
  }

  // Never throws, so a listener cannot turn a committed request into a retry or a 503.
  function notifyCommitted(events: ReadonlyArray<NormalizedEvent>) {
    if (!options.onCommitted) return;
    try {
      options.onCommitted(events);
    } catch (err) {
      console.warn(`[onramp] onCommitted listener failed: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  async function commit(batch: Pending[]) {
    try {
      await append(batch);
      for (const p of batch) p.resolve();
      committed += batch.length;
      for (const p of batch) notifyCommitted(p.events);
    } catch (err) {
      // The database itself is unavailable: retrying request by request would only repeat the failure.
      if (isPgStorageWide(err)) {
        for (const p of batch) p.reject(storageError(err));
        return;
      }
      for (const p of batch) {
        try {
          await append([p]);
          p.resolve();
          committed += 1;
          notifyCommitted(p.events);
        } catch (err) {
          p.reject(storageError(err));
        }
      }
    }
    // Sustained load past what idle time can apply: a commit waits for one chunk too (unless another instance is
    // applying already), so ingest slows to the apply rate instead of letting the log grow without bound.
    if (backlog > maxBacklog) await applyChunk({ wait: false }).catch(reportApplyFailure);
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
    commitRun = new Promise<void>((resolve) => setImmediate(resolve))
      .then(commitQueued)
      .finally(() => {
        commitRun = undefined;
        if (queue.length > 0) startCommits();
        else scheduleIdleWork();
      });
  }

  // Whatever was acknowledged but not applied (by this process before a restart, or by another instance) is applied
  // once this one is idle.
  scheduleIdleWork();

  return {
    /** Resolves once the events are committed to the log; rejects with a 503 ApiError when overloaded, closed or storage fails. */
    write(events: ReadonlyArray<NormalizedEvent>, raw?: RawCapture): Promise<void> {
      const refused = refusal({ closed, queuedEvents, incoming: events.length, maxQueued });
      if (refused) return Promise.reject(refused);
      lastWriteAt = performance.now();
      return new Promise<void>((resolve, reject) => {
        queue.push({ events, raw, resolve, reject });
        queuedEvents += events.length;
        startCommits();
      });
    },
    /**
     * Commits whatever is queued now and refuses new writes; then applies the log for up to `closeDrainMs`. What is
     * left stays in the log, durable, for the next start or another instance. Does not close the pool.
     */
    async close(): Promise<void> {
      closed = true;
      clearTimeout(idleTimer);
      idleTimer = undefined;
      startCommits();
      while (commitRun) await commitRun;
      await idleRun;
      const until = performance.now() + (options.closeDrainMs ?? 2_000);
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
     * that must see them all. Waits its turn at the apply lock, then applies chunk by chunk, yielding between chunks.
     */
    async settle(): Promise<void> {
      const target = await processor.lastRowId();
      for (;;) {
        const result = await applyChunk({ maxEvents: EVENTS_PER_SETTLE_CHUNK, upToId: target, wait: true });
        if (result === 0 || result === 'busy') break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      // Only the getters depend on it; the events are applied already.
      await refreshCounts().catch(() => undefined);
    },
    /** Fresh counts from the database (all instances' rows), also refreshing the getters below. */
    refreshCounts,
    /** Acknowledged events not yet applied to `events`, as this instance last counted them. */
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

export type PgEventWriter = ReturnType<typeof createPgEventWriter>;
