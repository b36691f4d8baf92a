import type { Database } from 'better-sqlite3';
import type { OnrampPgDb } from '../../db/client-pg.ts';
import { startCheckpointer } from '../ingest/checkpointer.ts';
import { drainLog, INGEST_APPLY_LOCK } from '../ingest/log-processor.ts';
import { createEventStore, type StoreEvent, writeEvents } from '../ingest/store.ts';
import type { SqlDatabase } from '../storage/sql/interface.ts';
import { postgresDatabase } from '../storage/sql/postgres.ts';
import { sqliteDatabase } from '../storage/sql/sqlite.ts';

/**
 * What writing events in bulk (import, export, demo seed) needs from one database besides its SQL: the ingest
 * side's lock and log, which live capture keeps per dialect. Everything else in api/import and api/demo is written
 * once against `database`.
 */
export interface IngestDatabase {
  readonly database: SqlDatabase;
  /** Applies what live capture acknowledged but has not stored yet, so a reader or an import comes after it. */
  drainLog(): Promise<void>;
  /**
   * Runs `work` in one transaction that excludes live capture's log processor (PostgreSQL: the ingest apply lock,
   * waited for; SQLite: its write lock), so identity merges never interleave.
   */
  withApplyLock<T>(work: (tx: SqlDatabase) => Promise<T>): Promise<T>;
  /**
   * Stores events with their identity effects (live capture's store, api/ingest/store.ts) inside a transaction of
   * {@link withApplyLock}. SQLite runs the store's synchronous form with its statements prepared once per shape:
   * bulk writes spend most of their time there, about half the CPU of the generic path.
   */
  store(tx: SqlDatabase, batches: ReadonlyArray<ReadonlyArray<StoreEvent>>): Promise<void>;
  /**
   * Optional: moves the database's own background work to another core for the rest of a bulk write (SQLite: WAL
   * checkpoints); returns what stops it.
   */
  offload?(): () => Promise<void>;
}

/** The SQLite side, on the caller's connection. */
export function sqliteIngestDatabase(sqlite: Database): IngestDatabase {
  const database = sqliteDatabase(sqlite);
  const eventStore = createEventStore(sqlite);
  return {
    database,
    drainLog: async () => void (await drainLog(database)),
    withApplyLock: (work) => database.transactionWithLock(INGEST_APPLY_LOCK, work),
    // The transaction holds this connection, so the synchronous store writes inside it.
    store: async (_tx, batches) => eventStore.writeWithinTransaction(batches),
    offload() {
      // Copying WAL pages into the database file (and its fsync) otherwise runs inside our commits, on the thread
      // that writes: about a sixth of its time. The server's checkpoint worker does it beside it instead.
      const autoCheckpoint = sqlite.pragma('wal_autocheckpoint', { simple: true }) as number;
      const checkpointer = startCheckpointer(sqlite);
      return async () => {
        await checkpointer.stop();
        if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${autoCheckpoint}`);
      };
    },
  };
}

/** The PostgreSQL side, on the caller's pool. */
export function postgresIngestDatabase(db: OnrampPgDb): IngestDatabase {
  const database = postgresDatabase(db.$client);
  return {
    database,
    drainLog: async () => void (await drainLog(database)),
    withApplyLock: (work) => database.transactionWithLock(INGEST_APPLY_LOCK, work),
    store: (tx, batches) => writeEvents(tx, batches),
  };
}
