import type { SqlDatabase } from '../storage/sql/interface.ts';
import type { PortalStore } from '../storage/types.ts';
import * as accounts from './accounts.ts';
import * as calls from './calls.ts';
import * as keys from './keys.ts';
import * as messages from './messages.ts';
import * as limits from './rate-limit.ts';
import * as sessions from './sessions.ts';

/**
 * The portal's storage (accounts, sessions, keys, sandbox calls and messages, rate limits) on one database, SQLite
 * or PostgreSQL: every query is written once against {@link SqlDatabase}.
 *
 * @example
 * const portal = portalStore(sqliteDatabase(openDb(':memory:').$client));
 */
export function portalStore(database: SqlDatabase): PortalStore {
  return {
    findAccountByEmail: (email) => accounts.findAccountByEmail(database, email),
    createAccount: (account) => accounts.createAccount(database, account),
    createSupportTicket: (ticket) => accounts.createSupportTicket(database, ticket),
    startSession: (c, accountId, publicUrl, now) => sessions.startSession(c, database, accountId, publicUrl, now),
    sessionAccount: (c, now) => sessions.sessionAccount(c, database, now),
    endSession: (c, publicUrl) => sessions.endSession(c, database, publicUrl),
    createKey: (accountId, name, now) => keys.createKey(database, accountId, name, now),
    listKeys: (accountId) => keys.listKeys(database, accountId),
    revokeKey: (accountId, keyId, now) => keys.revokeKey(database, accountId, keyId, now),
    checkKey: (presented) => keys.checkKey(database, presented),
    touchKey: (keyId, now) => keys.touchKey(database, keyId, now),
    recordCall: (call) => calls.recordCall(database, call),
    recentCalls: (accountId, limit) => calls.recentCalls(database, accountId, limit),
    createMessage: (owner, input, now) => messages.createMessage(database, owner, input, now),
    getMessage: (accountId, id) => messages.getMessage(database, accountId, id),
    listMessages: (accountId, limit, afterSeq) => messages.listMessages(database, accountId, limit, afterSeq),
    hit: (bucket, limit, now) => limits.hit(database, bucket, limit, now),
    loginFailures: {
      lockedFor: (bucket, now) => limits.loginFailures.lockedFor(database, bucket, now),
      read: (bucket, now) => limits.loginFailures.read(database, bucket, now),
      record: (bucket, now) => limits.loginFailures.record(database, bucket, now),
      clear: (bucket) => limits.loginFailures.clear(database, bucket),
    },
  };
}

export { adminSessionStore } from './admin-sessions.ts';
