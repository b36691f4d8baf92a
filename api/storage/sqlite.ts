import type { OnrampDb } from '../../db/client.ts';
import { sqliteIngestDatabase } from '../import/database.ts';
import { createEventWriter } from '../ingest/writer.ts';
import { createStorage } from './storage.ts';
import type { Storage } from './types.ts';

/**
 * The embedded default: everything on one better-sqlite3 connection, shared by every module through one
 * SqlDatabase (so an open transaction keeps other statements out), with the synchronous ingest writer beside it.
 */
export function sqliteStorage(db: OnrampDb): Storage {
  const sqlite = db.$client;
  return createStorage({
    dialect: 'sqlite',
    ingest: sqliteIngestDatabase(sqlite),
    createWriter: (options) => createEventWriter(sqlite, options),
    close: async () => {
      if (sqlite.open) sqlite.close();
    },
  });
}
