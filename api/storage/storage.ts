import type { DatabaseDialect } from '../../db/dialect.ts';
import { alertStorage } from '../alerts/storage.ts';
import { createReportStore } from '../analytics/report-store.ts';
import { seedDemoIfEmpty } from '../demo/seed.ts';
import type { IngestDatabase } from '../import/database.ts';
import type { EventWriterOptions } from '../ingest/writer-options.ts';
import { adminSessionStore, portalStore } from '../portal/store.ts';
import { queryEvents } from '../routes/events.ts';
import type { IngestWriter, Storage } from './types.ts';

/** What one dialect brings to {@link createStorage}: its connection, bulk-write side and ingest writer. */
export interface DialectParts {
  dialect: DatabaseDialect;
  /** The connection every storage module is written against, and the bulk-write (import, seed) side on it. */
  ingest: IngestDatabase;
  createWriter(options?: EventWriterOptions): IngestWriter;
  close(): Promise<void>;
}

/**
 * Everything the app keeps in its database, assembled once for both dialects: every module runs on the same
 * {@link SqlDatabase}, so only {@link DialectParts} differ between SQLite and PostgreSQL.
 *
 * @example
 * const storage = createStorage({ dialect: 'sqlite', ingest, createWriter, close });
 */
export function createStorage(parts: DialectParts): Storage {
  const { database } = parts.ingest;
  const reports = createReportStore(database);
  return {
    dialect: parts.dialect,
    createWriter: parts.createWriter,
    reports,
    portal: portalStore(database),
    adminSessions: (adminToken) => adminSessionStore(database, adminToken),
    // The reports' own funnel and TTFSI, so an alert always matches the report it links to.
    alerts: alertStorage(database, reports),
    listEvents: (query) => queryEvents(database, query),
    seedDemoIfEmpty: () => seedDemoIfEmpty(parts.ingest),
    close: parts.close,
  };
}
