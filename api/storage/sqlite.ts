import type { OnrampDb } from '../../db/client.ts';
import { shapeApiHealth } from '../analytics/api-health.ts';
import { loadApiHealthData } from '../analytics/api-health-query.ts';
import { shapeDocs } from '../analytics/docs.ts';
import { loadDocsData } from '../analytics/docs-query.ts';
import { sqliteAlertStorage } from '../alerts/storage.ts';
import { seedDemoIfEmpty } from '../demo/seed.ts';
import { createEventWriter } from '../ingest/writer.ts';
import * as accounts from '../portal/accounts.ts';
import * as calls from '../portal/calls.ts';
import * as keys from '../portal/keys.ts';
import * as messages from '../portal/messages.ts';
import * as limits from '../portal/rate-limit.ts';
import * as sessions from '../portal/sessions.ts';
import { createSqliteAdminSessionStore } from '../routes/admin-session.ts';
import { queryEvents } from '../routes/events.ts';
import type { PortalStore, Storage } from './types.ts';

/**
 * The embedded default: everything in one better-sqlite3 connection. The SQLite modules are synchronous (one
 * connection, statements never wait on the network); this adapter gives them the async surface routes share with
 * PostgreSQL.
 */
export function sqliteStorage(db: OnrampDb): Storage {
  const sqlite = db.$client;
  // Its funnel and TTFSI are the reports' own, so an alert always matches the report it links to.
  const alerts = sqliteAlertStorage(sqlite);
  const portal: PortalStore = {
    findAccountByEmail: async (email) => accounts.findAccountByEmail(db, email),
    createAccount: async (account) => accounts.createAccount(db, account),
    createSupportTicket: async (ticket) => accounts.createSupportTicket(db, ticket),
    startSession: async (c, accountId, publicUrl, now) => sessions.startSession(c, db, accountId, publicUrl, now),
    sessionAccount: async (c, now) => sessions.sessionAccount(c, db, now),
    endSession: async (c, publicUrl) => sessions.endSession(c, db, publicUrl),
    createKey: async (accountId, name, now) => keys.createKey(db, accountId, name, now),
    listKeys: async (accountId) => keys.listKeys(db, accountId),
    revokeKey: async (accountId, keyId, now) => keys.revokeKey(db, accountId, keyId, now),
    checkKey: async (presented) => keys.checkKey(db, presented),
    touchKey: async (keyId, now) => keys.touchKey(db, keyId, now),
    recordCall: async (call) => calls.recordCall(db, call),
    recentCalls: async (accountId, limit) => calls.recentCalls(db, accountId, limit),
    createMessage: async (owner, input, now) => messages.createMessage(db, owner, input, now),
    getMessage: async (accountId, id) => messages.getMessage(db, accountId, id),
    listMessages: async (accountId, limit, afterSeq) => messages.listMessages(db, accountId, limit, afterSeq),
    hit: async (bucket, limit, now) => limits.hit(db, bucket, limit, now),
    loginFailures: {
      lockedFor: async (bucket, now) => limits.loginFailures.lockedFor(db, bucket, now),
      record: async (bucket, now) => limits.loginFailures.record(db, bucket, now),
      clear: async (bucket) => limits.loginFailures.clear(db, bucket),
    },
  };
  return {
    dialect: 'sqlite',
    createWriter: (options) => createEventWriter(sqlite, options),
    reports: {
      ...alerts.reports,
      docs: async (range) => shapeDocs(loadDocsData(sqlite, range)),
      apiHealth: async (range) => shapeApiHealth(loadApiHealthData(sqlite, range)),
    },
    portal,
    adminSessions: (adminToken) => createSqliteAdminSessionStore(db, adminToken),
    alerts,
    listEvents: async (query) => queryEvents(db, query),
    seedDemoIfEmpty: async () => seedDemoIfEmpty(sqlite),
    close: async () => {
      if (sqlite.open) sqlite.close();
    },
  };
}
