import { randomBytes } from 'node:crypto';
import { and, eq, gt, lte } from 'drizzle-orm';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { OnrampDb } from '../../db/client.ts';
import { accounts, portalSessions } from '../../db/schema.ts';
import { ApiError } from '../errors.ts';
import { sha256Hex } from './ids.ts';
import { isHttps } from './request.ts';

/** Name of the HttpOnly cookie that carries a developer's portal session id. */
export const SESSION_COOKIE = 'onramp_session';
/** A week: developers come back to the dashboard over several days while integrating. */
export const SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** The signed-in developer, as routes see it. */
export interface SessionAccount {
  id: string;
  email: string;
  createdAt: number;
}

/** Variables the session middleware puts on the context. */
export interface PortalVariables {
  account: SessionAccount;
}

/** Creates a session row (storing only the sha256 of its id) and sets the cookie. */
export function startSession(c: Context, db: OnrampDb, accountId: string, publicUrl: string | undefined, now = Date.now()): void {
  db.delete(portalSessions).where(lte(portalSessions.expiresAt, now)).run();
  // A new login always gets a new id; the session this browser had before (if any) ends, so a planted
  // cookie cannot be carried into the new login (session fixation).
  const previous = getCookie(c, SESSION_COOKIE);
  if (previous) db.delete(portalSessions).where(eq(portalSessions.idHash, sha256Hex(previous))).run();
  const id = randomBytes(32).toString('base64url');
  db.insert(portalSessions).values({ idHash: sha256Hex(id), accountId, createdAt: now, expiresAt: now + SESSION_TTL_MS }).run();
  setCookie(c, SESSION_COOKIE, id, {
    httpOnly: true,
    sameSite: 'Lax',
    secure: isHttps(c, publicUrl),
    path: '/',
    maxAge: Math.floor(SESSION_TTL_MS / 1000),
  });
}

/** The account behind the request's session cookie, or null. */
export function sessionAccount(c: Context, db: OnrampDb, now = Date.now()): SessionAccount | null {
  const id = getCookie(c, SESSION_COOKIE);
  // Shape check first so junk cookies never reach the database.
  if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) return null;
  const row = db
    .select({ id: accounts.id, email: accounts.email, createdAt: accounts.createdAt })
    .from(portalSessions)
    .innerJoin(accounts, eq(accounts.id, portalSessions.accountId))
    .where(and(eq(portalSessions.idHash, sha256Hex(id)), gt(portalSessions.expiresAt, now)))
    .get();
  return row ?? null;
}

/** Deletes the request's session (if any) and clears the cookie. */
export function endSession(c: Context, db: OnrampDb, publicUrl: string | undefined): void {
  const id = getCookie(c, SESSION_COOKIE);
  if (id) db.delete(portalSessions).where(eq(portalSessions.idHash, sha256Hex(id))).run();
  deleteCookie(c, SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'Lax', secure: isHttps(c, publicUrl) });
}

/**
 * Requires a portal session cookie. Only the cookie counts: an `Authorization` header (a sandbox key, or the
 * admin token) is never a portal credential.
 */
export function requireSession(db: OnrampDb): MiddlewareHandler<{ Variables: PortalVariables }> {
  return async (c, next) => {
    const account = sessionAccount(c, db);
    if (!account) throw new ApiError(401, 'not_logged_in', 'session: log in to the portal first');
    c.set('account', account);
    await next();
  };
}
