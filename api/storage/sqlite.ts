import type { OnrampDb } from '../../db/client.ts';
import { shapeApiHealth } from '../analytics/api-health.ts';
import { loadApiHealthData } from '../analytics/api-health-query.ts';
import { shapeDocs } from '../analytics/docs.ts';
import { loadDocsData } from '../analytics/docs-query.ts';
import { sqliteAlertStorage } from '../alerts/storage.ts';
import { seedDemoIfEmpty } from '../demo/seed.ts';
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
  // Its funnel and TTFSI are the reports' own, so an alert always matches the report it links to.
  const alerts = sqliteAlertStorage(sqlite);
  // Modules written once for both dialects run on the same connection through the shared SQL surface.
  const database = sqliteDatabase(sqlite);
  return {
    dialect: 'sqlite',
    createWriter: (options) => createEventWriter(sqlite, options),
    reports: {
      ...alerts.reports,
      docs: async (range) => shapeDocs(loadDocsData(sqlite, range)),
      apiHealth: async (range) => shapeApiHealth(loadApiHealthData(sqlite, range)),
    },
    portal: portalStore(database),
    adminSessions: (adminToken) => adminSessionStore(database, adminToken),
    alerts,
    listEvents: async (query) => queryEvents(db, query),
    seedDemoIfEmpty: async () => seedDemoIfEmpty(sqlite),
    close: async () => {
      if (sqlite.open) sqlite.close();
    },
  };
}
