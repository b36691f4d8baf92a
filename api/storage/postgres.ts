import { openPgDb, type OnrampPgDb, type PgDbOptions } from '../../db/client-pg.ts';
import { alertStorage } from '../alerts/storage.ts';
import { createReportStore } from '../analytics/report-store.ts';
import { seedDemoIfEmpty } from '../demo/seed.ts';
import { postgresIngestDatabase } from '../import/database.ts';
import { createPgEventWriter } from '../ingest/writer.ts';
import { adminSessionStore, portalStore } from '../portal/store.ts';
import { queryEvents } from '../routes/events.ts';
import { postgresDatabase } from './sql/postgres.ts';
import type { Storage } from './types.ts';

/**
 * The scale-out backend: one PostgreSQL shared by any number of stateless Onramp instances. Identity merges,
 * dedup by uuid, sessions and rate-limit counters are rows (with the locks their modules take), never memory.
 */
export function pgStorage(db: OnrampPgDb): Storage {
  // Modules written once for both dialects share this instance's pool through the common SQL surface.
  const database = postgresDatabase(db.$client);
  const reports = createReportStore(database);
  return {
    dialect: 'postgres',
    createWriter: (options = {}) => {
      // Always logged on PostgreSQL: several instances append to one shared log.
      const { logged: _alwaysLogged, ...rest } = options;
      return createPgEventWriter(db, rest);
    },
    reports,
    portal: portalStore(database),
    adminSessions: (adminToken) => adminSessionStore(database, adminToken),
    // The reports' own funnel and TTFSI, so an alert always matches the report it links to.
    alerts: alertStorage(database, reports),
    listEvents: (query) => queryEvents(database, query),
    seedDemoIfEmpty: () => seedDemoIfEmpty(postgresIngestDatabase(db)),
    close: () => db.close(),
  };
}

/** Opens the pool, applies db/migrations-pg (one instance at a time) and returns the storage on it. */
export async function openPgStorage(databaseUrl: string, options: PgDbOptions = {}): Promise<Storage & { db: OnrampPgDb }> {
  const db = await openPgDb(databaseUrl, options);
  return Object.assign(pgStorage(db), { db });
}
