/**
 * Reports sessions (`admin_sessions`), one module for SQLite and PostgreSQL: rows in the shared database, so a
 * reports login on one instance is valid on every other.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { SqlDatabase } from '../storage/sql/interface.ts';
import type { AdminSessionStore } from '../storage/types.ts';

/** Sessions end after 12 hours: long enough for a working day, short enough that a forgotten laptop expires. */
export const ADMIN_SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** HMAC-SHA256 keyed by the admin token, hex: what `admin_sessions.id_hash` stores for a session id. */
export function adminSessionHasher(adminToken: string): (id: string) => string {
  return (id) => createHmac('sha256', adminToken).update(id).digest('hex');
}

/** 32 random bytes, base64url: a new reports session id. */
export function newAdminSessionId(): string {
  return randomBytes(32).toString('base64url');
}

/** Shape check before any lookup, so junk cookies never reach the database. */
export function isAdminSessionIdShape(id: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(id);
}

/**
 * Session ids are 32 random bytes; the table keeps HMAC-SHA256(adminToken, id). Keying the hash with the admin
 * token means a database copy alone cannot mint a cookie, and changing ONRAMP_ADMIN_TOKEN logs everyone out.
 */
export function adminSessionStore(database: SqlDatabase, adminToken: string): AdminSessionStore {
  const hash = adminSessionHasher(adminToken);
  return {
    async create(now = Date.now()) {
      await database.run(sql`DELETE FROM admin_sessions WHERE expires_at <= ${now}`);
      const id = newAdminSessionId();
      const expiresAt = now + ADMIN_SESSION_TTL_MS;
      await database.run(sql`INSERT INTO admin_sessions (id_hash, created_at, expires_at) VALUES (${hash(id)}, ${now}, ${expiresAt})`);
      return { id, expiresAt };
    },
    async isValid(id, now = Date.now()) {
      if (!isAdminSessionIdShape(id)) return false;
      const row = await database.get(sql`SELECT id_hash FROM admin_sessions WHERE id_hash = ${hash(id)} AND expires_at > ${now}`);
      return row !== undefined;
    },
    async revoke(id) {
      await database.run(sql`DELETE FROM admin_sessions WHERE id_hash = ${hash(id)}`);
    },
  };
}
