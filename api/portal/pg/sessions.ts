/**
 * PostgreSQL twin of the session rows of api/portal/sessions.ts. Cookie handling (names, flags, id shape) is the
 * SQLite module's; only the queries differ.
 */
import { and, eq, gt, lte } from 'drizzle-orm';
import type { Context } from 'hono';
import type { OnrampPgDb } from '../../../db/client-pg.ts';
import { accounts, portalSessions } from '../../../db/schema-pg.ts';
import { sha256Hex } from '../ids.ts';
import {
  clearSessionCookie,
  newSession,
  presentedSessionHash,
  sessionCookie,
  setSessionCookie,
  type SessionAccount,
} from '../sessions.ts';

/** Creates a session row (storing only the sha256 of its id) and sets the cookie. */
export async function startSession(c: Context, db: OnrampPgDb, accountId: string, publicUrl: string | undefined, now = Date.now()): Promise<void> {
  await db.delete(portalSessions).where(lte(portalSessions.expiresAt, now));
  // A new login always gets a new id; the session this browser had before (if any) ends, so a planted
  // cookie cannot be carried into the new login (session fixation).
  const previous = sessionCookie(c);
  if (previous) await db.delete(portalSessions).where(eq(portalSessions.idHash, sha256Hex(previous)));
  const session = newSession(accountId, now);
  await db.insert(portalSessions).values(session.row);
  setSessionCookie(c, session.id, publicUrl);
}

/** The account behind the request's session cookie, or null. */
export async function sessionAccount(c: Context, db: OnrampPgDb, now = Date.now()): Promise<SessionAccount | null> {
  const idHash = presentedSessionHash(c);
  if (!idHash) return null;
  const [row] = await db
    .select({ id: accounts.id, email: accounts.email, createdAt: accounts.createdAt })
    .from(portalSessions)
    .innerJoin(accounts, eq(accounts.id, portalSessions.accountId))
    .where(and(eq(portalSessions.idHash, idHash), gt(portalSessions.expiresAt, now)));
  return row ?? null;
}

/** Deletes the request's session (if any) and clears the cookie. */
export async function endSession(c: Context, db: OnrampPgDb, publicUrl: string | undefined): Promise<void> {
  const id = sessionCookie(c);
  if (id) await db.delete(portalSessions).where(eq(portalSessions.idHash, sha256Hex(id)));
  clearSessionCookie(c, publicUrl);
}
