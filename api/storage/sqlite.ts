import type { OnrampDb } from '../../db/client.ts';
import { sqliteIngestDatabase } from '../import/database.ts';
import { createEventWriter } from '../ingest/writer.ts';
import { createStorage } from './storage.ts';
import type { Storage } from './types.ts';

/**
 * The embedded default: everything on one better-sqlite3 connection, shared by every module through one
 * SqlDatabase (so an open transaction keeps other statements out), the ingest writer included.
 */
export function sqliteStorage(db: OnrampDb): Storage {
  const sqlite = db.$client;
  const ingest = sqliteIngestDatabase(sqlite);
  return createStorage({
    dialect: 'sqlite',
    ingest,
    // The same SqlDatabase as every module, so capture's appends queue behind any open transaction.
    createWriter: (options) => createEventWriter(ingest.database, options),
    close: async () => {
      if (sqlite.open) sqlite.close();
    },
  });
}
