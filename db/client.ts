import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from './schema/sqlite.ts';

export type OnrampDb = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

/** Folder of the committed drizzle-kit migrations. */
export const migrationsFolder = fileURLToPath(new URL('./schema/sqlite-migrations', import.meta.url));

/** Turns `file:./data/onramp.db`, a bare path or `:memory:` into a better-sqlite3 filename. */
export function sqlitePath(databaseUrl: string): string {
  if (databaseUrl === ':memory:' || databaseUrl === 'file::memory:') return ':memory:';
  const path = databaseUrl.startsWith('file:') ? databaseUrl.slice('file:'.length) : databaseUrl;
  if (!path) throw new Error('Invalid environment variable DATABASE_URL: empty path');
  return resolve(path);
}

/**
 * Opens (creating the file and its folder if needed) and migrates the SQLite database.
 * WAL lets report reads run beside the ingest writer; synchronous=NORMAL in WAL mode is still durable
 * against process crashes, which is what an acknowledged event must survive.
 */
export function openDb(databaseUrl = ':memory:'): OnrampDb {
  const filename = sqlitePath(databaseUrl);
  if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true });
  const sqlite = new Database(filename);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('cache_size = -65536');
  sqlite.pragma('temp_store = MEMORY');
  const db = drizzle(sqlite, { schema }) as OnrampDb;
  migrate(db, { migrationsFolder });
  return db;
}
