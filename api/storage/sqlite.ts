import type { OnrampDb } from '../../db/client.ts';
import { alertStorage } from '../alerts/storage.ts';
import { createReportStore } from '../analytics/report-store.ts';
import { seedDemoIfEmpty } from '../demo/seed.ts';
import { sqliteIngestDatabase } from '../import/database.ts';
import { createEventWriter } from '../ingest/writer.ts';
import { adminSessionStore, portalStore } from '../portal/store.ts';
import { queryEvents } from '../routes/events.ts';
import { sqliteDatabase } from './sql/sqlite.ts';
import type { Storage } from './types.ts';

/**
 * The embedded default: everything in one better-sqlite3 connection. The SQLite modules are synchronous (one
 * connection, statements never wait on the network); this adapter gives them the async surface routes share with
 * PostgreSQL.
 */
export function sqliteStorage(db: OnrampDb): Storage {
  const sqlite = db.$client;
  // Modules written once for both dialects run on the same connection through the shared SQL surface.
  const database = sqliteDatabase(sqlite);
  const reports = createReportStore(database);
  return {
    dialect: 'sqlite',
    createWriter: (options) => createEventWriter(sqlite, options),
    reports,
    portal: portalStore(database),
    adminSessions: (adminToken) => adminSessionStore(database, adminToken),
    // The reports' own funnel and TTFSI, so an alert always matches the report it links to.
    alerts: alertStorage(database, reports),
    listEvents: (query) => queryEvents(database, query),
    seedDemoIfEmpty: () => seedDemoIfEmpty(sqliteIngestDatabase(sqlite)),
    close: async () => {
      if (sqlite.open) sqlite.close();
    },
  };
}
