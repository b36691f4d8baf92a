import { sql } from 'drizzle-orm';
import type pg from 'pg';
import { ApiError } from '../errors.ts';
import type { SqlDatabase } from '../storage/sql/interface.ts';
import { postgresDatabase } from '../storage/sql/postgres.ts';
import type { ApplyOptions, ApplyResult, IngestLog } from './ingest-log.ts';
import { EVENTS_PER_CHUNK } from './processor.ts';
import { eventsOfLogRow, type LogItem, logRecords } from './raw-log.ts';
import { writeEvents } from './store.ts';

/**
 * Transaction-level advisory lock key held while applying the ingest log ("ingest" in ASCII), so that of several
 * Onramp instances on one database exactly one applies at a time: merges read and write the identity tables as a
 * whole, and two appliers working from their own snapshots would merge persons inconsistently.
 */
export const INGEST_APPLY_LOCK_KEY = '111546413966196';

interface LogRow {
  id: string;
  event_count: number;
  events: string;
  /** A request logged as received (api/ingest/raw-log.ts), with `capture`; null for a row of events. */
  body: Buffer | null;
  capture: string | null;
}

/** SQLSTATE classes about the database as a whole (connection, resources, shutdown, read-only, lock contention…). */
const STORAGE_WIDE_CLASSES = new Set(['08', '25', '40', '53', '54', '55', '57', '58', 'XX']);

/** node-postgres's own errors (without a code) for a connection or pool that cannot be used. */
const NODE_POSTGRES_CONNECTION_ERRORS =
  /^(Connection terminated|timeout exceeded when trying to connect|Cannot use a pool after calling end|Client has encountered a connection error|Client was closed|Query read timeout)/;

/**
 * Errors about the database as a whole, which retrying row by row would only repeat: the rows stay logged and are
 * retried later. Errors of a row's own data (bad JSON, a value PostgreSQL rejects) are not.
 */
export function isPgStorageWide(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return STORAGE_WIDE_CLASSES.has(code.slice(0, 2));
  // Node socket errors (ECONNREFUSED…).
  if (typeof code === 'string' && code.startsWith('E')) return true;
  // A row's bad JSON: its message quotes the row, which must not be read as one of the messages below.
  if (err instanceof SyntaxError || err instanceof TypeError || err instanceof RangeError) return false;
  return NODE_POSTGRES_CONNECTION_ERRORS.test(String((err as Error)?.message ?? ''));
}

/** The 503 a PostgreSQL storage failure is answered with. */
export function pgStorageError(err: unknown): ApiError {
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
 * Runs `work` in one transaction that holds {@link INGEST_APPLY_LOCK_KEY}: the log processor, and anything else that
 * writes events with their identity effects (demo seed, import), so their snapshots of persons never interleave.
 * With `wait: false`, answers `busy` instead of waiting when another session holds the lock. A connection whose
 * state is unknown after a failure is discarded rather than returned to the pool.
 */
export async function withApplyLock<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient, database: SqlDatabase) => Promise<T>,
  options: { wait: boolean } = { wait: true },
): Promise<T | 'busy'> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    try {
      if (options.wait) await client.query('SELECT pg_advisory_xact_lock($1)', [INGEST_APPLY_LOCK_KEY]);
      else {
        const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [INGEST_APPLY_LOCK_KEY]);
        if (!rows[0]!.locked) {
          await client.query('ROLLBACK');
          return 'busy';
        }
      }
      const result = await work(client, postgresDatabase(pool, client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: Error) => {
        broken = rollbackErr;
      });
      throw err;
    }
  } catch (err) {
    if (isPgStorageWide(err)) broken ??= err as Error;
    throw err;
  } finally {
    // A connection that failed mid-transaction may be unusable: the pool replaces it.
    client.release(broken);
  }
}

/**
 * Applies the PostgreSQL ingest log to `events` with api/ingest/store.ts, chunk by chunk, each chunk one
 * transaction under {@link INGEST_APPLY_LOCK_KEY} that also deletes exactly the rows it applied.
 *
 * Ids are not commit order here: with several instances, a row with a smaller id can commit after a larger one. So
 * the processor never keeps a high-water mark nor deletes an id range: each chunk takes the oldest rows visible now,
 * and a row that becomes visible later with a smaller id is simply taken by a later chunk.
 */
export function createPgLogProcessor(pool: pg.Pool): IngestLog {
  const locked = <T>(wait: boolean, work: (client: pg.PoolClient) => Promise<T>) => withApplyLock(pool, work, { wait });
  const appender = postgresDatabase(pool);

  /** The oldest visible rows (up to `upToId`) of about `maxEvents` events, at least one row, bodies included. */
  async function oldestRows(client: pg.PoolClient, maxEvents: number, upToId: number): Promise<LogRow[]> {
    const { rows } = await client.query<LogRow>(
      `WITH next AS (
         SELECT id, sum(event_count) OVER (ORDER BY id) AS running, row_number() OVER (ORDER BY id) AS n
           FROM (SELECT id, event_count FROM ingest_log WHERE error IS NULL AND id <= $1 ORDER BY id LIMIT $2) oldest
       )
       SELECT l.id::text AS id, l.event_count, l.events, l.body, l.capture
         FROM next JOIN ingest_log l USING (id)
        WHERE next.running <= $3 OR next.n = 1
        ORDER BY l.id`,
      [upToId, Math.max(1, Math.ceil(maxEvents / 10)), maxEvents],
    );
    return rows;
  }

  async function apply(client: pg.PoolClient, rows: LogRow[]) {
    await writeEvents(postgresDatabase(pool, client), rows.map(eventsOfLogRow));
    await client.query('DELETE FROM ingest_log WHERE id = ANY($1::bigint[])', [rows.map((row) => row.id)]);
  }

  async function setAside(client: pg.PoolClient, row: LogRow, err: unknown) {
    const message = String((err as Error)?.message ?? err).slice(0, 500);
    await client.query('UPDATE ingest_log SET error = $1 WHERE id = $2', [message, row.id]);
    console.error(`[onramp] ingest log row ${row.id} (${row.event_count} events) could not be applied and was set aside: ${message}`);
  }

  const eventsOf = (rows: LogRow[]) => rows.reduce((n, row) => n + row.event_count, 0);

  /**
   * Applies the oldest visible rows. Returns the events taken off the log (applied or set aside; 0 when nothing is
   * left), or `busy`. Storage-wide failures propagate, and the rows stay for the next try; a chunk that fails for
   * its data is retried row by row, and only a row that fails alone is set aside (kept, with its error).
   */
  async function processChunk(options: ApplyOptions = {}): Promise<ApplyResult> {
    const maxEvents = options.maxEvents ?? EVENTS_PER_CHUNK;
    const upToId = options.upToId ?? Number.MAX_SAFE_INTEGER;
    const wait = options.wait ?? false;
    let attempted: LogRow[] = [];
    try {
      return await locked(wait, async (client) => {
        attempted = await oldestRows(client, maxEvents, upToId);
        if (attempted.length > 0) await apply(client, attempted);
        return eventsOf(attempted);
      });
    } catch (err) {
      if (isPgStorageWide(err) || attempted.length === 0) throw err;
    }
    let taken = 0;
    for (const row of attempted) {
      const result = await locked(wait, async (client) => {
        // Re-read under the lock: another instance may have applied it meanwhile.
        const { rows } = await client.query<LogRow>(
          'SELECT id::text AS id, event_count, events, body, capture FROM ingest_log WHERE id = $1 AND error IS NULL',
          [row.id],
        );
        if (rows.length === 0) return 0;
        await client.query('SAVEPOINT one_row');
        try {
          await apply(client, rows);
        } catch (err) {
          if (isPgStorageWide(err)) throw err;
          await client.query('ROLLBACK TO SAVEPOINT one_row');
          await setAside(client, row, err);
        }
        return row.event_count;
      });
      if (result === 'busy') return taken > 0 ? taken : 'busy';
      taken += result;
    }
    return taken;
  }

  return {
    deferred: true,
    /** As the SQLite log (api/ingest/logged-commit.ts): one INSERT, so one transaction, for a group commit's rows. */
    async append(items: ReadonlyArray<LogItem>): Promise<void> {
      const rows = logRecords(items, Date.now());
      if (rows.length === 0) return;
      const values = sql.join(
        rows.map(
          (row) =>
            sql`(${sql.join(
              row.map((value) => sql`${value}`),
              sql`, `,
            )})`,
        ),
        sql`, `,
      );
      await appender.run(sql`INSERT INTO ingest_log (event_count, events, logged_at, body, capture) VALUES ${values}`);
    },
    processChunk,
    isStorageWide: isPgStorageWide,
    storageError: pgStorageError,
    /** Id of the newest visible row: everything acknowledged before this call has an id up to it. */
    async lastRowId(): Promise<number> {
      const { rows } = await pool.query<{ id: string | null }>('SELECT MAX(id)::text AS id FROM ingest_log');
      return Number(rows[0]?.id ?? 0);
    },
    /** Events acknowledged but not yet applied, and rows set aside, as committed now (all instances together). */
    async counts(): Promise<{ pendingEvents: number; failedRows: number }> {
      const { rows } = await pool.query<{ pending: number; failed: number }>(
        `SELECT COALESCE(SUM(event_count) FILTER (WHERE error IS NULL), 0)::float8 AS pending,
                COUNT(*) FILTER (WHERE error IS NOT NULL)::float8 AS failed
           FROM ingest_log`,
      );
      return { pendingEvents: rows[0]!.pending, failedRows: rows[0]!.failed };
    },
  };
}

export type PgLogProcessor = ReturnType<typeof createPgLogProcessor>;
