import type { Database } from 'better-sqlite3';
import type { OnrampPgDb } from '../../db/client-pg.ts';
import { startCheckpointer } from '../ingest/checkpointer.ts';
import { drainLog, INGEST_APPLY_LOCK } from '../ingest/log-processor.ts';
import type { SqlDatabase } from '../storage/sql/interface.ts';
import { postgresDatabase } from '../storage/sql/postgres.ts';
import { sqliteDatabase } from '../storage/sql/sqlite.ts';

/**
 * What writing events in bulk (import, export, demo seed) needs from one database besides its SQL: live capture's
 * ingest log and apply lock, and SQLite's checkpoint worker. Everything else in api/import and api/demo is written
 * once against `database`, and events go through live capture's store (api/ingest/store.ts).
 */
export interface IngestDatabase {
  readonly database: SqlDatabase;
  /** Applies what live capture acknowledged but has not stored yet, so a reader or an import comes after it. */
  drainLog(): Promise<void>;
  /**
   * Runs `work` in one transaction that excludes live capture's log processor (the ingest apply lock, waited for:
   * PostgreSQL's advisory lock, SQLite's write lock), so identity merges never interleave.
   */
  withApplyLock<T>(work: (tx: SqlDatabase) => Promise<T>): Promise<T>;
  /**
   * Optional: moves the database's own background work to another core for the rest of a bulk write (SQLite: WAL
   * checkpoints); returns what stops it.
   */
  offload?(): () => Promise<void>;
}

/** The bulk-write side on either dialect's {@link SqlDatabase}, with the dialect's background work to offload. */
function ingestDatabase(database: SqlDatabase, offload?: () => () => Promise<void>): IngestDatabase {
  return {
    database,
    drainLog: async () => void (await drainLog(database)),
    withApplyLock: (work) => database.transactionWithLock(INGEST_APPLY_LOCK, work),
    ...(offload ? { offload } : {}),
  };
}

/** The SQLite side, on the caller's connection. */
export function sqliteIngestDatabase(sqlite: Database): IngestDatabase {
  return ingestDatabase(sqliteDatabase(sqlite), () => {
    // Copying WAL pages into the database file (and its fsync) otherwise runs inside our commits, on the thread
    // that writes: about a sixth of its time. The server's checkpoint worker does it beside it instead.
    const autoCheckpoint = sqlite.pragma('wal_autocheckpoint', { simple: true }) as number;
    const checkpointer = startCheckpointer(sqlite);
    return async () => {
      await checkpointer.stop();
      if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${autoCheckpoint}`);
    };
  });
}

/** The PostgreSQL side, on the caller's pool. */
export function postgresIngestDatabase(db: OnrampPgDb): IngestDatabase {
  return ingestDatabase(postgresDatabase(db.$client));
}
