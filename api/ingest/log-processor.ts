import { sql } from 'drizzle-orm';
import { ApiError } from '../errors.ts';
import { LOCK_BUSY, type SqlDatabase } from '../storage/sql/interface.ts';
import type { ApplyOptions, ApplyResult, IngestLog, LogCounts } from './ingest-log.ts';
import { type ApplyScope, applyRows, type LogRow, linkFreeEvents, oldestRows, rowAgain, rowDecoder, setAside } from './log-rows.ts';
import { type LogItem, packedRecords } from './raw-log.ts';
import { slices, valuesOf } from './steps.ts';
import { writeEvents } from './store.ts';

/**
 * Events applied per transaction when the server is idle: a few milliseconds of work, so a request that arrives
 * meanwhile waits little, while the commit is still amortized over hundreds of events.
 */
export const EVENTS_PER_CHUNK = 500;

/**
 * The lock held by every transaction that writes events with their identity effects (this processor, the demo seed,
 * import), so their snapshots of persons never interleave: on PostgreSQL an advisory lock, held exclusively by the
 * demo seed, import, a settle and the apply of rows with identity links, and shared by the appliers of single
 * partitions, which run side by side; on SQLite the write lock, which keeps several processes on one file (a CLI
 * beside the server) applying one at a time.
 */
export const INGEST_APPLY_LOCK = 'ingest';

/** Ingest-log rows per INSERT of an append: a group commit rarely has more, and the SQL text stays small. */
const ROWS_PER_APPEND = 64;

/** The lock of one apply partition (api/ingest/apply-partitions.ts). */
const partitionLock = (partition: number) => `${INGEST_APPLY_LOCK}:partition:${partition}`;

/** The 503 a storage-wide failure is answered with, worded by the dialect. */
export function storageUnavailable(database: SqlDatabase, err: unknown): ApiError {
  return new ApiError(503, 'storage_unavailable', `storage: events not stored because ${database.failureReason(err)}; retry later`, {
    headers: { 'Retry-After': '5' },
  });
}

/**
 * Runs `work` under the lock of its scope: {@link INGEST_APPLY_LOCK} for the whole log (waiting for it, or answering
 * `busy` when another applier holds it), or a partition's lock with the apply lock shared (never waiting).
 */
function underLock<T>(database: SqlDatabase, scope: ApplyScope, wait: boolean, work: (tx: SqlDatabase) => Promise<T>): Promise<T | typeof LOCK_BUSY> {
  if (scope.partition !== undefined) return database.tryTransactionWithSharedLock(INGEST_APPLY_LOCK, partitionLock(scope.partition), work);
  return wait ? database.transactionWithLock(INGEST_APPLY_LOCK, work) : database.tryTransactionWithLock(INGEST_APPLY_LOCK, work);
}

/** Appends one group commit's rows: one INSERT, or one transaction of several for a very large commit. */
async function appendRows(database: SqlDatabase, items: ReadonlyArray<LogItem>): Promise<void> {
  const records = packedRecords(items, Date.now(), database.applyPartitions).map(({ record, partitions, links }) => [...record, partitions, links ? 1 : 0]);
  const groups = slices(records, ROWS_PER_APPEND);
  const insert = (on: SqlDatabase, rows: ReadonlyArray<ReadonlyArray<number | string | Buffer>>) =>
    on.run(sql`INSERT INTO ingest_log (event_count, logged_at, body, capture, partitions, links) VALUES ${valuesOf(rows.flat(), 6)}`);
  if (groups.length === 1) await insert(database, groups[0]!);
  else if (groups.length > 1) {
    await database.transaction(async (tx) => {
      for (const rows of groups) await insert(tx, rows);
    });
  }
}

/**
 * The ingest log on either dialect: appends capture's group commits and applies the oldest rows to `events` with
 * api/ingest/store.ts, each chunk one transaction that also takes exactly what it applied off the log, so after a
 * crash each row (or each partition of a row) is either applied and gone or untouched. It keeps no high-water mark:
 * each chunk takes the oldest rows visible now, which also covers PostgreSQL rows that commit out of id order.
 *
 * Where instances write side by side (PostgreSQL), the log is applied in partitions by distinct id
 * (api/ingest/apply-partitions.ts): each instance takes whichever partition's lock is free, so N instances apply up
 * to N partitions at once, each in log order. A row holding an identity link, and every settle, shutdown or backlog
 * catch-up (`wait`), is applied under the exclusive {@link INGEST_APPLY_LOCK}, as everything is on SQLite.
 *
 * On SQLite, capture's append and this processor share one connection: its {@link SqlDatabase} queues the append
 * while an apply transaction is open, so an append never lands inside it (and is never rolled back with it).
 */
export function createLogProcessor(database: SqlDatabase): IngestLog {
  const partitions = database.applyPartitions;
  const decode = rowDecoder(partitions > 1);
  const whole: ApplyScope = { partitions, decode };
  // Instances start at different partitions, and each moves on after a chunk, so they rarely try the same one.
  let nextPartition = Math.floor(Math.random() * partitions);

  /** Applies one row alone; a row that fails for its own data is set aside. */
  async function applyAlone(row: LogRow, scope: ApplyScope, wait: boolean): Promise<ApplyResult> {
    try {
      return await underLock(database, scope, wait, async (tx) => {
        const again = await rowAgain(tx, scope, row.id);
        return again ? applyRows(tx, [again], scope) : 0;
      });
    } catch (err) {
      if (database.isStorageWide(err)) throw err;
      // The failed transaction rolled back as a whole; the row is marked in a transaction of its own.
      return underLock(database, scope, wait, (tx) => setAside(tx, row, err));
    }
  }

  /**
   * Applies the oldest rows of a scope. Returns the events taken off the log (applied or set aside; 0 when nothing
   * is left in the scope), or `busy`. Storage-wide failures propagate and the rows stay for the next try; a chunk that
   * fails for its data is retried row by row, and only a row that fails alone is set aside. `linksOnly`: stop after
   * the last row holding a link, so the exclusive part of a partitioned apply stays short.
   */
  async function applyScope(scope: ApplyScope, options: ApplyOptions, linksOnly = false): Promise<ApplyResult> {
    const maxEvents = options.maxEvents ?? EVENTS_PER_CHUNK;
    const upToId = options.upToId ?? Number.MAX_SAFE_INTEGER;
    const wait = options.wait ?? false;
    let attempted: LogRow[] = [];
    try {
      return await underLock(database, scope, wait, async (tx) => {
        attempted = await oldestRows(tx, scope, maxEvents, upToId);
        const lastLink = attempted.findLastIndex((row) => row.links !== 0);
        if (linksOnly && lastLink >= 0) attempted = attempted.slice(0, lastLink + 1);
        return attempted.length > 0 ? applyRows(tx, attempted, scope) : 0;
      });
    } catch (err) {
      if (database.isStorageWide(err) || attempted.length === 0) throw err;
    }
    let taken = 0;
    for (const row of attempted) {
      const result = await applyAlone(row, scope, wait);
      if (result === LOCK_BUSY) return taken > 0 ? taken : LOCK_BUSY;
      taken += result;
    }
    return taken;
  }

  /**
   * One chunk: the first free partition with work, else (rows with a link next, or nothing left) the exclusive apply
   * of the oldest rows. With one partition, or when waiting, the exclusive apply only. When less than a chunk could
   * be applied side by side before the next link, one exclusive chunk does more than several partition chunks
   * (links every few dozen events, as when every developer identifies): that is tried instead.
   */
  async function processChunk(options: ApplyOptions = {}): Promise<ApplyResult> {
    if (partitions === 1 || options.wait) return applyScope(whole, options);
    const free = await linkFreeEvents(database, partitions, options.upToId ?? Number.MAX_SAFE_INTEGER);
    // Busy then means another instance applies: the little partition work there is is not worth the attempts.
    if (free < (options.maxEvents ?? EVENTS_PER_CHUNK)) return applyScope(whole, options);
    for (let i = 0; i < partitions; i += 1) {
      const partition = (nextPartition + i) % partitions;
      const result = await applyScope({ partitions, partition, decode }, options);
      if (result === LOCK_BUSY || result === 0) continue;
      nextPartition = (partition + 1) % partitions;
      return result;
    }
    return applyScope(whole, options, true);
  }

  return {
    deferred: true,
    append: (items) => appendRows(database, items),
    processChunk,
    /** Id of the newest visible row: everything acknowledged before this call has an id up to it. */
    async lastRowId(): Promise<number> {
      const row = await database.get<{ id: unknown }>(sql`SELECT MAX(id) AS id FROM ingest_log`);
      return Number(row?.id ?? 0);
    },
    /**
     * Events acknowledged but not yet applied, and rows set aside, as committed now (every process's rows). A row
     * some partitions of which are applied still counts whole.
     */
    async counts(): Promise<LogCounts> {
      const row = await database.get<{ pending: unknown; failed: unknown }>(
        sql`SELECT COALESCE(SUM(CASE WHEN error IS NULL THEN event_count ELSE 0 END), 0) AS pending,
                   COALESCE(SUM(CASE WHEN error IS NULL THEN 0 ELSE 1 END), 0) AS failed
              FROM ingest_log`,
      );
      return { pendingEvents: Number(row?.pending ?? 0), failedRows: Number(row?.failed ?? 0) };
    },
    isStorageWide: (err) => database.isStorageWide(err),
    storageError: (err) => storageUnavailable(database, err),
  };
}

/**
 * No log: each group commit stores its events at once, in one transaction under the apply lock (tests and tools,
 * which read `events` right after writing).
 */
export function createDirectStore(database: SqlDatabase): IngestLog {
  return {
    deferred: false,
    append: (items) =>
      database.transactionWithLock(INGEST_APPLY_LOCK, (tx) =>
        writeEvents(
          tx,
          items.map((item) => item.events),
        ),
      ),
    processChunk: async () => 0,
    lastRowId: async () => 0,
    counts: async () => ({ pendingEvents: 0, failedRows: 0 }),
    isStorageWide: (err) => database.isStorageWide(err),
    storageError: (err) => storageUnavailable(database, err),
  };
}

/**
 * Applies everything logged up to now (waiting for the apply lock), for a reader, an import or a tool that must come
 * after every acknowledged event; returns the events taken off the log.
 */
export async function drainLog(database: SqlDatabase, maxEvents = 10 * EVENTS_PER_CHUNK): Promise<number> {
  const log = createLogProcessor(database);
  const upToId = await log.lastRowId();
  let total = 0;
  for (;;) {
    const taken = await log.processChunk({ maxEvents, upToId, wait: true });
    if (taken === 0 || taken === LOCK_BUSY) return total;
    total += taken;
  }
}
