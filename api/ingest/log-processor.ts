import { sql } from 'drizzle-orm';
import { ApiError } from '../errors.ts';
import { LOCK_BUSY, type Row, type SqlDatabase } from '../storage/sql/interface.ts';
import type { ApplyOptions, ApplyResult, IngestLog, LogCounts } from './ingest-log.ts';
import { eventsOfLogRow, type LogItem, logRecords } from './raw-log.ts';
import { inList, MAX_IN_LIST, padded, slices, valuesOf } from './steps.ts';
import { writeEvents } from './store.ts';

/**
 * Events applied per transaction when the server is idle: a few milliseconds of work, so a request that arrives
 * meanwhile waits little, while the commit is still amortized over hundreds of events.
 */
export const EVENTS_PER_CHUNK = 500;

/**
 * The lock held by every transaction that writes events with their identity effects (this processor, the demo seed,
 * import), so their snapshots of persons never interleave: on PostgreSQL an advisory lock, which keeps several
 * instances on one database applying one at a time; on SQLite the write lock, which does the same for several
 * processes on one file (a CLI beside the server).
 */
export const INGEST_APPLY_LOCK = 'ingest';

/** Ingest-log rows per INSERT of an append: a group commit rarely has more, and the SQL text stays small. */
const ROWS_PER_APPEND = 64;

interface LogRow extends Row {
  id: number;
  event_count: number;
  body: Uint8Array;
  capture: string;
}

/** The 503 a storage-wide failure is answered with, worded by the dialect. */
export function storageUnavailable(database: SqlDatabase, err: unknown): ApiError {
  return new ApiError(503, 'storage_unavailable', `storage: events not stored because ${database.failureReason(err)}; retry later`, {
    headers: { 'Retry-After': '5' },
  });
}

/** Runs `work` under {@link INGEST_APPLY_LOCK}: waiting for it, or answering `busy` when another applier holds it. */
function underApplyLock<T>(database: SqlDatabase, wait: boolean, work: (tx: SqlDatabase) => Promise<T>): Promise<T | typeof LOCK_BUSY> {
  return wait ? database.transactionWithLock(INGEST_APPLY_LOCK, work) : database.tryTransactionWithLock(INGEST_APPLY_LOCK, work);
}

/** Appends one group commit's rows: one INSERT, or one transaction of several for a very large commit. */
async function appendRows(database: SqlDatabase, items: ReadonlyArray<LogItem>): Promise<void> {
  const groups = slices(logRecords(items, Date.now()), ROWS_PER_APPEND);
  const insert = (on: SqlDatabase, rows: ReadonlyArray<ReadonlyArray<number | string | Buffer>>) =>
    on.run(sql`INSERT INTO ingest_log (event_count, logged_at, body, capture) VALUES ${valuesOf(rows.flat(), 4)}`);
  if (groups.length === 1) await insert(database, groups[0]!);
  else if (groups.length > 1) {
    await database.transaction(async (tx) => {
      for (const rows of groups) await insert(tx, rows);
    });
  }
}

/**
 * The oldest rows not set aside (up to `upToId`) of about `maxEvents` events, at least one row, bodies included.
 * Sizes first, bodies after: a row can hold hundreds of KB, so only the rows a chunk takes are read whole.
 */
async function oldestRows(tx: SqlDatabase, maxEvents: number, upToId: number): Promise<LogRow[]> {
  const sizes = await tx.all<{ id: number; event_count: number }>(
    sql`SELECT id, event_count FROM ingest_log WHERE error IS NULL AND id <= ${upToId} ORDER BY id LIMIT ${Math.max(1, Math.ceil(maxEvents / 10))}`,
  );
  const chosen = new Set<number>();
  let events = 0;
  for (const row of sizes) {
    if (chosen.size > 0 && events + row.event_count > maxEvents) break;
    chosen.add(Number(row.id));
    events += row.event_count;
  }
  if (chosen.size === 0) return [];
  const ids = [...chosen];
  // On PostgreSQL a row with a smaller id can become visible meanwhile (ids are not commit order): it is left for
  // the next chunk, so the rows applied are exactly the ones chosen.
  const rows = await tx.all<LogRow>(
    sql`SELECT id, event_count, body, capture FROM ingest_log WHERE id BETWEEN ${ids[0]!} AND ${ids.at(-1)!} AND error IS NULL ORDER BY id`,
  );
  return rows.map((row) => ({ ...row, id: Number(row.id) })).filter((row) => chosen.has(row.id));
}

/** Stores the rows' events and deletes exactly those rows, in the caller's transaction. */
async function apply(tx: SqlDatabase, rows: ReadonlyArray<LogRow>): Promise<void> {
  await writeEvents(tx, rows.map(eventsOfLogRow));
  for (const ids of slices(
    rows.map((row) => row.id),
    MAX_IN_LIST,
  )) {
    const list = padded(ids);
    await tx.repeated({ key: `ingest-log-delete:${list.length}`, query: () => sql`DELETE FROM ingest_log WHERE id IN ${inList(list)}`, values: list }, false);
  }
}

const eventsOf = (rows: ReadonlyArray<LogRow>) => rows.reduce((n, row) => n + row.event_count, 0);

/**
 * The ingest log on either dialect: appends capture's group commits and applies the oldest rows to `events` with
 * api/ingest/store.ts, each chunk one transaction under {@link INGEST_APPLY_LOCK} that also deletes exactly the rows
 * it applied, so after a crash each row is either applied and gone or untouched. It keeps no high-water mark: each
 * chunk takes the oldest rows visible now, which also covers PostgreSQL rows that commit out of id order.
 *
 * On SQLite, capture's append and this processor share one connection: its {@link SqlDatabase} queues the append
 * while an apply transaction is open, so an append never lands inside it (and is never rolled back with it).
 */
export function createLogProcessor(database: SqlDatabase): IngestLog {
  /** Sets a row that failed on its own aside (kept with its error, never deleted); 0 when it is gone already. */
  async function setAside(tx: SqlDatabase, row: LogRow, err: unknown): Promise<number> {
    const message = String((err as Error)?.message ?? err).slice(0, 500);
    const changed = await tx.run(sql`UPDATE ingest_log SET error = ${message} WHERE id = ${row.id} AND error IS NULL`);
    if (changed === 0) return 0;
    console.error(`[onramp] ingest log row ${row.id} (${row.event_count} events) could not be applied and was set aside: ${message}`);
    return row.event_count;
  }

  /** Applies one row alone; a row that fails for its own data is set aside. */
  async function applyAlone(row: LogRow, wait: boolean): Promise<ApplyResult> {
    try {
      return await underApplyLock(database, wait, async (tx) => {
        // Read again under the lock: another applier may have taken it meanwhile.
        const again = await tx.all<LogRow>(sql`SELECT id, event_count, body, capture FROM ingest_log WHERE id = ${row.id} AND error IS NULL`);
        if (again.length === 0) return 0;
        await apply(tx, [{ ...again[0]!, id: row.id }]);
        return row.event_count;
      });
    } catch (err) {
      if (database.isStorageWide(err)) throw err;
      // The failed transaction rolled back as a whole; the row is marked in a transaction of its own.
      return underApplyLock(database, wait, (tx) => setAside(tx, row, err));
    }
  }

  /**
   * Applies the oldest rows. Returns the events taken off the log (applied or set aside; 0 when nothing is left), or
   * `busy`. Storage-wide failures propagate and the rows stay for the next try; a chunk that fails for its data is
   * retried row by row, and only a row that fails alone is set aside.
   */
  async function processChunk(options: ApplyOptions = {}): Promise<ApplyResult> {
    const maxEvents = options.maxEvents ?? EVENTS_PER_CHUNK;
    const upToId = options.upToId ?? Number.MAX_SAFE_INTEGER;
    const wait = options.wait ?? false;
    let attempted: LogRow[] = [];
    try {
      return await underApplyLock(database, wait, async (tx) => {
        attempted = await oldestRows(tx, maxEvents, upToId);
        if (attempted.length > 0) await apply(tx, attempted);
        return eventsOf(attempted);
      });
    } catch (err) {
      if (database.isStorageWide(err) || attempted.length === 0) throw err;
    }
    let taken = 0;
    for (const row of attempted) {
      const result = await applyAlone(row, wait);
      if (result === LOCK_BUSY) return taken > 0 ? taken : LOCK_BUSY;
      taken += result;
    }
    return taken;
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
    /** Events acknowledged but not yet applied, and rows set aside, as committed now (every process's rows). */
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
