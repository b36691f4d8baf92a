import { type OnrampPgDb, openPgDb, type PgDbOptions } from '../../db/client-pg.ts';
import { postgresIngestDatabase } from '../import/database.ts';
import { createEventWriter } from '../ingest/writer.ts';
import { createStorage } from './storage.ts';
import type { Storage } from './types.ts';

/**
 * The scale-out backend: one PostgreSQL shared by any number of stateless Onramp instances. Identity merges,
 * dedup by uuid, sessions and rate-limit counters are rows (with the locks their modules take), never memory.
 */
export function pgStorage(db: OnrampPgDb): Storage {
  const ingest = postgresIngestDatabase(db);
  return createStorage({
    dialect: 'postgres',
    ingest,
    // Always logged on PostgreSQL: several instances append to one shared log.
    createWriter: (options = {}) => createEventWriter(ingest.database, { ...options, logged: true }),
    close: () => db.close(),
  });
}

/** Opens the pool, applies db/schema/pg-migrations (one instance at a time) and returns the storage on it. */
export async function openPgStorage(databaseUrl: string, options: PgDbOptions = {}): Promise<Storage & { db: OnrampPgDb }> {
  const db = await openPgDb(databaseUrl, options);
  return Object.assign(pgStorage(db), { db });
}
