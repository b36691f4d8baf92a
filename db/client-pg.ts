import { fileURLToPath } from 'node:url';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import * as schema from './schema/pg.ts';

/** Drizzle over a node-postgres pool, with the PostgreSQL schema; `close()` ends the pool (idempotent). */
export type OnrampPgDb = NodePgDatabase<typeof schema> & { $client: pg.Pool; close: () => Promise<void> };

/** Folder of the committed drizzle-kit migrations of the PostgreSQL dialect (`npm run db:generate:pg`). */
export const pgMigrationsFolder = fileURLToPath(new URL('./schema/pg-migrations', import.meta.url));

/**
 * Session-level advisory lock key held while migrating ("onramp" in ASCII), so instances of a scaled-out
 * deployment starting together apply migrations one after the other: drizzle's migrator takes no lock itself,
 * and two concurrent runs would both try to create the same tables.
 */
const MIGRATION_LOCK_KEY = '122511905836400';

export interface PgDbOptions {
  /** Connections in the pool; the ingest writer holds one while it commits, reports take the rest. */
  poolSize?: number;
  /** Called when an idle pooled connection fails (e.g. the server restarted); the pool replaces it on next use. */
  onIdleError?: (error: Error) => void;
}

/**
 * Opens a pool on a PostgreSQL `postgres://` URL and applies db/schema/pg-migrations before resolving. A connection that
 * cannot be made within 10 s fails the open (and later queries) instead of waiting forever.
 */
export async function openPgDb(databaseUrl: string, options: PgDbOptions = {}): Promise<OnrampPgDb> {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.poolSize ?? 10,
    application_name: 'onramp',
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  // Without a listener an idle connection's error (server restart, network blip) would crash the process.
  pool.on('error', options.onIdleError ?? ((error) => console.error(`PostgreSQL idle connection error: ${error.message}`)));
  try {
    await migrateLocked(pool);
  } catch (error) {
    await pool.end();
    throw error;
  }
  return pgDbOnPool(pool);
}

/** Drizzle with the PostgreSQL schema over a pool whose database is migrated already; `close()` ends the pool once. */
export function pgDbOnPool(pool: pg.Pool): OnrampPgDb {
  let ended: Promise<void> | undefined;
  const db = drizzle(pool, { schema });
  return Object.assign(db, { close: () => (ended ??= pool.end()) });
}

/** Runs drizzle's migrator on one connection that holds {@link MIGRATION_LOCK_KEY} for the whole run. */
async function migrateLocked(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await migrate(drizzle(client), { migrationsFolder: pgMigrationsFolder });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } catch (error) {
    broken = error as Error;
    throw error;
  } finally {
    // A connection that failed mid-migration may still hold the lock or an aborted transaction: discard it.
    client.release(broken);
  }
}
