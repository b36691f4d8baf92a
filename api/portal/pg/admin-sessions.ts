/**
 * PostgreSQL twin of `createAdminSessionStore` (api/routes/admin-session.ts): the same HMAC-keyed rows in
 * `admin_sessions`, so a reports login on one instance is valid on every other. Id minting and hashing are shared.
 */
import { and, eq, gt, lte } from 'drizzle-orm';
import type { OnrampPgDb } from '../../../db/client-pg.ts';
import { adminSessions } from '../../../db/schema-pg.ts';
import type { AdminSessionStore } from '../../storage/types.ts';
import { ADMIN_SESSION_TTL_MS, adminSessionHasher, isAdminSessionIdShape, newAdminSessionId } from '../../routes/admin-session.ts';

/** Reports sessions in PostgreSQL; the table keeps HMAC-SHA256(adminToken, id), never the id itself. */
export function createAdminSessionStore(db: OnrampPgDb, adminToken: string): AdminSessionStore {
  const hash = adminSessionHasher(adminToken);
  return {
    async create(now = Date.now()) {
      await db.delete(adminSessions).where(lte(adminSessions.expiresAt, now));
      const id = newAdminSessionId();
      const expiresAt = now + ADMIN_SESSION_TTL_MS;
      await db.insert(adminSessions).values({ idHash: hash(id), createdAt: now, expiresAt });
      return { id, expiresAt };
    },
    async isValid(id, now = Date.now()) {
      if (!isAdminSessionIdShape(id)) return false;
      const [row] = await db
        .select({ idHash: adminSessions.idHash })
        .from(adminSessions)
        .where(and(eq(adminSessions.idHash, hash(id)), gt(adminSessions.expiresAt, now)));
      return row !== undefined;
    },
    async revoke(id) {
      await db.delete(adminSessions).where(eq(adminSessions.idHash, hash(id)));
    },
  };
}
