import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import type { AlertStorage } from '../../api/alerts/storage.ts';
import { type DemoOptions, seedDemoIfEmpty } from '../../api/demo/seed.ts';
import { postgresIngestDatabase, sqliteIngestDatabase } from '../../api/import/database.ts';
import type { NormalizedEvent } from '../../api/ingest/validate.ts';
import { pgStorage } from '../../api/storage/postgres.ts';
import { sqliteStorage } from '../../api/storage/sqlite.ts';
import { type OnrampDb, openDb } from '../../db/client.ts';
import { type OnrampPgDb, openPgDb } from '../../db/client-pg.ts';
import { testDb } from '../support/app.ts';
import { afterThisTest, freshPgDatabaseUrl, freshPgDb, ON_POSTGRES, storePgEvents } from '../support/pg-test-db.ts';
import { createEventStore } from '../support/sync-event-store.ts';

/** The alert storage of one instance on a test database, and what the tests put into that database. */
export interface AlertTestBed {
  storage: AlertStorage;
  /** Stores events as ingest does. */
  addEvents(events: ReadonlyArray<NormalizedEvent>): Promise<void>;
  /** Loads the demo history. */
  seedDemo(options: DemoOptions): Promise<void>;
}

function onSqlite(db: OnrampDb): AlertTestBed {
  return {
    storage: sqliteStorage(db).alerts,
    addEvents: async (events) => createEventStore(db.$client).writeBatches([[...events]]),
    seedDemo: async (options) => void (await seedDemoIfEmpty(sqliteIngestDatabase(db.$client), options)),
  };
}

function onPostgres(db: OnrampPgDb): AlertTestBed {
  return {
    storage: pgStorage(db).alerts,
    addEvents: (events) => storePgEvents(db, events),
    seedDemo: async (options) => void (await seedDemoIfEmpty(postgresIngestDatabase(db), options)),
  };
}

/**
 * A fresh database of the project's dialect (`:memory:` SQLite, or PostgreSQL in the `postgres` project) behind
 * the same storage the server builds, so every alert test runs on both.
 */
export function alertTestBed(): AlertTestBed {
  return ON_POSTGRES ? onPostgres(freshPgDb()) : onSqlite(testDb());
}

/** Two instances on one fresh database: two SQLite connections on one file, or two PostgreSQL pools. */
export async function twoInstances(): Promise<[AlertTestBed, AlertTestBed]> {
  if (ON_POSTGRES) {
    const url = await freshPgDatabaseUrl();
    const pools = [await openPgDb(url), await openPgDb(url)] as const;
    // Registered after the database's drop, so they close before it (cleanups run newest first).
    for (const pool of pools) afterThisTest(() => pool.close());
    return [onPostgres(pools[0]), onPostgres(pools[1])];
  }
  const path = join(mkdtempSync(join(tmpdir(), 'onramp-alerts-')), 'onramp.db');
  const connections = [openDb(`file:${path}`), openDb(`file:${path}`)] as const;
  onTestFinished(() => {
    for (const db of connections) db.$client.close();
  });
  return [onSqlite(connections[0]), onSqlite(connections[1])];
}
