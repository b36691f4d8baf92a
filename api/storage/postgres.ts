import { openPgDb, type OnrampPgDb, type PgDbOptions } from '../../db/client-pg.ts';
import { pgAlertStorage } from '../alerts/pg/storage.ts';
import { apiHealthReportPg, docsReportPg, funnelReportPg, ttfsiReportPg } from '../analytics/pg/reports.ts';
import { seedDemoIfEmptyPg } from '../demo/seed-pg.ts';
import { createPgEventWriter } from '../ingest/pg/writer.ts';
import * as accounts from '../portal/pg/accounts.ts';
import { createAdminSessionStore } from '../portal/pg/admin-sessions.ts';
import * as calls from '../portal/pg/calls.ts';
import * as keys from '../portal/pg/keys.ts';
import * as messages from '../portal/pg/messages.ts';
import * as limits from '../portal/pg/rate-limit.ts';
import * as sessions from '../portal/pg/sessions.ts';
import { queryPgEvents } from '../routes/pg/events.ts';
import type { PortalStore, Storage } from './types.ts';

/**
 * The scale-out backend: one PostgreSQL shared by any number of stateless Onramp instances. Identity merges,
 * dedup by uuid, sessions and rate-limit counters are rows (with the locks their modules take), never memory.
 */
export function pgStorage(db: OnrampPgDb): Storage {
  const portal: PortalStore = {
    findAccountByEmail: (email) => accounts.findAccountByEmail(db, email),
    createAccount: (account) => accounts.createAccount(db, account),
    createSupportTicket: (ticket) => accounts.createSupportTicket(db, ticket),
    startSession: (c, accountId, publicUrl, now) => sessions.startSession(c, db, accountId, publicUrl, now),
    sessionAccount: (c, now) => sessions.sessionAccount(c, db, now),
    endSession: (c, publicUrl) => sessions.endSession(c, db, publicUrl),
    createKey: (accountId, name, now) => keys.createKey(db, accountId, name, now),
    listKeys: (accountId) => keys.listKeys(db, accountId),
    revokeKey: (accountId, keyId, now) => keys.revokeKey(db, accountId, keyId, now),
    checkKey: (presented) => keys.checkKey(db, presented),
    touchKey: (keyId, now) => keys.touchKey(db, keyId, now),
    recordCall: (call) => calls.recordCall(db, call),
    recentCalls: (accountId, limit) => calls.recentCalls(db, accountId, limit),
    createMessage: (owner, input, now) => messages.createMessage(db, owner, input, now),
    getMessage: (accountId, id) => messages.getMessage(db, accountId, id),
    listMessages: (accountId, limit, afterSeq) => messages.listMessages(db, accountId, limit, afterSeq),
    hit: (bucket, limit, now) => limits.hit(db, bucket, limit, now),
    loginFailures: {
      lockedFor: (bucket, now) => limits.loginFailures.lockedFor(db, bucket, now),
      record: (bucket, now) => limits.loginFailures.record(db, bucket, now),
      clear: (bucket) => limits.loginFailures.clear(db, bucket),
    },
  };
  return {
    dialect: 'postgres',
    createWriter: (options = {}) => {
      // Always logged on PostgreSQL: several instances append to one shared log.
      const { logged: _alwaysLogged, ...rest } = options;
      return createPgEventWriter(db, rest);
    },
    reports: {
      funnel: (params) => funnelReportPg(db, params),
      ttfsi: (params) => ttfsiReportPg(db, params),
      docs: (range) => docsReportPg(db, range),
      apiHealth: (range) => apiHealthReportPg(db, range),
    },
    portal,
    adminSessions: (adminToken) => createAdminSessionStore(db, adminToken),
    alerts: pgAlertStorage(db),
    listEvents: (query) => queryPgEvents(db, query),
    seedDemoIfEmpty: () => seedDemoIfEmptyPg(db),
    close: () => db.close(),
  };
}

/** Opens the pool, applies db/migrations-pg (one instance at a time) and returns the storage on it. */
export async function openPgStorage(databaseUrl: string, options: PgDbOptions = {}): Promise<Storage & { db: OnrampPgDb }> {
  const db = await openPgDb(databaseUrl, options);
  return Object.assign(pgStorage(db), { db });
}
